using System.ComponentModel;
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
    DateOnly PredictionDate, DateOnly EvaluatedOn, string ModelId, DateOnly WindowEnd, int Predicted, int Evaluated, int Fails,
    double? FailRate, double? RocAuc, double? PrecisionAt5, double? PrecisionAt10, double? PrecisionAt20, double? LiftAt10,
    double? DaysEarlier, double? Brier, double? ValidationRocAuc, double? ValidationPrecisionAt10, double? ValidationDaysEarlier,
    string Status);

/// <summary>A prediction date's realised performance with its calibration: mean score against observed fail rate per score decile.</summary>
internal sealed record RealisedPerformanceDetail(RealisedPerformanceItem Performance, IReadOnlyList<CalibrationBin> Calibration);

internal static class PerformanceEndpoints
{
    public static RouteGroupBuilder MapPerformance(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/performance").WithTags("Performance");
        group.MapGet("", GetAllAsync)
            .WithName("GetRealisedPerformance")
            .WithSummary("Realised performance of every evaluated prediction date")
            .WithDescription(
                "Newest first: for each prediction date whose label window has closed, the establishments inspected in the window " +
                "(their first pass/fail inspection), fail rate, ROC AUC, precision at 5/10/20%, lift at 10%, days earlier and Brier score, " +
                "next to the model's validation means; `status` is ok, warn or alert by the configured margins below validation, " +
                "or too-few when too few outcomes arrived to say.");
        group.MapGet("/{date}", GetOneAsync)
            .WithParameterProblems()
            .WithName("GetRealisedPerformanceOfDate")
            .WithSummary("Realised performance and calibration of one prediction date")
            .WithDescription("The figures of one evaluated prediction date and its calibration by score decile (decile 1 = the lowest scores). " +
                             "400 for a malformed date; 404 when that date has not been evaluated (yet).");
        return group;
    }

    private static async Task<Ok<IReadOnlyList<RealisedPerformanceItem>>> GetAllAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var all = await PerformanceHistory.AllAsync(connection, ct);
        return TypedResults.Ok<IReadOnlyList<RealisedPerformanceItem>>([.. all.Reverse().Select(AsItem)]);
    }

    private static async Task<Results<Ok<RealisedPerformanceDetail>, ValidationProblem, NotFoundProblem>> GetOneAsync(
        [Description("Prediction date, yyyy-MM-dd (Chicago local date).")] DateParameter date, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var record = (await PerformanceHistory.AllAsync(connection, ct)).FirstOrDefault(p => p.PredictionDate == date.Value);
        if (record is null) return Problems.NotFound($"The predictions of {Dates.Text(date.Value)} have not been evaluated (their label window may not have closed).");
        return TypedResults.Ok(new RealisedPerformanceDetail(AsItem(record), await PerformanceHistory.CalibrationAsync(connection, date.Value, ct)));
    }

    private static RealisedPerformanceItem AsItem(PerformanceRecord p) => new(
        p.PredictionDate, p.EvaluatedOn, p.ModelId, p.WindowEnd, p.Predicted, p.Evaluated, p.Fails, p.FailRate, p.RocAuc, p.PrecisionAt5,
        p.PrecisionAt10, p.PrecisionAt20, p.LiftAt10, p.DaysEarlier, p.Brier, p.ValidationRocAuc, p.ValidationPrecisionAt10,
        p.ValidationDaysEarlier, p.Status);
}
