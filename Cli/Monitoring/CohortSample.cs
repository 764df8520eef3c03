using Inspections.Features;
using Inspections.Training;
using Npgsql;

namespace Inspections.Monitoring;

/// <summary>
/// A whole cohort as monitoring compares it: every establishment's score and model features, by feature name.
/// The reference is the selected model's reference cohort: the whole cohorts of its validation as-of dates
/// (<c>models.reference_cohort</c>, which select fills) as the model itself scores them (<c>model_score</c>; the fold
/// models' out-of-sample score for a model stored before that column); the current one the cohort of a run date with
/// its predictions.
/// </summary>
internal sealed record CohortSample(
    int AsOfDates,
    IReadOnlyList<double> Scores,
    IReadOnlyDictionary<string, double[]> Numeric,
    IReadOnlyDictionary<string, string[]> Categorical)
{
    public int Rows => Scores.Count;

    /// <summary>Each row's as-of date (empty: one date, unnamed).</summary>
    public IReadOnlyList<DateOnly> Dates { get; init; } = [];

    /// <summary>
    /// The sample with each smoothed rate (<see cref="CityShares.ShareOf"/>) replaced by its excess over the city-wide
    /// share of its row's date, rounded to 1e-6 (a rate is stored as a float4: an establishment without evidence gets
    /// exactly 0).
    /// </summary>
    public CohortSample RelativeToCity(IReadOnlyDictionary<DateOnly, IReadOnlyDictionary<string, double>> shares)
    {
        if (Dates.Count != Rows)
            throw new InvalidOperationException(
                "a sample without its rows' dates cannot be set against the city's shares");
        var numeric = Numeric.ToDictionary(p => p.Key, p => CityShares.ShareOf.TryGetValue(p.Key, out var share)
            ? p.Value.Select((v, i) => Math.Round(v - shares[Dates[i]][share], 6)).ToArray()
            : p.Value, StringComparer.Ordinal);
        return this with { Numeric = numeric };
    }

    /// <summary>
    /// The reference cohort of <paramref name="modelId"/>. Its <c>features</c> array holds the first of the registry's
    /// <paramref name="features"/> (the numeric ones); the categorical ones, text, are those of the same rows of
    /// <c>features.fold_cohort</c>, in <see cref="FeatureSet.Categorical"/> order.
    /// </summary>
    public static async Task<CohortSample> ReferenceAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? tx,
        string modelId,
        IReadOnlyList<string> features,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(ReferenceSql, connection, tx);
        command.Parameters.AddWithValue("modelId", modelId);
        var scores = new List<double>();
        var numeric = new List<double[]>();
        var categorical = new List<string[]>();
        var dates = new List<DateOnly>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                dates.Add(reader.GetFieldValue<DateOnly>(0));
                scores.Add(reader.GetDouble(1));
                numeric.Add(reader.GetFieldValue<double[]>(2));
                categorical.Add(reader.GetFieldValue<string[]>(3));
            }
        }
        var numericCount = numeric.Count == 0 ? 0 : numeric[0].Length;
        // Categories only when every reference row has them: a partial sample would not be the reference.
        var categoricalCount = categorical.Count == 0 || categorical.Any(c => c.Length == 0)
            ? 0
            : categorical[0].Length;
        var byName = new Dictionary<string, double[]>(StringComparer.Ordinal);
        for (var f = 0; f < Math.Min(numericCount, features.Count); f++)
            byName[features[f]] = numeric.Select(row => row[f]).ToArray();
        var categories = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var c = 0; c < categoricalCount && numericCount + c < features.Count; c++)
            categories[features[numericCount + c]] = categorical.Select(row => row[c]).ToArray();
        return new CohortSample(dates.Distinct().Count(), scores, byName, categories) { Dates = dates };
    }

    /// <summary>
    /// The cohort of <paramref name="date"/> (<c>features.cohort</c>) with the scores predict gave it.
    /// </summary>
    public static async Task<CohortSample> PredictedOnAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? tx,
        DateOnly date,
        CancellationToken ct)
    {
        var rows = await FeatureRows.ReadAsync(connection, tx, FeatureRows.Cohort, date, ct);
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(
            "select license, score from predictions.scores where prediction_date = @date", connection, tx))
        {
            command.Parameters.AddWithValue("date", date);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) scores[reader.GetString(0)] = reader.GetDouble(1);
        }
        var scored = rows.Where(r => scores.ContainsKey(r.License)).ToList();
        return FromRows(scored, scored.Select(r => scores[r.License]).ToList(), asOfDates: 1) with
        {
            Dates = [.. scored.Select(r => r.AsOfDate)],
        };
    }

    public static CohortSample FromRows(
        IReadOnlyList<FeatureRow> rows,
        IReadOnlyList<double> scores,
        int asOfDates) => new(
        asOfDates, scores,
        FeatureSet.Numeric.Select((name, i) => (name, values: rows.Select(r => (double)r.Numeric[i]).ToArray()))
            .ToDictionary(p => p.name, p => p.values, StringComparer.Ordinal),
        FeatureSet.Categorical.Select((name, i) => (name, values: rows.Select(r => r.Categorical[i]).ToArray()))
            .ToDictionary(p => p.name, p => p.values, StringComparer.Ordinal));

    // Column names come from FeatureSet, never from input; a reference row whose fold cohort row is gone has no
    // categories.
    private static readonly string ReferenceSql = $"""
        select r.as_of_date, coalesce(r.model_score, r.score), r.features,
               case when f.license is null then array[]::text[]
                    else array[{string.Join(", ", FeatureSet.Categorical.Select(c => "f." + c))}] end
        from models.reference_cohort r
        left join features.fold_cohort f using (as_of_date, license)
        where r.model_id = @modelId order by r.as_of_date, r.license
        """;
}
