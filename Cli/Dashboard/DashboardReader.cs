using Inspections.Database;
using Inspections.Hosting;
using Inspections.Monitoring;
using Inspections.Pipeline;
using Inspections.Serving;
using Inspections.Training;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Inspections.Dashboard;

/// <summary>
/// Answers the dashboard's requests from the database: one connection per request, read only. While the database is
/// unavailable every request throws what Npgsql threw (the host answers 503) and the log says why, once per outage.
/// </summary>
internal sealed class DashboardReader(
    NpgsqlDataSource dataSource,
    Func<DateOnly, CancellationToken, Task<IReadOnlyList<DagNode>>> dag,
    DashboardSettings settings,
    ILogger log)
{
    private readonly DatabaseOutage _database = new(dataSource, log);

    /// <summary>The monitored date asked for (the latest when none), or why it cannot be shown.</summary>
    private sealed record Selection(DriftRecord? Drift, int Status, string? Problem);

    public Task<(int Status, DashboardView View)> PageAsync(string? dateText, bool allRuns, CancellationToken ct) =>
        _database.ReadAsync(() => ReadPageAsync(dateText, allRuns, ct));

    public Task<Results<ContentHttpResult, FileContentHttpResult, ProblemHttpResult>> ScoresChartAsync(
        string? dateText,
        bool png,
        CancellationToken ct) =>
        _database.ReadAsync(() => ReadScoresChartAsync(dateText, png, ct));

    public Task<Results<ContentHttpResult, FileContentHttpResult, ProblemHttpResult>> DriftChartAsync(
        string? dateText,
        bool png,
        CancellationToken ct) =>
        _database.ReadAsync(() => ReadDriftChartAsync(dateText, png, ct));

    /// <summary>
    /// The DAG of any run date (not only monitored ones); by default the latest monitored date, else today.
    /// </summary>
    public Task<Results<ContentHttpResult, ProblemHttpResult>> DagChartAsync(string? dateText, CancellationToken ct) =>
        _database.ReadAsync(() => ReadDagChartAsync(dateText, ct));

    private async Task<(int Status, DashboardView View)> ReadPageAsync(
        string? dateText,
        bool allRuns,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var history = await DriftHistory.AllAsync(connection, ct);
        var selection = Select(dateText, history);
        if (selection.Problem is not null)
            return (selection.Status, new DashboardView { History = history, Problem = selection.Problem });

        var drift = selection.Drift;
        var model = await ModelOfAsync(connection, drift, ct);
        var dagDate = drift?.MonitorDate ?? Dates.ChicagoToday();
        // The runs of the date shown (its tasks' instances); every run when asked for.
        var runsFilter = allRuns || drift is null
            ? RunHistory.Filter.None
            : RunHistory.Filter.None with { Date = dagDate };
        var view = new DashboardView
        {
            History = history,
            Drift = drift,
            Model = model,
            ModelInUse = drift is null ? null : await ServedModel.OfDayAsync(connection, drift.MonitorDate, ct),
            Pin = await ModelPins.CurrentAsync(connection, null, ct),
            Bias = model is null ? [] : await BiasAudit.ReadAsync(connection, model.ModelId, ct),
            BiasMinGroupSize = settings.BiasMinGroupSize,
            Runs = await RunHistory.LatestAsync(connection, runsFilter,
                allRuns ? settings.AllRuns : settings.RecentRuns, ct),
            RunsOfDate = allRuns || drift is null ? null : dagDate,
            DagDate = dagDate,
        };
        if (drift is not null)
        {
            var histograms = await DriftHistory.HistogramsAsync(connection, drift.MonitorDate, ct);
            var featureHistory = await DriftHistory.FeatureHistoryAsync(connection, ct);
            using var scores = DashboardCharts.Scores(drift, histograms, model?.Threshold);
            using var driftPlot = DashboardCharts.DriftOverTime(history, featureHistory, drift.MonitorDate);
            using var failPlot = DashboardCharts.FailShareOverTime(history, drift.MonitorDate);
            view = view with
            {
                Features = await DriftHistory.FeaturesAsync(connection, drift.MonitorDate, ct),
                ScoresSvg = DashboardCharts.Inline(DashboardCharts.Svg(scores, DashboardCharts.ScoresSize), "scores-",
                    "Histograms of the reference cohort's scores and of the predictions of " +
                    $"{drift.MonitorDate:yyyy-MM-dd}"),
                DriftSvg = DashboardCharts.Inline(DashboardCharts.Svg(driftPlot, DashboardCharts.DriftSize), "drift-",
                    "PSI of the scores and of the most drifted feature for every monitored date, " +
                    "with the warn and alert levels"),
                FailShareSvg = DashboardCharts.Inline(DashboardCharts.Svg(failPlot, DashboardCharts.FailShareSize),
                    "fail-",
                    "Share labelled fail in the predictions and in the reference cohort for every monitored date"),
            };
        }
        view = await WithPerformanceAsync(connection, view, drift?.MonitorDate, ct);
        try
        {
            view = view with { DagSvg = DagSvg.Render(await dag(view.DagDate, ct)) };
        }
        catch (Exception e) when (e is not OperationCanceledException && !DatabaseErrors.IsUnavailable(e))
        {
            // The message may quote the server or name a path: it is for the log, not the page.
            log.LogError(e, "reading the DAG for {Date} failed", view.DagDate);
            view = view with { DagError = "the server's log has the details" };
        }
        return (StatusCodes.Status200OK, view);
    }

    /// <summary>
    /// Realised performance evaluated by the date shown (all of it when nothing is monitored), and the calibration of
    /// the newest.
    /// </summary>
    private async Task<DashboardView> WithPerformanceAsync(
        NpgsqlConnection connection,
        DashboardView view,
        DateOnly? date,
        CancellationToken ct)
    {
        var performance = (await PerformanceHistory.AllAsync(connection, ct))
            .Where(p => date is null || p.EvaluatedOn <= date)
            .ToList();
        if (performance.Count == 0) return view with { Performance = performance };
        var monitoring = settings.Monitoring;
        using var auc = DashboardCharts.PerformanceOverTime(performance, "roc_auc",
            monitoring.AucWarnMargin, monitoring.AucAlertMargin);
        using var precision = DashboardCharts.PerformanceOverTime(performance, "precision_at_10",
            monitoring.PrecisionWarnMargin, monitoring.PrecisionAlertMargin);
        var latest = performance.LastOrDefault(p => p.Status != "too-few") ?? performance[^1];
        using var calibration = DashboardCharts.Calibration(latest,
            await PerformanceHistory.CalibrationAsync(connection, latest.PredictionDate, ct));
        return view with
        {
            Performance = performance,
            CalibrationOf = latest,
            AucSvg = DashboardCharts.Inline(DashboardCharts.Svg(auc, DashboardCharts.PerformanceSize), "auc-",
                "Realised ROC AUC per prediction date against the validation mean"),
            PrecisionSvg = DashboardCharts.Inline(
                DashboardCharts.Svg(precision, DashboardCharts.PerformanceSize), "p10-",
                "Realised precision at 10% per prediction date against the validation mean"),
            CalibrationSvg = DashboardCharts.Inline(
                DashboardCharts.Svg(calibration, DashboardCharts.CalibrationSize), "cal-",
                $"Calibration by score decile of the predictions of {latest.PredictionDate:yyyy-MM-dd}"),
        };
    }

    private async Task<Results<ContentHttpResult, FileContentHttpResult, ProblemHttpResult>> ReadScoresChartAsync(
        string? dateText,
        bool png,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var selection = Select(dateText, await DriftHistory.AllAsync(connection, ct));
        if (selection.Drift is not { } drift) return Problem(selection);
        var model = await ModelRegistry.EntryAsync(connection, drift.ModelId, ct);
        using var plot = DashboardCharts.Scores(drift,
            await DriftHistory.HistogramsAsync(connection, drift.MonitorDate, ct), model?.Threshold);
        return Chart(plot, DashboardCharts.ScoresSize, png);
    }

    private async Task<Results<ContentHttpResult, FileContentHttpResult, ProblemHttpResult>> ReadDriftChartAsync(
        string? dateText,
        bool png,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var history = await DriftHistory.AllAsync(connection, ct);
        var selection = Select(dateText, history);
        if (selection.Drift is not { } drift) return Problem(selection);
        using var plot = DashboardCharts.DriftOverTime(history,
            await DriftHistory.FeatureHistoryAsync(connection, ct), drift.MonitorDate);
        return Chart(plot, DashboardCharts.DriftSize, png);
    }

    private async Task<Results<ContentHttpResult, ProblemHttpResult>> ReadDagChartAsync(
        string? dateText,
        CancellationToken ct)
    {
        DateOnly date;
        if (string.IsNullOrWhiteSpace(dateText))
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var history = await DriftHistory.AllAsync(connection, ct);
            date = history.Count > 0 ? history[^1].MonitorDate : Dates.ChicagoToday();
        }
        else if (!Dates.TryParse(dateText, out date, out _))
        {
            return TypedResults.Problem(DateParameter.Problem(dateText), statusCode: StatusCodes.Status400BadRequest);
        }
        return TypedResults.Content(DagSvg.Render(await dag(date, ct)), "image/svg+xml; charset=utf-8");
    }

    private static Results<ContentHttpResult, FileContentHttpResult, ProblemHttpResult> Chart(
        ScottPlot.Plot plot,
        (int, int) size,
        bool png) =>
        png
            ? TypedResults.File(DashboardCharts.Png(plot, size), "image/png")
            : TypedResults.Content(DashboardCharts.Svg(plot, size), "image/svg+xml; charset=utf-8");

    private static ProblemHttpResult Problem(Selection selection) =>
        TypedResults.Problem(selection.Problem ?? "Nothing has been monitored yet.",
            statusCode: selection.Problem is null ? StatusCodes.Status404NotFound : selection.Status);

    /// <summary>
    /// The model monitored on that date, or (nothing monitored yet) the newest model in the registry.
    /// </summary>
    private static Task<RegistryEntry?> ModelOfAsync(
        NpgsqlConnection connection,
        DriftRecord? drift,
        CancellationToken ct) =>
        drift is null
            ? ModelRegistry.NewestEntryAsync(connection, ct)
            : ModelRegistry.EntryAsync(connection, drift.ModelId, ct);

    private static Selection Select(string? text, IReadOnlyList<DriftRecord> history)
    {
        if (string.IsNullOrWhiteSpace(text))
            return new(history.Count > 0 ? history[^1] : null, StatusCodes.Status200OK, null);
        if (!Dates.TryParse(text, out var date, out _))
            return new(null, StatusCodes.Status400BadRequest, DateParameter.Problem(text));
        if (history.FirstOrDefault(h => h.MonitorDate == date) is { } drift)
            return new(drift, StatusCodes.Status200OK, null);
        var known = history.Count == 0
            ? "Nothing has been monitored yet."
            : $"Monitored dates run from {history[0].MonitorDate:yyyy-MM-dd} " +
              $"to {history[^1].MonitorDate:yyyy-MM-dd} ({history.Count} dates).";
        return new(null, StatusCodes.Status404NotFound, $"Nothing was monitored on {date:yyyy-MM-dd}. {known}");
    }
}
