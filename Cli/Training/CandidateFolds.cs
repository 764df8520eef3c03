using Npgsql;
using NpgsqlTypes;

namespace Inspections.Training;

/// <summary>Writes and reads <c>models.candidate_folds</c>: the train task's output, the select task's and the train verb's input.</summary>
internal static class CandidateFolds
{
    private const string Columns = """
        candidate, algorithm, hyper_parameters, fold, fold_start, fold_end, train_rows, valid_rows, valid_positives,
        roc_auc, precision_at_5, precision_at_10, precision_at_20, recall_at_5, recall_at_10, recall_at_20, brier
        """;

    public static async Task<int> DeleteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, DateOnly trainDate, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("delete from models.candidate_folds where train_date = @trainDate", connection, tx);
        command.Parameters.AddWithValue("trainDate", trainDate);
        return await command.ExecuteNonQueryAsync(ct);
    }

    public static async Task<long> WriteAsync(NpgsqlConnection connection, DateOnly trainDate, IReadOnlyList<FoldMetrics> results, CancellationToken ct)
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
            foreach (var value in new[] { r.RocAuc, r.PrecisionAt5, r.PrecisionAt10, r.PrecisionAt20, r.RecallAt5, r.RecallAt10, r.RecallAt20, r.Brier })
            {
                if (value is { } v) await writer.WriteAsync(v, NpgsqlDbType.Double, ct);
                else await writer.WriteNullAsync(ct);
            }
        }
        return (long)await writer.CompleteAsync(ct);
    }

    /// <summary>The fold metrics of one train run, in (candidate, fold) order.</summary>
    public static async Task<IReadOnlyList<FoldMetrics>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, DateOnly trainDate, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select {Columns.Replace("hyper_parameters", "hyper_parameters::text")} from models.candidate_folds where train_date = @trainDate order by candidate, fold",
            connection, tx);
        command.Parameters.AddWithValue("trainDate", trainDate);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<FoldMetrics>();
        double? Nullable(int i) => reader.IsDBNull(i) ? null : reader.GetDouble(i);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new FoldMetrics(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                reader.GetFieldValue<DateOnly>(4), reader.GetFieldValue<DateOnly>(5), reader.GetInt32(6), reader.GetInt32(7), reader.GetInt32(8),
                Nullable(9), reader.GetDouble(10), reader.GetDouble(11), reader.GetDouble(12), Nullable(13), Nullable(14), Nullable(15),
                reader.GetDouble(16)));
        }
        return rows;
    }
}
