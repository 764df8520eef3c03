using System.Text.Json;
using Dapper;
using Npgsql;

namespace Inspections.Training;

/// <summary>
/// A model stored in <c>models.registry</c> (the columns a scorer and an audit need), and the source
/// its select task ran with, which names that task instance as predict's upstream.
/// </summary>
internal sealed record RegisteredModel(
    string ModelId,
    DateOnly TrainedOn,
    string Candidate,
    string Algorithm,
    string HyperParameters,
    IReadOnlyList<string> Features,
    double Threshold,
    byte[] Model,
    string ModelSha256,
    string? Source,
    string? Transform,
    string Explanation)
{
    /// <summary>
    /// The scorer of this model, with the feature transform it was fitted with; refuses bytes that do not match their
    /// sha256 or a different feature list.
    /// </summary>
    public ModelScorer Scorer() =>
        ModelScorer.Load(Model, Algorithm, HyperParameters, Features, Transform, ModelSha256);
}

/// <summary>
/// A model's row of <c>models.registry</c> but its bytes: what a model card shows (serve-api's current model, the
/// dashboard). The JSON columns are as the select task stored them.
/// </summary>
internal sealed record RegistryEntry(
    string ModelId,
    DateOnly TrainedOn,
    string Candidate,
    string Algorithm,
    string HyperParameters,
    DateOnly TrainingWindowStart,
    DateOnly TrainingWindowEnd,
    int TrainingRows,
    string Features,
    string FoldMetrics,
    string SelectionMetric,
    double SelectionValue,
    double Threshold,
    string ThresholdRule,
    string ModelSha256,
    DateTime CreatedAt)
{
    /// <summary>The ordered feature names.</summary>
    public IReadOnlyList<string> FeatureNames() => JsonSerializer.Deserialize<string[]>(Features) ?? [];
}

/// <summary>
/// Reads <c>models.registry</c>: the select task writes it; bias, predict, the API and the dashboard read it.
/// </summary>
internal static class ModelRegistry
{
    // In the order of RegistryEntry's constructor, which Dapper matches.
    private const string EntryColumns = """
        model_id as ModelId, trained_on as TrainedOn, candidate as Candidate, algorithm as Algorithm,
        hyper_parameters::text as HyperParameters, training_window_start as TrainingWindowStart,
        training_window_end as TrainingWindowEnd, training_rows as TrainingRows, features::text as Features,
        fold_metrics::text as FoldMetrics, selection_metric as SelectionMetric, selection_value as SelectionValue,
        threshold as Threshold, threshold_rule as ThresholdRule, model_sha256 as ModelSha256, created_at as CreatedAt
        """;

    private const string EntrySql = $"select {EntryColumns} from models.registry where model_id = @modelId";

    private const string NewestEntrySql =
        $"select {EntryColumns} from models.registry order by trained_on desc, created_at desc, model_id limit 1";

    /// <summary>The entry of <paramref name="modelId"/>, or null when the registry holds no such model.</summary>
    public static Task<RegistryEntry?> EntryAsync(NpgsqlConnection connection, string modelId, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<RegistryEntry>(
            new CommandDefinition(EntrySql, new { modelId }, cancellationToken: ct));

    /// <summary>The newest model selected, or null when none was.</summary>
    public static Task<RegistryEntry?> NewestEntryAsync(NpgsqlConnection connection, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<RegistryEntry>(
            new CommandDefinition(NewestEntrySql, cancellationToken: ct));

    private const string Select = """
        select model_id, trained_on, candidate, algorithm, hyper_parameters::text, features::text, threshold, model,
               model_sha256, task_parameters ->> 'source', transform::text, explanation::text
        from models.registry
        """;

    /// <summary>
    /// The model the select task of <paramref name="date"/> stored (the newest, should it have run twice).
    /// </summary>
    public static Task<RegisteredModel?> TrainedOnAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? tx,
        DateOnly date,
        CancellationToken ct) =>
        ReadOneAsync(connection, tx, Select + " where trained_on = @date order by created_at desc, model_id limit 1",
            new NpgsqlParameter("date", date), ct);

    /// <summary>The newest model selected at or before <paramref name="date"/>, or null when none was.</summary>
    public static Task<RegisteredModel?> NewestAtOrBeforeAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? tx,
        DateOnly date,
        CancellationToken ct) =>
        ReadOneAsync(connection, tx,
            Select + " where trained_on <= @date order by trained_on desc, created_at desc, model_id limit 1",
            new NpgsqlParameter("date", date), ct);

    /// <summary>The model <paramref name="modelId"/>, or null when the registry holds no such model.</summary>
    public static Task<RegisteredModel?> ByIdAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? tx,
        string modelId,
        CancellationToken ct) =>
        ReadOneAsync(connection, tx, Select + " where model_id = @modelId",
            new NpgsqlParameter("modelId", modelId), ct);

    private const string ListSql =
        $"select {EntryColumns} from models.registry order by trained_on desc, created_at desc, model_id";

    /// <summary>Every entry, newest first.</summary>
    public static async Task<IReadOnlyList<RegistryEntry>> ListAsync(
        NpgsqlConnection connection,
        CancellationToken ct) =>
        (await connection.QueryAsync<RegistryEntry>(new CommandDefinition(ListSql, cancellationToken: ct))).AsList();

    private static async Task<RegisteredModel?> ReadOneAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? tx,
        string sql,
        NpgsqlParameter parameter,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        command.Parameters.Add(parameter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new RegisteredModel(reader.GetString(0), reader.GetFieldValue<DateOnly>(1), reader.GetString(2),
            reader.GetString(3), reader.GetString(4), JsonSerializer.Deserialize<string[]>(reader.GetString(5))!,
            reader.GetDouble(6), reader.GetFieldValue<byte[]>(7), reader.GetString(8),
            reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetString(10),
            reader.GetString(11));
    }
}
