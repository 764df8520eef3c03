using System.Text.RegularExpressions;
using Inspections.Hosting;
using Inspections.Tests.Infrastructure;
using Inspections.Tests.Reliability;

namespace Inspections.Tests.App;

/// <summary>The executable as cron runs it: output to a file, so every line says when it was written.</summary>
[Collection(SamplePipeline.Collection)]
public sealed partial class CronOutputTests(SamplePipeline sample)
{
    [Fact]
    public async Task Every_line_cron_logs_starts_with_an_iso_8601_time_and_a_failure_ends_with_its_code()
    {
        await using var run = sample.Start(
            "predict", "--date", SamplePipeline.FirstRun, "--check", "predict.max_score=-1");
        var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(2));

        exit.ShouldBe(ExitCodes.CheckFailed, run.ToString());
        var lines = (run.RawOut + run.RawError).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBeGreaterThan(10);
        lines.ShouldAllBe(line => Stamp().IsMatch(line), run.ToString());
        run.RawError.TrimEnd().Split('\n')[^1].ShouldEndWith("Z exit code 3 (CheckFailed)");
    }

    [Fact]
    public async Task A_drift_alert_under_fail_on_drift_is_announced_like_a_failed_check()
    {
        // A date of this test's own; every PSI is at least 0, so with the alert level there its drift is an alert.
        const string date = "2014-08-18";
        var result = await CliRunner.RunAsync(
            ["run", "--date", date, "--source", SamplePipeline.Sample, "--fail-on-drift"],
            new(sample.Config) { ["Monitoring:PsiAlert"] = "0" });

        result.ExitCode.ShouldBe(ExitCodes.DriftAlert, result.ToString());
        result.Out.ShouldContain("DAG green: 7 ran"); // ingest, clean, features, predict, store-api, evaluate, monitor
        result.Error.ShouldContain($"ALERT: Drift on {date}: alert (scores alert: PSI");
        result.Error.ShouldContain("=> --fail-on-drift: at the alert level: scores (Monitoring:PsiAlert 0");
        result.LastErrorLine.ShouldBe("exit code 6 (DriftAlert)");
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")]
    private static partial Regex Stamp();
}
