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
            ? Excesses(p.Value, share, shares)
            : p.Value, StringComparer.Ordinal);
        return this with { Numeric = numeric };
    }

    private double[] Excesses(
        double[] values,
        string share,
        IReadOnlyDictionary<DateOnly, IReadOnlyDictionary<string, double>> shares)
    {
        var excesses = new double[values.Length];
        // Rows come date by date: look the share up when the date changes, not for every row.
        var (date, city) = (DateOnly.MinValue, 0.0);
        for (var i = 0; i < values.Length; i++)
        {
            if (i == 0 || Dates[i] != date) (date, city) = (Dates[i], shares[Dates[i]][share]);
            excesses[i] = Math.Round(values[i] - city, 6);
        }
        return excesses;
    }

    /// <summary>
    /// The reference cohort of <paramref name="modelId"/>. Its <c>features</c> array holds the first of the registry's
    /// <paramref name="features"/> (the numeric ones); its <c>categories</c> array the categorical ones, in
    /// <see cref="FeatureSet.Categorical"/> order, as the fold cohort had them when train scored it.
    /// </summary>
    public static async Task<CohortSample> ReferenceAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? tx,
        string modelId,
        IReadOnlyList<string> features,
        CancellationToken ct)
    {
        // Read straight into one array per feature, sized by the row count: row by row arrays and their transposition
        // held a 684,000-row reference twice over, past 1 GiB. A stored model's reference is written once, by select.
        await using var shape = new NpgsqlCommand(
            "select count(*), coalesce(max(array_length(features, 1)), 0) from models.reference_cohort " +
            "where model_id = @modelId", connection, tx);
        shape.Parameters.AddWithValue("modelId", modelId);
        var (rowCount, numericCount) = (0, 0);
        await using (var reader = await shape.ExecuteReaderAsync(ct))
            if (await reader.ReadAsync(ct))
                (rowCount, numericCount) = (checked((int)reader.GetInt64(0)), reader.GetInt32(1));

        await using var command = new NpgsqlCommand(ReferenceSql(numericCount), connection, tx);
        command.Parameters.AddWithValue("modelId", modelId);
        var (rows, dates, scores) = (0, new DateOnly[rowCount], new double[rowCount]);
        var numeric = Enumerable.Range(0, numericCount).Select(_ => new double[rowCount]).ToArray();
        var categorical = Enumerable.Range(0, FeatureSet.Categorical.Count).Select(_ => new string[rowCount]).ToArray();
        var everyRowHasCategories = true;
        // A few hundred distinct category values: keep one string of each.
        var pool = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            var categoriesColumn = 2 + numericCount;
            while (await reader.ReadAsync(ct))
            {
                if (rows == rowCount)
                    throw new InvalidOperationException($"the reference of {modelId} grew while it was read");
                dates[rows] = reader.GetFieldValue<DateOnly>(0);
                scores[rows] = reader.GetDouble(1);
                // A row with a shorter array has nulls past its end: the reference is not whole, which is a bug.
                for (var f = 0; f < numericCount; f++) numeric[f][rows] = reader.GetDouble(2 + f);
                for (var c = 0; c < categorical.Length; c++)
                {
                    if (reader.IsDBNull(categoriesColumn + c))
                    {
                        everyRowHasCategories = false;
                        break;
                    }
                    var text = reader.GetString(categoriesColumn + c);
                    categorical[c][rows] = pool.TryGetValue(text, out var pooled) ? pooled : pool[text] = text;
                }
                rows++;
            }
        }
        if (rows != rowCount)
            throw new InvalidOperationException($"the reference of {modelId} returned {rows} of {rowCount} rows");
        var byName = new Dictionary<string, double[]>(StringComparer.Ordinal);
        for (var f = 0; f < Math.Min(numeric.Length, features.Count); f++) byName[features[f]] = numeric[f];
        // Categories only when every reference row has them: a partial sample would not be the reference.
        var categories = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var c = 0; everyRowHasCategories && c < categorical.Length && numeric.Length + c < features.Count; c++)
            categories[features[numeric.Length + c]] = categorical[c];
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

    /// <summary>
    /// The reference's rows in the primary key's order (an index scan, no sort), each feature its own column: Npgsql
    /// reads double columns faster than the elements of a double array (a 684,000-row reference: 5.9 s instead of
    /// 6.8). A row stored without categories has nulls there. The column list is built from a count, not from input.
    /// </summary>
    private static string ReferenceSql(int numericCount) => $"""
        select as_of_date, coalesce(model_score, score),
               {string.Concat(Enumerable.Range(1, numericCount).Select(i => $"features[{i}], "))}
               {string.Join(", ", Enumerable.Range(1, FeatureSet.Categorical.Count).Select(i => $"categories[{i}]"))}
        from models.reference_cohort
        where model_id = @modelId order by as_of_date, license
        """;
}
