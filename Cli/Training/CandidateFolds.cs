using Npgsql;
using NpgsqlTypes;

namespace Inspections.Training;

/// <summary>
/// Writes and reads <c>models.candidate_folds</c>: the train task's output, the select task's and the train verb's
/// input.
/// </summary>
internal static class CandidateFolds
{
    private const string Columns = """
        candidate, algorithm, hyper_parameters, fold, fold_start, fold_end, train_rows, valid_rows, valid_positives,
        roc_auc, precision_at_5, precision_at_10, precision_at_20, recall_at_5, recall_at_10, recall_at_20, brier,
        lift_at_10, days_earlier, oracle_days_earlier
        """;

    /// <summary>
    /// Removes what an earlier run of train at <paramref name="trainDate"/> wrote: its fold metrics, latest-fold and
    /// fold-cohort scores.
    /// </summary>
    public static async Task DeleteAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction tx,
        DateOnly trainDate,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            delete from models.candidate_folds where train_date = @trainDate;
            delete from models.candidate_scores where train_date = @trainDate;
            delete from models.candidate_cohort_scores where train_date = @trainDate
            """, connection, tx);
        command.Parameters.AddWithValue("trainDate", trainDate);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Every candidate's scores of the latest fold's rows (<paramref name="rows"/>, aligned with each score list).
    /// </summary>
    public static async Task<long> WriteLatestFoldScoresAsync(
        NpgsqlConnection connection,
        DateOnly trainDate,
        IReadOnlyList<FeatureRow> rows,
        IReadOnlyDictionary<string, IReadOnlyList<double>> scores,
        CancellationToken ct)
    {
        await using var writer = await connection.BeginBinaryImportAsync(
            "copy models.candidate_scores (train_date, candidate, as_of_date, license, score, label_fail) " +
            "from stdin (format binary)", ct);
        foreach (var (candidate, candidateScores) in scores)
        {
            for (var i = 0; i < rows.Count; i++)
            {
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(trainDate, NpgsqlDbType.Date, ct);
                await writer.WriteAsync(candidate, NpgsqlDbType.Text, ct);
                await writer.WriteAsync(rows[i].AsOfDate, NpgsqlDbType.Date, ct);
                await writer.WriteAsync(rows[i].License, NpgsqlDbType.Text, ct);
                await writer.WriteAsync(candidateScores[i], NpgsqlDbType.Double, ct);
                await writer.WriteAsync(rows[i].LabelFail == true, NpgsqlDbType.Boolean, ct);
            }
        }
        return (long)await writer.CompleteAsync(ct);
    }

    /// <summary>
    /// One candidate's stored scores of the latest fold, aligned with <paramref name="rows"/> (that fold's rows, as
    /// <see cref="TemporalValidation.Folds"/> gives them); null when train stored none for it or they are for other
    /// rows.
    /// </summary>
    public static async Task<double[]?> ReadLatestFoldScoresAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? tx,
        DateOnly trainDate,
        string candidate,
        IReadOnlyList<FeatureRow> rows,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "select as_of_date, license, score from models.candidate_scores " +
            "where train_date = @trainDate and candidate = @candidate",
            connection, tx);
        command.Parameters.AddWithValue("trainDate", trainDate);
        command.Parameters.AddWithValue("candidate", candidate);
        var stored = new Dictionary<(DateOnly, string), double>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                stored[(reader.GetFieldValue<DateOnly>(0), reader.GetString(1))] = reader.GetDouble(2);
        if (stored.Count != rows.Count) return null;
        var scores = new double[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            if (!stored.TryGetValue((rows[i].AsOfDate, rows[i].License), out scores[i])) return null;
        }
        return scores;
    }

    public static async Task<long> WriteAsync(
        NpgsqlConnection connection,
        DateOnly trainDate,
        IReadOnlyList<FoldMetrics> results,
        CancellationToken ct)
    {
        await using var writer = await connection.BeginBinaryImportAsync(
            $"copy models.candidate_folds (train_date, {Columns}) from stdin (format binary)", ct);
        foreach (var r in results)
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(trainDate, NpgsqlDbType.Date, ct);
            await writer.WriteAsync(r.Candidate, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(r.Algorithm, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(r.HyperParameters, NpgsqlDbType.Jsonb, ct);
            await writer.WriteAsync(r.Fold, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(r.FoldStart, NpgsqlDbType.Date, ct);
            await writer.WriteAsync(r.FoldEnd, NpgsqlDbType.Date, ct);
            await writer.WriteAsync(r.TrainRows, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(r.ValidRows, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(r.ValidPositives, NpgsqlDbType.Integer, ct);
            foreach (var value in new[]
                     {
                         r.RocAuc, r.PrecisionAt5, r.PrecisionAt10, r.PrecisionAt20, r.RecallAt5, r.RecallAt10,
                         r.RecallAt20, r.Brier, r.LiftAt10, r.DaysEarlier, r.OracleDaysEarlier,
                     })
            {
                if (value is { } v) await writer.WriteAsync(v, NpgsqlDbType.Double, ct);
                else await writer.WriteNullAsync(ct);
            }
        }
        return (long)await writer.CompleteAsync(ct);
    }

    /// <summary>The fold metrics of one train run, in (candidate, fold) order.</summary>
    public static async Task<IReadOnlyList<FoldMetrics>> ReadAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? tx,
        DateOnly trainDate,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select {Columns.Replace("hyper_parameters", "hyper_parameters::text")} " +
            "from models.candidate_folds where train_date = @trainDate order by candidate, fold",
            connection, tx);
        command.Parameters.AddWithValue("trainDate", trainDate);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<FoldMetrics>();
        double? Nullable(int i) => reader.IsDBNull(i) ? null : reader.GetDouble(i);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new FoldMetrics(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                reader.GetFieldValue<DateOnly>(4), reader.GetFieldValue<DateOnly>(5), reader.GetInt32(6),
                reader.GetInt32(7), reader.GetInt32(8), Nullable(9), reader.GetDouble(10), reader.GetDouble(11),
                reader.GetDouble(12), Nullable(13), Nullable(14), Nullable(15), reader.GetDouble(16), Nullable(17),
                Nullable(18), Nullable(19)));
        }
        return rows;
    }
}
