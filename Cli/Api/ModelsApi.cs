using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Dapper;
using Inspections.Monitoring;
using Inspections.Training;
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
    [property: Description("The model's id in the registry, as predictions name it.")] string ModelId,
    [property: Description("The run date it was trained at.")] DateOnly TrainedOn,
    [property: Description("The candidate it was, with its settings, e.g. `lightgbm(leaves=8, trees=100)`.")] string Candidate,
    [property: Description("The learning algorithm.")]
    [property: AllowedValues(Candidate.Logistic, Candidate.FastTree, Candidate.LightGbm, Candidate.Baseline)] string Algorithm,
    [property: Description("The algorithm's hyper-parameters, name to value, as training stored them.")] JsonElement HyperParameters,
    [property: Description("First as-of date of its training data.")] DateOnly TrainingWindowStart,
    [property: Description("Last as-of date of its training data.")] DateOnly TrainingWindowEnd,
    [property: Description("How many labelled snapshots it was trained on.")] int TrainingRows,
    [property: Description("Its input features, in the order the model reads them.")] IReadOnlyList<string> Features,
    [property: Description("Validation metrics of each temporal fold (ROC AUC, precision and recall at k, Brier score...), as training stored them.")] JsonElement FoldMetrics,
    [property: Description("The metric the candidates were ranked by, e.g. `precision_at_10`.")] string SelectionMetric,
    [property: Description("Its value for this model, averaged over the folds.")] double SelectionValue,
    [property: Description("The score from which the label is `fail`.")] double Threshold,
    [property: Description("How the threshold was chosen, e.g. `top 10% of the last fold`.")] string ThresholdRule,
    [property: Description("SHA-256 of the stored model bytes, lower-case hex.")] string ModelSha256,
    [property: Description("When it entered the registry (UTC).")] DateTimeOffset CreatedAt,
    [property: Description("Whether the latest stored predictions came from this model.")] bool ServesLatestPredictions,
    [property: Description("The means over the validation folds that realised performance (`/performance`) is set against.")] ValidationSummary Validation);

/// <summary>
/// The model's validation figures, the means over its temporal folds: what the realised performance (<c>/performance</c>)
/// is set against. Null where the folds do not carry the figure.
/// </summary>
internal sealed record ValidationSummary(
    int Folds, double? RocAuc, double? PrecisionAt5, double? PrecisionAt10, double? PrecisionAt20, double? Brier, double? DaysEarlier);

internal static class ModelsApi
{
    private const string LatestModelSql = "select model_id from api.predictions order by prediction_date desc, rank limit 1";

    public static RouteGroupBuilder MapModels(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/models").WithTags("Models");
        group.MapGet("/current", GetCurrentAsync)
            .WithName("GetCurrentModel")
            .WithSummary("The model card of the current model")
            .WithDescription(
                "The model that made the latest predictions, or, when there are none yet, the newest model in the registry: " +
                "algorithm, hyper-parameters, training window, per-fold validation metrics, threshold and the rule that chose it, " +
                "the ordered feature names, and `validation`: the means over the validation folds that realised performance is set against. 404 when the registry is empty.");
        return group;
    }

    private static async Task<Results<Ok<ModelCard>, NotFoundProblem>> GetCurrentAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // The model of the latest predictions; without predictions (or if it left the registry), the newest one.
        var latest = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(LatestModelSql, cancellationToken: ct));
        var entry = (latest is null ? null : await ModelRegistry.EntryAsync(connection, latest, ct))
                    ?? await ModelRegistry.NewestEntryAsync(connection, ct);
        if (entry is null) return Problems.NotFound("No model has been trained yet.");
        return TypedResults.Ok(entry.AsModelCard(servesLatestPredictions: entry.ModelId == latest));
    }

    /// <summary>The card of a registry entry: its JSON columns passed through as JSON, the feature list as a list.</summary>
    public static ModelCard AsModelCard(this RegistryEntry entry, bool servesLatestPredictions) => new(
        entry.ModelId, entry.TrainedOn, entry.Candidate, entry.Algorithm, Json(entry.HyperParameters),
        entry.TrainingWindowStart, entry.TrainingWindowEnd, entry.TrainingRows, entry.FeatureNames(),
        Json(entry.FoldMetrics), entry.SelectionMetric, entry.SelectionValue, entry.Threshold, entry.ThresholdRule,
        entry.ModelSha256, new DateTimeOffset(entry.CreatedAt), servesLatestPredictions, Validation(entry.FoldMetrics));

    private static ValidationSummary Validation(string foldMetrics)
    {
        var v = ValidationFigures.FromFoldMetrics(foldMetrics);
        return new(v.Folds, v.RocAuc, v.PrecisionAt5, v.PrecisionAt10, v.PrecisionAt20, v.Brier, v.DaysEarlier);
    }

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
