using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Npgsql;

namespace Inspections.Api;

/// <summary>
/// A model card from the registry. <c>HyperParameters</c> and <c>FoldMetrics</c> are passed through as the
/// training stage stored them; <c>ServesLatestPredictions</c> says whether the latest predictions came from it.
/// </summary>
internal sealed record ModelCard(
    string ModelId, DateOnly TrainedOn, string Candidate, string Algorithm, JsonElement HyperParameters,
    DateOnly TrainingWindowStart, DateOnly TrainingWindowEnd, int TrainingRows, IReadOnlyList<string> Features,
    JsonElement FoldMetrics, string SelectionMetric, double SelectionValue, double Threshold, string ThresholdRule,
    string ModelSha256, DateTimeOffset CreatedAt, bool ServesLatestPredictions);

internal static class ModelsApi
{
    // The model of the latest predictions first; without predictions (or if it left the registry), the newest row.
    private const string CurrentSql = """
        with latest as (
            select model_id from api.predictions order by prediction_date desc, rank limit 1
        )
        select r.model_id, r.trained_on, r.candidate, r.algorithm, r.hyper_parameters::text as hyper_parameters,
               r.training_window_start, r.training_window_end, r.training_rows, r.features::text as features,
               r.fold_metrics::text as fold_metrics, r.selection_metric, r.selection_value, r.threshold, r.threshold_rule,
               r.model_sha256, r.created_at, coalesce(r.model_id = (select model_id from latest), false) as serves_latest
        from models.registry r
        order by serves_latest desc, r.trained_on desc, r.created_at desc
        limit 1
        """;

    public static RouteGroupBuilder MapModels(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/models").WithTags("Models");
        group.MapGet("/current", GetCurrentAsync)
            .WithName("GetCurrentModel")
            .WithSummary("The model card of the current model")
            .WithDescription(
                "The model that made the latest predictions, or, when there are none yet, the newest model in the registry: " +
                "algorithm, hyper-parameters, training window, per-fold validation metrics, threshold and the rule that chose it, " +
                "and the ordered feature names. 404 when the registry is empty.");
        return group;
    }

    private static async Task<Results<Ok<ModelCard>, NotFoundProblem>> GetCurrentAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<RegistryRow>(new CommandDefinition(CurrentSql, cancellationToken: ct));
        if (row is null) return Problems.NotFound("No model has been trained yet.");
        return TypedResults.Ok(new ModelCard(
            row.model_id, row.trained_on, row.candidate, row.algorithm, Json(row.hyper_parameters),
            row.training_window_start, row.training_window_end, row.training_rows,
            JsonSerializer.Deserialize(row.features, ApiJson.Default.IReadOnlyListString) ?? [],
            Json(row.fold_metrics), row.selection_metric, row.selection_value, row.threshold, row.threshold_rule,
            row.model_sha256, new DateTimeOffset(row.created_at), row.serves_latest));
    }

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    // Column names as they are, so the mapping is visible here and not in a global Dapper setting.
    private sealed record RegistryRow(
        string model_id, DateOnly trained_on, string candidate, string algorithm, string hyper_parameters,
        DateOnly training_window_start, DateOnly training_window_end, int training_rows, string features,
        string fold_metrics, string selection_metric, double selection_value, double threshold, string threshold_rule,
        string model_sha256, DateTime created_at, bool serves_latest);
}
