using System.Globalization;
using Inspections.Database;
using Inspections.Hosting;
using Inspections.Pipeline;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Inspections.Dashboard;

/// <summary>
/// Answers the dashboard's requests from the database: one connection per request, read only. While the database is
/// unavailable every request throws what Npgsql threw (the host answers 503) and the log says why, once per outage.
/// </summary>
internal sealed class DashboardReader(NpgsqlDataSource dataSource,
    Func<DateOnly, CancellationToken, Task<IReadOnlyList<DagNode>>> dag, int recentRuns, ILogger log)
{
    private readonly DatabaseOutage _database = new(dataSource, log);

    /// <summary>The monitored date asked for (the latest when none), or why it cannot be shown.</summary>
    private sealed record Selection(DashboardData.Drift? Drift, int Status, string? Problem);

    public Task<(int Status, string Html)> PageAsync(string? dateText, CancellationToken ct) =>
        _database.ReadAsync(() => ReadPageAsync(dateText, ct));

    public Task<Results<ContentHttpResult, FileContentHttpResult, ProblemHttpResult>> ScoresChartAsync(string? dateText, bool png, CancellationToken ct) =>
        _database.ReadAsync(() => ReadScoresChartAsync(dateText, png, ct));

    public Task<Results<ContentHttpResult, FileContentHttpResult, ProblemHttpResult>> DriftChartAsync(string? dateText, bool png, CancellationToken ct) =>
        _database.ReadAsync(() => ReadDriftChartAsync(dateText, png, ct));

    /// <summary>The DAG of any run date (not only monitored ones); by default the latest monitored date, else today.</summary>
    public Task<Results<ContentHttpResult, ProblemHttpResult>> DagChartAsync(string? dateText, CancellationToken ct) =>
        _database.ReadAsync(() => ReadDagChartAsync(dateText, ct));

    private async Task<(int Status, string Html)> ReadPageAsync(string? dateText, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var history = await DashboardData.DriftHistoryAsync(connection, ct);
        var selection = Select(dateText, history);
        if (selection.Problem is not null)
            return (selection.Status, DashboardPage.Render(new DashboardView { History = history, Problem = selection.Problem }));

        var drift = selection.Drift;
        var model = await DashboardData.ModelCardAsync(connection, drift?.ModelId, ct);
        var view = new DashboardView
        {
            History = history,
            Drift = drift,
            Model = model,
            Bias = model is null ? [] : await DashboardData.BiasAuditAsync(connection, model.ModelId, ct),
            Runs = await RunHistory.LatestAsync(connection, recentRuns, ct),
            DagDate = drift?.Date ?? Dates.ChicagoToday(),
        };
        if (drift is not null)
        {
            var bins = await DashboardData.BinsAsync(connection, drift.Date, ct);
            using var scores = DashboardCharts.Scores(drift, bins, model?.Threshold);
            using var driftPlot = DashboardCharts.DriftOverTime(history, drift.Date);
            view = view with
            {
                ScoresSvg = DashboardPage.InlineSvg(DashboardCharts.Svg(scores, DashboardCharts.ScoresSize), "scores-",
                    $"Histograms of the validation scores and of the predictions of {drift.Date:yyyy-MM-dd}"),
                DriftSvg = DashboardPage.InlineSvg(DashboardCharts.Svg(driftPlot, DashboardCharts.DriftSize), "drift-",
                    "PSI and share labelled fail for every monitored date"),
            };
        }
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
        return (StatusCodes.Status200OK, DashboardPage.Render(view));
    }

    private async Task<Results<ContentHttpResult, FileContentHttpResult, ProblemHttpResult>> ReadScoresChartAsync(string? dateText, bool png, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var selection = Select(dateText, await DashboardData.DriftHistoryAsync(connection, ct));
        if (selection.Drift is not { } drift) return Problem(selection);
        var model = await DashboardData.ModelCardAsync(connection, drift.ModelId, ct);
        using var plot = DashboardCharts.Scores(drift, await DashboardData.BinsAsync(connection, drift.Date, ct), model?.Threshold);
        return Chart(plot, DashboardCharts.ScoresSize, png);
    }

    private async Task<Results<ContentHttpResult, FileContentHttpResult, ProblemHttpResult>> ReadDriftChartAsync(string? dateText, bool png, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var history = await DashboardData.DriftHistoryAsync(connection, ct);
        var selection = Select(dateText, history);
        if (selection.Drift is not { } drift) return Problem(selection);
        using var plot = DashboardCharts.DriftOverTime(history, drift.Date);
        return Chart(plot, DashboardCharts.DriftSize, png);
    }

    private async Task<Results<ContentHttpResult, ProblemHttpResult>> ReadDagChartAsync(string? dateText, CancellationToken ct)
    {
        DateOnly date;
        if (string.IsNullOrWhiteSpace(dateText))
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var history = await DashboardData.DriftHistoryAsync(connection, ct);
            date = history.Count > 0 ? history[^1].Date : Dates.ChicagoToday();
        }
        else if (!TryParse(dateText, out date))
        {
            return TypedResults.Problem(Malformed(dateText), statusCode: StatusCodes.Status400BadRequest);
        }
        return TypedResults.Content(DagSvg.Render(await dag(date, ct)), "image/svg+xml; charset=utf-8");
    }

    private static Results<ContentHttpResult, FileContentHttpResult, ProblemHttpResult> Chart(ScottPlot.Plot plot, (int, int) size, bool png) =>
        png
            ? TypedResults.File(DashboardCharts.Png(plot, size), "image/png")
            : TypedResults.Content(DashboardCharts.Svg(plot, size), "image/svg+xml; charset=utf-8");

    private static ProblemHttpResult Problem(Selection selection) =>
        TypedResults.Problem(selection.Problem ?? "Nothing has been monitored yet.",
            statusCode: selection.Problem is null ? StatusCodes.Status404NotFound : selection.Status);

    private static Selection Select(string? text, IReadOnlyList<DashboardData.Drift> history)
    {
        if (string.IsNullOrWhiteSpace(text)) return new(history.Count > 0 ? history[^1] : null, StatusCodes.Status200OK, null);
        if (!TryParse(text, out var date)) return new(null, StatusCodes.Status400BadRequest, Malformed(text));
        if (history.FirstOrDefault(h => h.Date == date) is { } drift) return new(drift, StatusCodes.Status200OK, null);
        var known = history.Count == 0
            ? "Nothing has been monitored yet."
            : $"Monitored dates run from {history[0].Date:yyyy-MM-dd} to {history[^1].Date:yyyy-MM-dd} ({history.Count} dates).";
        return new(null, StatusCodes.Status404NotFound, $"Nothing was monitored on {date:yyyy-MM-dd}. {known}");
    }

    private static bool TryParse(string text, out DateOnly date) =>
        DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    private static string Malformed(string text) =>
        $"'{(text.Length > 40 ? text[..40] + "…" : text)}' is not a date of the form YYYY-MM-DD.";
}
