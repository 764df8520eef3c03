using System.Net;
using System.Net.Sockets;
using System.Text;
using Inspections.Hosting;
using Inspections.Tests.Infrastructure;
using static Inspections.Tests.Ingest.InspectionCsv;

namespace Inspections.Tests.App;

/// <summary>
/// What an operator meets at the command line: one clear line for a mistake, the exit code named last.
/// </summary>
public sealed class CommandLineTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    public Task InitializeAsync() => db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("rnu", "run")]
    [InlineData("trian", "train")]
    [InlineData("stauts", "status")]
    public async Task A_mistyped_verb_is_one_line_with_the_verb_it_most_likely_meant(string typed, string meant)
    {
        var result = await CliRunner.RunAsync([typed]);

        result.ExitCode.ShouldBe(ExitCodes.UsageError);
        result.ErrorLines.ShouldHaveSingleItem(result.ToString())
            .ShouldBe($"error: '{typed}' is not a verb; did you mean '{meant}'?");
        result.LastErrorLine.ShouldBe("exit code 2 (UsageError)");
    }

    [Fact]
    public async Task A_word_like_no_verb_lists_the_verbs()
    {
        var result = await CliRunner.RunAsync(["xyzzy"]);
        result.ErrorLines.ShouldHaveSingleItem()
            .ShouldStartWith("error: 'xyzzy' is not a verb: ingest, clean, features, train");
    }

    [Theory]
    [InlineData("clean")]
    [InlineData("features")]
    public async Task Every_pipeline_verb_prints_its_help(string verb)
    {
        var result = await CliRunner.RunAsync([verb, "--help"]);

        result.ExitCode.ShouldBe(0, result.ToString());
        result.Out.ShouldContain($" {verb} [options]"); // after the executable's name, which is the test host's here
        result.Out.ShouldContain("--date <yyyy-MM-dd>");
    }

    [Fact]
    public async Task The_help_says_the_date_defaults_to_today_not_in_the_machines_culture()
    {
        var help = (await CliRunner.RunAsync(["run", "--help"])).Out;
        help.ShouldContain("default: today");
        help.ShouldNotContain(
            "[default: " + DateTime.Today.ToString("M/d/yyyy", System.Globalization.CultureInfo.InvariantCulture));
        help.ShouldNotContain(DateTime.Today.ToString("MM/dd/yyyy", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("2014-02-30", "'2014-02-30' is not a date: February 2014 has 28 days")]
    [InlineData("2014-13-01", "'2014-13-01' is not a date: there is no month 13")]
    [InlineData("14-1-1", "'14-1-1' is not a date of the form yyyy-MM-dd")]
    public async Task An_impossible_date_says_what_is_wrong_with_it(string date, string message)
    {
        var result = await db.RunAsync("status", "--date", date);
        result.ExitCode.ShouldBe(ExitCodes.UsageError);
        result.ErrorLines.ShouldHaveSingleItem(result.ToString()).ShouldBe($"error: --date {message}");
    }

    [Theory]
    [InlineData("abc", "error: Cannot parse argument 'abc' for option '--limit' as expected type 'System.Int32'.")]
    [InlineData("0", "error: --limit must be between 1 and 10000")]
    public async Task A_bad_limit_for_runs_is_one_line_not_a_stack_trace(string limit, string message)
    {
        var result = await db.RunAsync("runs", "--limit", limit);

        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        result.ErrorLines.ShouldHaveSingleItem(result.ToString()).ShouldBe(message);
        result.Error.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task A_connection_to_something_that_is_not_postgresql_is_an_unavailable_database()
    {
        // An HTTP server answers PostgreSQL's first message with 'H' (of "HTTP/1.1"), as any web server on a mistyped
        // port does.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var answering = Task.Run(async () =>
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                _ = await stream.ReadAsync(new byte[64]); // the SSL request or startup message: any bytes will do
                await stream.WriteAsync(
                    Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
            }
        });

        var result = await CliRunner.RunAsync(
            ["status", "--connection", $"Host=127.0.0.1;Port={port};Username=x;Password=y;Timeout=3"]);

        result.ExitCode.ShouldBe(ExitCodes.DatabaseUnavailable, result.ToString());
        result.ErrorLines.ShouldHaveSingleItem(result.ToString())
            .ShouldEndWith("what answered there is not a PostgreSQL server");
        result.Error.ShouldNotContain("this is a bug");
        answering.IsFaulted.ShouldBeFalse();
    }

    private static readonly Row[] History =
    [
        At(1, "2013-01-02", "1001"), At(2, "2013-01-05", "1002", "Fail"), At(3, "2013-01-09", "1003"),
        At(4, "2013-01-15", "1001"), At(5, "2013-01-22", "1002"), At(6, "2013-01-29", "1003", "Fail"),
    ];

    private static readonly string[] LenientClean =
        ["--check", "clean.min_fail_share=0", "--check", "clean.max_fail_share=1"];

    [Fact]
    public async Task Status_exits_zero_when_green_and_names_a_red_or_incomplete_dag_by_its_code()
    {
        var export = Write(History);
        (await db.RunAsync(["run", "--until", "clean", "--date", "2013-01-31", "--source", export, .. LenientClean]))
            .ExitCode.ShouldBe(0);

        (await db.RunAsync(["status", "--until", "clean", "--date", "2013-01-31", .. LenientClean]))
            .ExitCode.ShouldBe(0);
        var incomplete = await db.RunAsync(["status", "--until", "features", "--date", "2013-01-31", .. LenientClean]);
        incomplete.ExitCode.ShouldBe(ExitCodes.Incomplete, incomplete.ToString());
        incomplete.LastErrorLine.ShouldBe("exit code 10 (Incomplete)");

        (await db.RunAsync("run", "--until", "clean", "--date", "2013-01-30", "--check", "clean.max_fail_share=0"))
            .ExitCode.ShouldBe(ExitCodes.CheckFailed);
        var red = await db.RunAsync(
            "status", "--until", "clean", "--date", "2013-01-30", "--check", "clean.max_fail_share=0");
        red.ExitCode.ShouldBe(ExitCodes.TaskFailed, red.ToString());
        red.Out.ShouldStartWith("DAG red: 1 complete, 1 failed, 0 not run");
    }

    [Fact]
    public async Task A_backfill_runs_each_date_in_order_stops_at_the_first_failure_and_a_rerun_skips_what_is_done()
    {
        var export = Write(History);
        var backfill = (string[])["run", "--until", "clean", "--from", "2013-01-07", "--to", "2013-01-28",
            "--every", "week", "--source", export];

        var failed = await db.RunAsync([.. backfill, "--check", "clean.max_fail_share=0"]);
        failed.ExitCode.ShouldBe(ExitCodes.CheckFailed, failed.ToString());
        failed.Out.ShouldContain("== 2013-01-07 (1 of 4)");
        failed.Out.ShouldNotContain("== 2013-01-14");
        failed.Out.ShouldContain("Stopped at 2013-01-07: 3 later dates not run");
        (await db.ScalarAsync<long>("select count(*) from pipeline.task_runs where task = 'clean'")).ShouldBe(1);

        var first = await db.RunAsync([.. backfill, .. LenientClean]);
        first.ExitCode.ShouldBe(0, first.ToString());
        foreach (var date in (string[])["2013-01-07", "2013-01-14", "2013-01-21", "2013-01-28"])
            first.Out.ShouldContain($"ran      clean(date={date}, source={export}; check.");
        (await db.ScalarAsync<string>(
                "select string_agg(parameters->>'date', ',' order by finished_at) from pipeline.task_metadata " +
                "where task = 'clean'"))
            .ShouldBe("2013-01-07,2013-01-14,2013-01-21,2013-01-28");

        var again = await db.RunAsync([.. backfill, .. LenientClean]);
        again.ExitCode.ShouldBe(0, again.ToString());
        again.Out.Split('\n')
            .Count(l => l.StartsWith("DAG green: everything already complete", StringComparison.Ordinal))
            .ShouldBe(4);
    }

    [Fact]
    public async Task A_backfill_needs_its_first_date_and_an_order()
    {
        (await db.RunAsync("run", "--to", "2013-01-28")).ErrorLines.ShouldHaveSingleItem()
            .ShouldBe("error: --to needs --from (the first date of the backfill)");
        (await db.RunAsync("run", "--from", "2013-02-28", "--to", "2013-01-28", "--source", Write(History)))
            .ErrorLines.ShouldHaveSingleItem()
            .ShouldBe("error: --from 2013-02-28 is after --to 2013-01-28");
    }

    [Fact]
    public async Task Runs_filter_by_task_date_and_state()
    {
        var export = Write(History);
        (await db.RunAsync(["run", "--until", "clean", "--date", "2013-01-31", "--source", export, .. LenientClean]))
            .ExitCode.ShouldBe(0);
        (await db.RunAsync("run", "--until", "clean", "--date", "2013-01-30", "--check", "clean.max_fail_share=0"))
            .ExitCode.ShouldBe(ExitCodes.CheckFailed);

        var failedCleans = await db.RunAsync("runs", "--task", "clean", "--state", "failed");
        failedCleans.ExitCode.ShouldBe(0, failedCleans.ToString());
        var headlines = failedCleans.Out.Split('\n').Where(l => l.Length > 0 && !l.StartsWith(' ')).ToList();
        headlines.ShouldHaveSingleItem().ShouldContain("FAILED clean(date=2013-01-30");

        var ofDate = (await db.RunAsync("runs", "--date", "2013-01-31")).Out.Split('\n')
            .Where(l => l.Length > 0 && !l.StartsWith(' ')).ToList();
        ofDate.Count.ShouldBe(2);
        ofDate.ShouldAllBe(l => l.Contains("(date=2013-01-31"));
        (await db.RunAsync("runs", "--task", "predict")).Out.Trim().ShouldBe("No runs match.");
    }
}
