using Inspections.Features;
using Inspections.Pipeline;
using Inspections.Training;
using Microsoft.Extensions.Logging;
using NpgsqlTypes;

namespace Inspections.Monitoring;

/// <summary>
/// TEMPORARY, until the model work fills <c>models.reference_cohort</c> in train/select (with each fold's own model's
/// out-of-sample scores): the reference cohort of a selected model that has none, filled by the first monitor that
/// needs it. It rebuilds the model's validation folds as select saw them (the snapshots known on its training date)
/// and scores, with the selected model itself, the whole cohort of each fold's as-of dates: every establishment
/// active then, as <see cref="FeatureQuery"/> defines the cohort, inspected later or not. Not out of sample: the
/// selected model was refitted on the labelled rows among them (docs/monitoring.md says what that changes).
/// </summary>
internal static class ReferenceCohortFill
{
    private const string HasRows = "select exists (select from models.reference_cohort where model_id = @modelId)";

    /// <summary>Fills the reference cohort of <paramref name="model"/> when it has none; the rows written (0 when it had one).</summary>
    public static async Task<long> EnsureAsync(TaskContext context, RegistryEntry model, CancellationToken ct)
    {
        if (await context.ScalarAsync<bool>(HasRows, new { modelId = model.ModelId }, ct)) return 0;
        var (connection, tx) = (context.Connection, context.Transaction);
        var training = TrainingSettings.From(context.Settings);
        var features = context.Settings.Bind<FeatureSettings>("Features");
        var stored = await ModelRegistry.TrainedOnAsync(connection, tx, model.TrainedOn, ct);
        if (stored?.ModelId != model.ModelId)
            throw new InvalidOperationException($"model {model.ModelId} is not the newest selected on {model.TrainedOn:yyyy-MM-dd}: its reference cohort cannot be filled here");
        var scorer = stored.Scorer();
        var labelled = await FeatureRows.ReadLabelledAsync(connection, tx, model.TrainedOn, training.LabelWindowDays,
            training.HistoryStart(model.TrainedOn), ct);
        var folds = TemporalValidation.Folds(labelled, training);

        long written = 0;
        foreach (var fold in folds)
        {
            foreach (var asOf in fold.Valid.Select(r => r.AsOfDate).Distinct().Order())
            {
                // The cohort of asOf exactly as the features task of that date computes it (features strictly before it).
                await FeatureQuery.ComputeAsync(connection, tx, [asOf], asOf, features, ct);
                var cohort = await ReadFeatureRowsAsync(context, asOf, ct);
                var scores = scorer.Score(cohort);
                written += await CopyAsync(context, model.ModelId, cohort, scores, ct);
            }
        }
        context.Log.LogInformation("reference cohort of {Model}: {Rows} rows over {Folds} folds (filled by monitor)", model.ModelId, written, folds.Count);
        return written;
    }

    private static async Task<IReadOnlyList<FeatureRow>> ReadFeatureRowsAsync(TaskContext context, DateOnly asOf, CancellationToken ct)
    {
        // Column names come from FeatureSet, never from input.
        var sql = $"select license, {string.Join(", ", FeatureSet.All)} from feature_rows where as_of_date = @asOf order by license";
        await using var command = new Npgsql.NpgsqlCommand(sql, context.Connection, context.Transaction);
        command.Parameters.AddWithValue("asOf", asOf);
        var rows = new List<FeatureRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        var numeric = FeatureSet.Numeric.Count;
        while (await reader.ReadAsync(ct))
        {
            var values = new float[numeric];
            for (var i = 0; i < numeric; i++) values[i] = reader.GetFloat(1 + i);
            var categories = new string[FeatureSet.Categorical.Count];
            for (var i = 0; i < categories.Length; i++) categories[i] = reader.GetString(1 + numeric + i);
            rows.Add(new FeatureRow(asOf, reader.GetString(0), values, categories, null));
        }
        return rows;
    }

    private static async Task<long> CopyAsync(TaskContext context, string modelId, IReadOnlyList<FeatureRow> rows, double[] scores, CancellationToken ct)
    {
        await using var writer = await context.Connection.BeginBinaryImportAsync(
            "copy models.reference_cohort (model_id, as_of_date, license, score, features, categories) from stdin (format binary)", ct);
        for (var i = 0; i < rows.Count; i++)
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(modelId, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(rows[i].AsOfDate, NpgsqlDbType.Date, ct);
            await writer.WriteAsync(rows[i].License, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(scores[i], NpgsqlDbType.Double, ct);
            await writer.WriteAsync(rows[i].Numeric.Select(v => (double)v).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Double, ct);
            await writer.WriteAsync(rows[i].Categorical, NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
        }
        return (long)await writer.CompleteAsync(ct);
    }
}
