using Inspections.Hosting;
using Inspections.Tests.Infrastructure;
using static Inspections.Tests.Ingest.InspectionCsv;

namespace Inspections.Tests.Ingest;

public sealed class IngestTaskTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    // Tests of one class share a database: each starts from empty tables.
    public Task InitializeAsync() => db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static readonly Row[] History =
    [
        At(1, "2013-01-02"), At(2, "2013-01-05", "1002", "Fail"), At(3, "2013-01-09", "1003"),
        At(4, "2013-01-15", "1001", "Pass w/ Conditions"), At(5, "2013-01-20", "1002"), At(6, "2013-02-03", "1004"),
    ];

    [Fact]
    public async Task Ingest_loads_only_rows_dated_up_to_the_run_date()
    {
        var csv = Write(History);
        var result = await db.RunAsync("ingest", "--date", "2013-01-10", "--source", csv);

        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(3);
        (await db.ScalarAsync<DateTime>("select max(inspection_date)::timestamp from raw.inspections"))
            .ShouldBe(new DateTime(2013, 1, 9));
        (await db.ScalarAsync<string>("select figures->>'rows_after_date' from pipeline.task_metadata")).ShouldBe("3");
    }

    [Fact]
    public async Task A_later_date_loads_only_the_new_rows_and_a_rerun_runs_nothing()
    {
        var csv = Write(History);
        (await db.RunAsync("ingest", "--date", "2013-01-10", "--source", csv)).ExitCode.ShouldBe(0);
        var first = await db.ScalarAsync<Guid>("select run_id from pipeline.task_metadata");

        var second = await db.RunAsync("ingest", "--date", "2013-01-31", "--source", csv);
        second.ExitCode.ShouldBe(0, second.ToString());
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(5);
        (await db.ScalarAsync<long>($"select count(*) from raw.inspections where ingest_run_id = '{first}'"))
            .ShouldBe(3);
        (await db.ScalarAsync<string>(
                "select figures->>'rows_new' from pipeline.task_metadata where parameters->>'date' = '2013-01-31'"))
            .ShouldBe("2");

        var again = await db.RunAsync("ingest", "--date", "2013-01-31", "--source", csv);
        again.ExitCode.ShouldBe(0);
        again.Out.ShouldContain("already complete");
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(5);
        (await db.ScalarAsync<long>("select count(*) from pipeline.task_runs")).ShouldBe(2);
    }

    [Fact]
    public async Task A_republished_record_with_changes_updates_the_stored_one_and_is_counted()
    {
        var export = Write(History);
        (await db.RunAsync("ingest", "--date", "2013-01-31", "--source", export)).ExitCode.ShouldBe(0);

        // The City corrects inspection 5's result and publishes a new one; inspection 4 comes again unchanged.
        var republished = Write([History[3], History[4] with { Result = "Fail" }, At(7, "2013-02-05")], export);
        var result = await db.RunAsync("ingest", "--date", "2013-02-07", "--source", republished);

        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(6);
        (await db.ScalarAsync<string>("select results from raw.inspections where inspection_id = 5")).ShouldBe("Fail");
        (await db.ScalarAsync<int>("select revisions from raw.inspections where inspection_id = 5")).ShouldBe(1);
        var figures = "select figures->>'{0}' from pipeline.task_metadata where parameters->>'date' = '2013-02-07'";
        (await db.ScalarAsync<string>(string.Format(figures, "rows_updated"))).ShouldBe("1");
        (await db.ScalarAsync<string>(string.Format(figures, "rows_unchanged"))).ShouldBe("1");
        (await db.ScalarAsync<string>(string.Format(figures, "rows_new"))).ShouldBe("1");
    }

    [Fact]
    public async Task Malformed_records_go_to_rejects_with_their_reason_and_too_many_fail_the_check()
    {
        var csv = Write([.. History, At(8, "2013-01-03"), At(9, "2013-01-04") with { Date = "13/45/2013" },
            At(10, "2013-01-04") with { Latitude = "north" }]);
        File.WriteAllText(csv, File.ReadAllText(csv).Replace("\n8,", "\n,")); // record 7 without an id

        var failed = await db.RunAsync("ingest", "--date", "2013-02-28", "--source", csv);
        failed.ExitCode.ShouldBe(ExitCodes.CheckFailed, failed.ToString());
        failed.Error.ShouldContain("max_reject_share");
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(0);

        var result = await db.RunAsync(
            "ingest", "--date", "2013-02-28", "--source", csv, "--check", "ingest.max_reject_share=0.5");
        result.ExitCode.ShouldBe(0, result.ToString());
        var reasons = (await db.ScalarAsync<string>(
            "select string_agg(reason, ' / ' order by record_number) from raw.rejects"));
        reasons.ShouldBe("no inspection id / inspection date '13/45/2013' is not MM/dd/yyyy or " +
            "yyyy-MM-ddTHH:mm:ss[.fff] / latitude 'north' is not a number");
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(6);
    }

    [Fact]
    public async Task A_forced_rerun_rereads_its_window_without_duplicating_anything()
    {
        var csv = Write(History);
        (await db.RunAsync("ingest", "--date", "2013-01-31", "--source", csv)).ExitCode.ShouldBe(0);
        var forced = await db.RunAsync("ingest", "--date", "2013-01-31", "--source", csv, "--force");

        forced.ExitCode.ShouldBe(0, forced.ToString());
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(5);
        (await db.ScalarAsync<string>(
                "select figures->>'rows_new' from pipeline.task_metadata order by finished_at desc limit 1"))
            .ShouldBe("0");
    }

    [Fact]
    public async Task A_source_file_that_is_not_an_export_is_a_usage_error()
    {
        var path = Path.Combine(Path.GetTempPath(), $"inspections-test-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "a,b\n1,2\n");
        var result = await db.RunAsync("ingest", "--date", "2013-01-31", "--source", path);
        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        result.Error.ShouldContain("is not a full portal CSV export: it lacks the columns 'Inspection ID', 'DBA Name'");
    }
}
