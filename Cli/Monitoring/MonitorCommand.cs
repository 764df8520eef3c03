using System.CommandLine;
using Inspections.Database;
using Inspections.Hosting;
using Inspections.Pipeline;
using Npgsql;

namespace Inspections.Monitoring;

/// <summary><c>inspections monitor --date D [--fail-on-drift]</c>.</summary>
internal static class MonitorCommand
{
    public static Command Create(CliContext cli, Func<DateOnly, string, PipelineTask> monitor)
    {
        var failOnDrift = FailOnDriftOption();
        return PipelineVerb.Create(cli, "monitor",
            "Compare the day's cohort with the selected model's reference cohort " +
            "(scores: PSI, KS, mean shift; every model feature: PSI), " +
            "read the realised performance evaluate recorded, and store the result",
            request => monitor(request.Date, request.Source),
            afterRun: (request, _, ct) =>
                DriftExitCodeAsync(cli, request, request.ParseResult.GetValue(failOnDrift), ct),
            extraOptions: failOnDrift);
    }

    public static Option<bool> FailOnDriftOption() => new("--fail-on-drift")
    {
        Description = $"Exit with code {ExitCodes.DriftAlert} when the monitoring status " +
            "(scores, features or realised performance) is alert (for cron)",
    };

    /// <summary>
    /// After a green run: the drift lines (scores, the most drifted features, realised performance), and the drift
    /// exit code when asked for and the status is alert.
    /// </summary>
    public static async Task<int> DriftExitCodeAsync(
        CliContext cli,
        PipelineRequest request,
        bool failOnDrift,
        CancellationToken ct)
    {
        await using var connection = await request.DataSource.OpenConnectionAsync(ct);
        if (await DriftHistory.OnAsync(connection, request.Date, ct) is not { } drift) return ExitCodes.Success;
        var settings = MonitoringSettings.From(request.Settings);
        var line = $"Drift on {request.Date:yyyy-MM-dd}: {drift.Status} (scores {drift.ScoreStatus}: " +
                   $"PSI {drift.Psi:0.0000} over {drift.Bins} reference-quantile bins, " +
                   $"KS {drift.Ks:0.0000}, " +
                   $"mean shift {Math.Round(drift.MeanShift, 4) + 0.0:+0.0000;-0.0000;0.0000}; " +
                   $"features {drift.FeatureStatus}; realised performance {drift.PerformanceStatus})";
        cli.Terminal.Out.WriteLine(line);
        var features = await DriftHistory.FeaturesAsync(connection, request.Date, ct);
        if (features.Count > 0)
            // The counted ones first: they set the status; those shown only follow when room is left.
            cli.Terminal.Out.WriteLine("  Most drifted features: " + string.Join(", ", features
                .OrderByDescending(f => f.Counted).ThenByDescending(f => f.Psi)
                .Take(Math.Max(1, settings.FeaturesShown))
                .Select(f => $"{f.Feature} PSI {f.Psi:0.000}{(f.JsDivergence is { } js ? $" JS {js:0.000}" : "")} " +
                             $"(reference's own {f.ReferencePsi:0.000}) " +
                             (f.Counted ? f.Status : "not counted"))));
        await WritePerformanceAsync(cli, connection, request.Date, ct);
        if (!failOnDrift || drift.Status != "alert") return ExitCodes.Success;
        // As loud as a failed check: the DAG is green, but cron must see why the exit code is not 0.
        cli.Terminal.Error.WriteLine($"ALERT: {line}");
        var why = new List<string>();
        if (drift.ScoreStatus == "alert")
            why.Add($"scores (Monitoring:PsiAlert {settings.PsiAlert}, Monitoring:KsAlert {settings.KsAlert})");
        if (drift.FeatureStatus == "alert")
        {
            var alerting = features.Where(f => f.Counted && f.Status == "alert").Select(f => f.Feature);
            why.Add($"features {string.Join(", ", alerting)} (Monitoring:FeaturePsiAlert {settings.FeaturePsiAlert}, " +
                    $"or Monitoring:FeatureSpreadAlertFactor {settings.FeatureSpreadAlertFactor} " +
                    "x the reference's own spread)");
        }
        if (drift.PerformanceStatus == "alert")
            why.Add($"realised performance (Monitoring:AucAlertMargin {settings.AucAlertMargin}, " +
                    $"Monitoring:PrecisionAlertMargin {settings.PrecisionAlertMargin} below validation)");
        cli.Terminal.Error.WriteLine($"  => --fail-on-drift: at the alert level: {string.Join("; ", why)}; " +
            "see the dashboard's drift section or monitoring.drift.");
        return ExitCodes.DriftAlert;
    }

    /// <summary>
    /// After a green evaluate: the dates it measured, and the drift exit code when asked for and one is at alert.
    /// </summary>
    public static async Task<int> PerformanceExitCodeAsync(
        CliContext cli,
        PipelineRequest request,
        bool failOnDrift,
        CancellationToken ct)
    {
        await using var connection = await request.DataSource.OpenConnectionAsync(ct);
        var evaluated = await WritePerformanceAsync(cli, connection, request.Date, ct);
        if (!failOnDrift || !evaluated.Any(e => e.Status == "alert")) return ExitCodes.Success;
        var settings = MonitoringSettings.From(request.Settings);
        var alerting = evaluated.Where(e => e.Status == "alert").Select(e => Dates.Text(e.PredictionDate));
        cli.Terminal.Error.WriteLine($"ALERT: realised performance of {string.Join(", ", alerting)} " +
            $"is below validation by Monitoring:AucAlertMargin {settings.AucAlertMargin} " +
            $"or Monitoring:PrecisionAlertMargin {settings.PrecisionAlertMargin} or more");
        return ExitCodes.DriftAlert;
    }

    private static async Task<IReadOnlyList<PerformanceRecord>> WritePerformanceAsync(
        CliContext cli,
        NpgsqlConnection connection,
        DateOnly date,
        CancellationToken ct)
    {
        var evaluated = await PerformanceHistory.EvaluatedOnAsync(connection, date, ct);
        foreach (var p in evaluated)
            cli.Terminal.Out.WriteLine(
                $"Realised performance of {p.PredictionDate:yyyy-MM-dd} " +
                $"(outcomes to {p.WindowEnd.AddDays(-1):yyyy-MM-dd}): {p.Status}: " +
                $"{p.Evaluated:N0} of {p.Predicted:N0} inspected, fail rate {Percent(p.FailRate)}, " +
                $"ROC AUC {Number(p.RocAuc)} (validation {Number(p.ValidationRocAuc)}), " +
                $"P@10% {Percent(p.PrecisionAt10)} (validation {Percent(p.ValidationPrecisionAt10)}), " +
                $"lift {Number(p.LiftAt10, "0.00")}, days earlier {Number(p.DaysEarlier, "0.0")}");
        return evaluated;
    }

    private static string Number(double? value, string format = "0.000") =>
        value is { } v ? v.ToString(format, System.Globalization.CultureInfo.InvariantCulture) : "n/a";

    private static string Percent(double? value) => Number(value * 100, "0.0") is var s && s != "n/a" ? s + "%" : s;
}
