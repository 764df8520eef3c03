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
    [property: Description("The candidate it was, with its settings, e.g. `lightgbm(leaves=8, trees=100)`.")]
    string Candidate,
    [property: Description("The learning algorithm.")]
    [property: AllowedValues(Candidate.Logistic, Candidate.FastTree, Candidate.LightGbm, Candidate.Baseline)]
    string Algorithm,
    [property: Description("The algorithm's hyper-parameters, name to value, as training stored them.")]
    JsonElement HyperParameters,
    [property: Description("First as-of date of its training data.")] DateOnly TrainingWindowStart,
    [property: Description("Last as-of date of its training data.")] DateOnly TrainingWindowEnd,
    [property: Description("How many labelled snapshots it was trained on.")] int TrainingRows,
    [property: Description("Its input features, in the order the model reads them.")]
    IReadOnlyList<string> Features,
    [property: Description(
        "Validation metrics of each temporal fold (ROC AUC, precision and recall at k, Brier score...), " +
        "as training stored them.")]
    JsonElement FoldMetrics,
    [property: Description("The metric the candidates were ranked by, e.g. `precision_at_10`.")]
    string SelectionMetric,
    [property: Description("Its value for this model, averaged over the folds.")] double SelectionValue,
    [property: Description("The score from which the label is `fail`.")] double Threshold,
    [property: Description("How the threshold was chosen, e.g. `top 10% of the last fold`.")]
    string ThresholdRule,
    [property: Description("SHA-256 of the stored model bytes, lower-case hex.")] string ModelSha256,
    [property: Description("When it entered the registry (UTC).")] DateTimeOffset CreatedAt,
    [property: Description("Whether the latest stored predictions came from this model.")]
    bool ServesLatestPredictions,
    [property: Description(
        "Why the latest predictions used this model: `pinned` (an operator ran `inspections models promote`) or " +
        "`newest` (the newest selected at or before the date); null without predictions, or for a day stored " +
        "before this was recorded.")]
    [property: AllowedValues(Training.ModelChoice.Pinned, Training.ModelChoice.Newest, null)]
    string? ModelChoice,
    [property: Description(
        "The same in a sentence, e.g. `the newest model selected on or before 2014-08-25; none is pinned`.")]
    string? InUseBecause,
    [property: Description(
        "Its validation figures, the means over its temporal folds: what /performance is set against.")]
    ValidationSummary Validation);

/// <summary>
/// The model's validation figures, the means over its temporal folds: what the realised performance
/// (<c>/performance</c>) is set against. Null where the folds do not carry the figure.
/// </summary>
internal sealed record ValidationSummary(
    [property: Description("How many temporal folds the means are over.")] int Folds,
    [property: Description("Mean ROC AUC over the folds.")] double? RocAuc,
    [property: Description("Mean share of failures among the top 5% of scores.")] double? PrecisionAt5,
    [property: Description("Mean share of failures among the top 10% of scores.")] double? PrecisionAt10,
    [property: Description("Mean share of failures among the top 20% of scores.")] double? PrecisionAt20,
    [property: Description("Mean Brier score (lower is better).")] double? Brier,
    [property: Description("Mean days earlier: how many days sooner failures are found inspecting in score order.")]
    double? DaysEarlier);

internal static class ModelsApi
{
    private const string LatestModelSql = """
        select p.model_id as ModelId, d.model_choice as ModelChoice, d.model_reason as ModelReason
        from (select prediction_date, model_id from api.predictions order by prediction_date desc, rank limit 1) p
        left join api.days d using (prediction_date)
        """;

    private sealed record LatestModel(string ModelId, string? ModelChoice, string? ModelReason);

    public static RouteGroupBuilder MapModels(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/models").WithTags("Models");
        group.MapGet("/current", GetCurrentAsync)
            .WithName("GetCurrentModel")
            .WithSummary("The model card of the current model")
            .WithDescription(
                "The model that made the latest predictions, or, when there are none yet, the newest model in the " +
                "registry: algorithm, hyper-parameters, training window, per-fold validation metrics, threshold and " +
                "the rule that chose it, the ordered feature names, and `validation`: the means over the validation " +
                "folds that realised performance is set against. 404 when the registry is empty.");
        return group;
    }

    private static async Task<Results<Ok<ModelCard>, NotFoundProblem>> GetCurrentAsync(
        ServedDayCache served,
        NpgsqlDataSource db,
        CancellationToken ct)
    {
        // The newest day held in memory came with its model's card, read in the same snapshot as its rows.
        if (served.Current is { ModelCard: { } card }) return TypedResults.Ok(card);
        await using var connection = await db.OpenConnectionAsync(ct);
        // The model of the latest predictions; without predictions (or if it left the registry), the newest one.
        var latest = await connection.QuerySingleOrDefaultAsync<LatestModel>(
            new CommandDefinition(LatestModelSql, cancellationToken: ct));
        var entry = (latest is null ? null : await ModelRegistry.EntryAsync(connection, latest.ModelId, ct))
                    ?? await ModelRegistry.NewestEntryAsync(connection, ct);
        if (entry is null) return Problems.NotFound("No model has been trained yet.");
        return TypedResults.Ok(entry.ModelId == latest?.ModelId
            ? entry.AsModelCard(servesLatestPredictions: true, latest.ModelChoice, latest.ModelReason)
            : entry.AsModelCard(servesLatestPredictions: false, null, null));
    }

    /// <summary>
    /// The card of a registry entry: its JSON columns passed through as JSON, the feature list as a list, and why the
    /// latest predictions used it (null when they did not).
    /// </summary>
    public static ModelCard AsModelCard(
        this RegistryEntry entry,
        bool servesLatestPredictions,
        string? choice,
        string? reason) =>
        new(
            entry.ModelId, entry.TrainedOn, entry.Candidate, entry.Algorithm, Json(entry.HyperParameters),
            entry.TrainingWindowStart, entry.TrainingWindowEnd, entry.TrainingRows, entry.FeatureNames(),
            Json(entry.FoldMetrics), entry.SelectionMetric, entry.SelectionValue, entry.Threshold, entry.ThresholdRule,
            entry.ModelSha256, new DateTimeOffset(entry.CreatedAt), servesLatestPredictions, choice, reason,
            Validation(entry.FoldMetrics));

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
