using Inspections.Hosting;
using Inspections.Tests.Infrastructure;
using static Inspections.Tests.Ingest.InspectionCsv;

namespace Inspections.Tests.Reliability;

/// <summary>
/// A database holds one source: every task instance names its source, while the tables hold one dataset,
/// so a second source is refused before anything runs (docs/data-model.md), and verbs find the source by themselves.
/// </summary>
public sealed class SourceIdentityTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    public Task InitializeAsync() => db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static readonly Row[] History =
    [
        At(1, "2013-01-02", "1001"), At(2, "2013-01-05", "1002", "Fail"), At(3, "2013-01-09", "1003"),
        At(4, "2013-01-15", "1001"),
    ];

    private Task<CliResult> CleanAsync(params string[] args) => db.RunAsync([
        "run", "--until", "clean", "--date", "2013-01-31", .. args,
        "--check", "clean.min_fail_share=0", "--check", "clean.max_fail_share=1"]);

    [Fact]
    public async Task Another_source_for_a_database_that_holds_one_is_refused_in_one_line_before_anything_runs()
    {
        var first = Write(History);
        (await CleanAsync("--source", first)).ExitCode.ShouldBe(0);
        var before = await DatabaseProbe.FingerprintAsync(db.DataSource);

        var other = Write([.. History, At(5, "2013-01-20", "1004")]);
        var result = await CleanAsync("--source", other);

        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        var line = result.ErrorLines.ShouldHaveSingleItem(result.ToString());
        result.LastErrorLine.ShouldBe("exit code 2 (UsageError)");
        line.ShouldStartWith($"error: this database holds the records of {first}; --source {other} is another source");
        result.Out.ShouldBeEmpty();
        (await DatabaseProbe.FingerprintAsync(db.DataSource))
            .ShouldBe(before, "nothing written, not even a failed run");
        (await db.ScalarAsync<string>("select source from pipeline.source")).ShouldBe(first);
    }

    [Fact]
    public async Task Without_source_a_verb_runs_with_the_one_the_database_holds_and_status_finds_it()
    {
        var export = Write(History);
        (await CleanAsync("--source", export)).ExitCode.ShouldBe(0);

        var again = await CleanAsync();
        again.ExitCode.ShouldBe(0, again.ToString());
        again.Out.ShouldContain($"complete clean(date=2013-01-31, source={export}; check.");
        again.Out.ShouldContain("already complete");

        var status = await db.RunAsync("status", "--date", "2013-01-31", "--until", "clean",
            "--check", "clean.min_fail_share=0", "--check", "clean.max_fail_share=1");
        status.Out.ShouldStartWith("DAG green: 2 complete, 0 failed, 0 not run", customMessage: status.ToString());
    }

    [Fact]
    public async Task A_failed_first_load_binds_no_source_so_another_one_may_follow()
    {
        var empty = Write([]);
        (await db.RunAsync("ingest", "--date", "2013-01-31", "--source", empty))
            .ExitCode.ShouldBe(ExitCodes.CheckFailed);
        (await db.ScalarAsync<long>("select count(*) from pipeline.source")).ShouldBe(0);

        var export = Write(History);
        var result = await db.RunAsync("ingest", "--date", "2013-01-31", "--source", export);
        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<string>("select source from pipeline.source")).ShouldBe(export);
    }
}
