using Inspections.Features;
using System.Text.Json;

namespace Inspections.Training;

/// <summary>
/// The numeric features as a model sees them: log(1 + x) of the counts and durations
/// (<see cref="FeatureSet.Log1p"/>), then every column standardised with the mean and standard deviation of the
/// training rows. Fitted with the model and stored beside it in the registry, so a stored model scores new rows with
/// the transform it learnt from, not one refitted on other rows. A regularised linear model needs it (the same penalty
/// for one day and one violation otherwise), and its coefficients then read per standard deviation of each feature.
/// </summary>
internal sealed class FeatureTransform
{
    private FeatureTransform(
        IReadOnlyList<string> features,
        IReadOnlyList<bool> log1p,
        IReadOnlyList<double> mean,
        IReadOnlyList<double> scale)
    {
        Features = features;
        Log1p = log1p;
        Mean = mean;
        Scale = scale;
    }

    public IReadOnlyList<string> Features { get; }

    public IReadOnlyList<bool> Log1p { get; }

    public IReadOnlyList<double> Mean { get; }

    /// <summary>
    /// The standard deviation of each (logged) column over the training rows; 1 for a constant column.
    /// </summary>
    public IReadOnlyList<double> Scale { get; }

    /// <summary>
    /// Fitted on <paramref name="rows"/> in their order (sums in a fixed order: the same rows give the same transform
    /// to the last bit).
    /// </summary>
    public static FeatureTransform Fit(IReadOnlyList<FeatureRow> rows)
    {
        if (rows.Count == 0) throw new InvalidOperationException("no rows to fit the feature transform on");
        var n = FeatureSet.Numeric.Count;
        var log1p = FeatureSet.Numeric.Select(FeatureSet.Log1p.Contains).ToArray();
        var sum = new double[n];
        foreach (var row in rows)
            for (var j = 0; j < n; j++) sum[j] += Value(row.Numeric[j], log1p[j]);
        var mean = sum.Select(s => s / rows.Count).ToArray();
        var squares = new double[n];
        foreach (var row in rows)
            for (var j = 0; j < n; j++)
            {
                var d = Value(row.Numeric[j], log1p[j]) - mean[j];
                squares[j] += d * d;
            }
        var scale = squares.Select(s => Math.Sqrt(s / rows.Count)).Select(s => s > 1e-12 ? s : 1).ToArray();
        return new FeatureTransform([.. FeatureSet.Numeric], log1p, mean, scale);
    }

    /// <summary>The transformed values of one row's <see cref="FeatureRow.Numeric"/>.</summary>
    public float[] Apply(float[] numeric)
    {
        var result = new float[numeric.Length];
        for (var j = 0; j < numeric.Length; j++)
            result[j] = (float)((Value(numeric[j], Log1p[j]) - Mean[j]) / Scale[j]);
        return result;
    }

    private static double Value(float x, bool log1p) => log1p ? Math.Log(1 + (double)x) : x;

    public string ToJson() => JsonSerializer.Serialize(new Stored(Features, Log1p, Mean, Scale));

    /// <summary>A stored transform; refused when it is for other features than today's.</summary>
    public static FeatureTransform FromJson(string json)
    {
        var stored = JsonSerializer.Deserialize<Stored>(json)
            ?? throw new InvalidOperationException("empty feature transform");
        if (!stored.Features.SequenceEqual(FeatureSet.Numeric) || stored.Log1p.Count != stored.Features.Count
            || stored.Mean.Count != stored.Features.Count || stored.Scale.Count != stored.Features.Count)
            throw new InvalidOperationException(
                $"the stored feature transform is for [{string.Join(", ", stored.Features)}], " +
                "not today's numeric features");
        return new FeatureTransform(stored.Features, stored.Log1p, stored.Mean, stored.Scale);
    }

    private sealed record Stored(
        [property: System.Text.Json.Serialization.JsonPropertyName("features")]
        IReadOnlyList<string> Features,
        [property: System.Text.Json.Serialization.JsonPropertyName("log1p")]
        IReadOnlyList<bool> Log1p,
        [property: System.Text.Json.Serialization.JsonPropertyName("mean")]
        IReadOnlyList<double> Mean,
        [property: System.Text.Json.Serialization.JsonPropertyName("scale")]
        IReadOnlyList<double> Scale);
}
