using Inspections.Features;
using Npgsql;
using NpgsqlTypes;

namespace Inspections.Training;

/// <summary>
/// Monitoring's reference (<c>models.reference_cohort</c>): the selected model's out-of-sample scores of the whole cohort
/// of each validation fold's as-of date (<c>features.fold_cohort</c>), each by the model trained for that fold. Train
/// scores them with the best candidate's fold models, which it alone holds (<c>models.candidate_cohort_scores</c>);
/// select copies them under the model it stores.
/// </summary>
internal static class ReferenceCohort
{
    /// <summary>
    /// Scores every fold date's whole cohort with <paramref name="candidate"/>'s model of that fold; the rows written and the
    /// fold dates that had a cohort.
    /// </summary>
    public static async Task<(long Rows, int Dates)> WriteCandidateScoresAsync(NpgsqlConnection connection, NpgsqlTransaction tx,
        DateOnly trainDate, string candidate, IReadOnlyList<Fold> folds, IReadOnlyDictionary<(string Candidate, int Fold), ModelScorer> models,
        CancellationToken ct)
    {
        var rows = 0L;
        var dates = 0;
        // One date at a time (a COPY holds the connection, so it cannot read while writing): at a million inspections a
        // fold date's cohort is about 56,000 rows.
        foreach (var fold in folds)
            foreach (var date in fold.Valid.Select(r => r.AsOfDate).Distinct().Order())
            {
                var cohort = await FeatureRows.ReadAsync(connection, tx, FeatureRows.FoldCohort, date, ct);
                if (cohort.Count == 0) continue;
                dates++;
                var scores = models[(candidate, fold.Number)].Score(cohort);
                await using var writer = await connection.BeginBinaryImportAsync(
                    "copy models.candidate_cohort_scores (train_date, candidate, as_of_date, license, score, features) from stdin (format binary)", ct);
                for (var i = 0; i < cohort.Count; i++)
                {
                    await writer.StartRowAsync(ct);
                    await writer.WriteAsync(trainDate, NpgsqlDbType.Date, ct);
                    await writer.WriteAsync(candidate, NpgsqlDbType.Text, ct);
                    await writer.WriteAsync(cohort[i].AsOfDate, NpgsqlDbType.Date, ct);
                    await writer.WriteAsync(cohort[i].License, NpgsqlDbType.Text, ct);
                    await writer.WriteAsync(scores[i], NpgsqlDbType.Double, ct);
                    // Raw values, in FeatureSet.Numeric order (the numeric prefix of the registry's feature list).
                    await writer.WriteAsync(Array.ConvertAll(cohort[i].Numeric, v => (double)v), NpgsqlDbType.Array | NpgsqlDbType.Double, ct);
                }
                rows += (long)await writer.CompleteAsync(ct);
            }
        return (rows, dates);
    }

    /// <summary>Copies train's fold-cohort scores of <paramref name="candidate"/> under <paramref name="modelId"/>; the rows copied.</summary>
    public static async Task<long> CopyAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string modelId, DateOnly trainDate,
        string candidate, CancellationToken ct)
    {
        await using var copy = new NpgsqlCommand("""
            insert into models.reference_cohort (model_id, as_of_date, license, score, features)
            select @modelId, as_of_date, license, score, features
            from models.candidate_cohort_scores
            where train_date = @trainDate and candidate = @candidate
            """, connection, tx);
        copy.Parameters.AddWithValue("modelId", modelId);
        copy.Parameters.AddWithValue("trainDate", trainDate);
        copy.Parameters.AddWithValue("candidate", candidate);
        return await copy.ExecuteNonQueryAsync(ct);
    }
}
