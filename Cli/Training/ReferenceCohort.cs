using Inspections.Features;
using Npgsql;
using NpgsqlTypes;

namespace Inspections.Training;

/// <summary>
/// Monitoring's reference (<c>models.reference_cohort</c>): the selected model's out-of-sample scores of the whole
/// cohort of each validation fold's as-of date (<c>features.fold_cohort</c>), each by the model trained for that fold.
/// Train scores them with the best candidate's fold models, which it alone holds
/// (<c>models.candidate_cohort_scores</c>); select copies them under the model it stores, with the stored model's own
/// scores of the same rows beside them (<c>model_score</c>): the same model as predict's, so drift and the threshold
/// compare populations, not models.
/// </summary>
internal static class ReferenceCohort
{
    /// <summary>
    /// Scores every fold date's whole cohort with <paramref name="candidate"/>'s model of that fold; the rows written
    /// and the fold dates that had a cohort.
    /// </summary>
    public static async Task<(long Rows, int Dates)> WriteCandidateScoresAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction tx,
        DateOnly trainDate,
        string candidate,
        IReadOnlyList<Fold> folds,
        IReadOnlyDictionary<(string Candidate, int Fold), ModelScorer> models,
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
                    "copy models.candidate_cohort_scores (train_date, candidate, as_of_date, license, score, " +
                    "features, categories) from stdin (format binary)", ct);
                for (var i = 0; i < cohort.Count; i++)
                {
                    await writer.StartRowAsync(ct);
                    await writer.WriteAsync(trainDate, NpgsqlDbType.Date, ct);
                    await writer.WriteAsync(candidate, NpgsqlDbType.Text, ct);
                    await writer.WriteAsync(cohort[i].AsOfDate, NpgsqlDbType.Date, ct);
                    await writer.WriteAsync(cohort[i].License, NpgsqlDbType.Text, ct);
                    await writer.WriteAsync(scores[i], NpgsqlDbType.Double, ct);
                    // Raw values, in FeatureSet.Numeric order (the numeric prefix of the registry's feature list).
                    await writer.WriteAsync(Array.ConvertAll(cohort[i].Numeric, v => (double)v),
                        NpgsqlDbType.Array | NpgsqlDbType.Double, ct);
                    // In FeatureSet.Categorical order: monitoring reads the reference's categories from here.
                    await writer.WriteAsync(cohort[i].Categorical, NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
                }
                rows += (long)await writer.CompleteAsync(ct);
            }
        return (rows, dates);
    }

    /// <summary>
    /// The stored model's scores of every row train scored for <paramref name="candidate"/>, keyed by (as-of date,
    /// licence), from the same <c>features.fold_cohort</c> rows.
    /// </summary>
    public static async Task<List<(DateOnly AsOfDate, string License, double Score)>> ScoreWithAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction tx,
        DateOnly trainDate,
        string candidate,
        ModelScorer model,
        CancellationToken ct)
    {
        var dates = new List<DateOnly>();
        await using (var command = new NpgsqlCommand(
            "select distinct as_of_date from models.candidate_cohort_scores " +
            "where train_date = @trainDate and candidate = @candidate order by 1",
            connection, tx))
        {
            command.Parameters.AddWithValue("trainDate", trainDate);
            command.Parameters.AddWithValue("candidate", candidate);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) dates.Add(reader.GetFieldValue<DateOnly>(0));
        }
        var scored = new List<(DateOnly, string, double)>();
        foreach (var date in dates)
        {
            var cohort = await FeatureRows.ReadAsync(connection, tx, FeatureRows.FoldCohort, date, ct);
            var scores = model.Score(cohort);
            for (var i = 0; i < cohort.Count; i++) scored.Add((date, cohort[i].License, scores[i]));
        }
        return scored;
    }

    /// <summary>
    /// Copies train's fold-cohort scores of <paramref name="candidate"/> under <paramref name="modelId"/>, each with
    /// the stored model's score of its row (<paramref name="modelScores"/>); the rows copied.
    /// </summary>
    public static async Task<long> CopyAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction tx,
        string modelId,
        DateOnly trainDate,
        string candidate,
        IReadOnlyList<(DateOnly AsOfDate, string License, double Score)> modelScores,
        CancellationToken ct)
    {
        await using var copy = new NpgsqlCommand("""
            insert into models.reference_cohort
                (model_id, as_of_date, license, score, features, model_score, categories)
            select @modelId, c.as_of_date, c.license, c.score, c.features, m.score, c.categories
            from models.candidate_cohort_scores c
            join unnest(@dates::date[], @licenses::text[], @scores::float8[]) as m(as_of_date, license, score)
                using (as_of_date, license)
            where c.train_date = @trainDate and c.candidate = @candidate
            """, connection, tx);
        copy.Parameters.AddWithValue("modelId", modelId);
        copy.Parameters.AddWithValue("trainDate", trainDate);
        copy.Parameters.AddWithValue("candidate", candidate);
        copy.Parameters.AddWithValue("dates", modelScores.Select(m => m.AsOfDate).ToArray());
        copy.Parameters.AddWithValue("licenses", modelScores.Select(m => m.License).ToArray());
        copy.Parameters.AddWithValue("scores", modelScores.Select(m => m.Score).ToArray());
        return await copy.ExecuteNonQueryAsync(ct);
    }
}
