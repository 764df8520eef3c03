using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Inspections.Hosting;
using Inspections.Monitoring;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Npgsql;

namespace Inspections.Api;

/// <summary>
/// How one prediction date's scores did once its label window closed, beside the model's validation figures.
/// Rates are shares (0..1); a figure is null where undefined (e.g. AUC when every outcome was a pass).
/// </summary>
internal sealed record RealisedPerformanceItem(
    [property: Description("The prediction date evaluated.")] DateOnly PredictionDate,
    [property: Description("The run date of the evaluate task that recorded it.")] DateOnly EvaluatedOn,
    [property: Description("The model whose scores these were.")] string ModelId,
    [property: Description("The last day of the label window: outcomes up to it count.")] DateOnly WindowEnd,
    [property: Description("Establishments scored that day.")] int Predicted,
    [property: Description("Of those, how many had a pass or fail inspection in the window.")] int Evaluated,
    [property: Description("Of the evaluated, how many failed.")] int Fails,
    [property: Description("Fails / evaluated.")] double? FailRate,
    [property: Description("ROC AUC of the scores against the outcomes; null when all outcomes are alike.")]
    double? RocAuc,
    [property: Description("Share of failures among the top 5% of scores (ties in expectation).")] double? PrecisionAt5,
    [property: Description("Share of failures among the top 10% of scores.")] double? PrecisionAt10,
    [property: Description("Share of failures among the top 20% of scores.")] double? PrecisionAt20,
    [property: Description("Precision at 10% over the fail rate.")] double? LiftAt10,
    [property: Description("How many days sooner, on average, failures would be found inspecting in score order.")]
    double? DaysEarlier,
    [property: Description("Brier score of the scores as probabilities (lower is better).")] double? Brier,
    [property: Description("The model's mean validation ROC AUC over its folds.")] double? ValidationRocAuc,
    [property: Description("The model's mean validation precision at 10%.")] double? ValidationPrecisionAt10,
    [property: Description("The model's mean validation days earlier.")] double? ValidationDaysEarlier,
    [property: Description("ok, warn or alert: realised against validation, by the configured margins.")]
    [property: AllowedValues("ok", "warn", "alert")] string Status);

/// <summary>
/// A prediction date's realised performance with its calibration: mean score against observed fail rate per score
/// decile.
/// </summary>
internal sealed record RealisedPerformanceDetail(
    [property: Description("The date's realised figures.")] RealisedPerformanceItem Performance,
    [property: Description("Per score decile (1 = the lowest scores): rows, mean score and observed fail rate.")]
    IReadOnlyList<CalibrationBin> Calibration);

internal static class PerformanceEndpoints
{
    public static RouteGroupBuilder MapPerformance(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/performance").WithTags("Performance");
        group.MapGet("", GetAllAsync)
            .WithName("GetRealisedPerformance")
            .WithSummary("Realised performance of every evaluated prediction date")
            .WithDescription(
                "Newest first: for each prediction date whose label window has closed, the establishments inspected " +
                "in the window (their first pass/fail inspection), fail rate, ROC AUC, precision at 5/10/20%, lift " +
                "at 10%, days earlier and Brier score, next to the model's validation means; `status` is ok, warn or " +
                "alert by the configured margins below validation, or too-few when too few outcomes arrived to say.");
        group.MapGet("/{date}", GetOneAsync)
            .WithParameterProblems()
            .WithName("GetRealisedPerformanceOfDate")
            .WithSummary("Realised performance and calibration of one prediction date")
            .WithDescription(
                "The figures of one evaluated prediction date and its calibration by score decile (decile 1 = the " +
                "lowest scores). 400 for a malformed date; 404 when that date has not been evaluated (yet).");
        return group;
    }

    private static async Task<Ok<IReadOnlyList<RealisedPerformanceItem>>> GetAllAsync(
        NpgsqlDataSource db,
        CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var all = await PerformanceHistory.AllAsync(connection, ct);
        return TypedResults.Ok<IReadOnlyList<RealisedPerformanceItem>>([.. all.Reverse().Select(AsItem)]);
    }

    private static async Task<Results<Ok<RealisedPerformanceDetail>, ValidationProblem, NotFoundProblem>> GetOneAsync(
        [Description("Prediction date, yyyy-MM-dd (Chicago local date).")] DateParameter date,
        NpgsqlDataSource db,
        CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var record = (await PerformanceHistory.AllAsync(connection, ct))
            .FirstOrDefault(p => p.PredictionDate == date.Value);
        if (record is null)
            return Problems.NotFound(
                $"The predictions of {Dates.Text(date.Value)} have not been evaluated " +
                "(their label window may not have closed).");
        return TypedResults.Ok(new RealisedPerformanceDetail(
            AsItem(record),
            await PerformanceHistory.CalibrationAsync(connection, date.Value, ct)));
    }

    private static RealisedPerformanceItem AsItem(PerformanceRecord p) => new(
        p.PredictionDate, p.EvaluatedOn, p.ModelId, p.WindowEnd, p.Predicted, p.Evaluated, p.Fails, p.FailRate,
        p.RocAuc, p.PrecisionAt5, p.PrecisionAt10, p.PrecisionAt20, p.LiftAt10, p.DaysEarlier, p.Brier,
        p.ValidationRocAuc, p.ValidationPrecisionAt10, p.ValidationDaysEarlier, p.Status);
}
