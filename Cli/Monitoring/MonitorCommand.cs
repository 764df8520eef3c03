using System.CommandLine;
using Inspections.Database;
using Inspections.Hosting;
using Inspections.Pipeline;

namespace Inspections.Monitoring;

/// <summary><c>inspections monitor --date D [--fail-on-drift]</c>.</summary>
internal static class MonitorCommand
{
    public static Command Create(CliContext cli, Func<DateOnly, string, PipelineTask> monitor)
    {
        var failOnDrift = FailOnDriftOption();
        return PipelineVerb.Create(cli, "monitor",
            "Compare the day's prediction scores with the selected model's validation scores (PSI, KS, mean shift) and store the result",
            request => monitor(request.Date, request.Source),
            afterRun: (request, _, ct) => DriftExitCodeAsync(cli, request, request.ParseResult.GetValue(failOnDrift), ct),
            extraOptions: failOnDrift);
    }

    public static Option<bool> FailOnDriftOption() => new("--fail-on-drift")
    {
        Description = $"Exit with code {ExitCodes.DriftAlert} when the drift status is alert (for cron)",
    };

    /// <summary>After a green run: the drift line, and the drift exit code when asked for and the status is alert.</summary>
    public static async Task<int> DriftExitCodeAsync(CliContext cli, PipelineRequest request, bool failOnDrift, CancellationToken ct)
    {
        await using var connection = await request.DataSource.OpenConnectionAsync(ct);
        if (await DriftHistory.OnAsync(connection, request.Date, ct) is not { } drift) return ExitCodes.Success;
        var line = $"Drift on {request.Date:yyyy-MM-dd}: {drift.Status} (PSI {drift.Psi:0.0000} over {drift.Bins} reference-quantile bins, KS {drift.Ks:0.0000}, mean shift {drift.MeanShift:+0.0000;-0.0000})";
        cli.Terminal.Out.WriteLine(line);
        if (!failOnDrift || drift.Status != "alert") return ExitCodes.Success;
        // As loud as a failed check: the DAG is green, but cron must see why the exit code is not 0.
        cli.Terminal.Error.WriteLine($"ALERT: {line}");
        cli.Terminal.Error.WriteLine($"  => --fail-on-drift: the drift is at the alert level (Monitoring:PsiAlert {request.Settings.Configuration["Monitoring:PsiAlert"]}, " +
            $"Monitoring:KsAlert {request.Settings.Configuration["Monitoring:KsAlert"]}); see the dashboard's drift section or monitoring.drift.");
        return ExitCodes.DriftAlert;
    }
}
