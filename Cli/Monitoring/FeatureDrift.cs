namespace Inspections.Monitoring;

/// <summary>
/// Drift of each model feature between two cohorts: PSI over the reference's quantile bins for a numeric feature
/// (a 0/1 flag collapses to two bins), PSI and Jensen-Shannon over categories for a categorical one. A row of
/// <c>monitoring.feature_drift</c>.
/// </summary>
/// <remarks>
/// A feature's PSI is judged against the reference's own spread (<paramref name="ReferencePsi"/>): the largest PSI
/// between two of the reference's as-of dates, on the same bins: how far apart two months the model validated on
/// already were. A feature many establishments share a value of (a ZIP code's rate, a 2 km cell's, a word of a name
/// that a hundred names share) moves in clumps, and the reference's own months differ by a PSI of 0.2 to 0.8 while
/// the model validates well on every one of them; a feature with a trend is furthest apart between the first and the
/// last month. So a feature warns above the larger of <c>FeaturePsiWarn</c> and that spread, and alerts above the
/// larger of <c>FeaturePsiAlert</c> and <c>FeatureSpreadAlertFactor</c> times it.
/// </remarks>
internal sealed record FeatureDrift(
    string Feature,
    string Kind,
    double Psi,
    double? JsDivergence,
    int Bins,
    double? MeanReference,
    double? MeanCurrent,
    string Status,
    bool Counted,
    double ReferencePsi)
{
    /// <summary>Every feature both cohorts hold, in the reference's order.</summary>
    public static IReadOnlyList<FeatureDrift> Compare(
        CohortSample reference,
        CohortSample current,
        MonitoringSettings settings)
    {
        var drifts = new List<FeatureDrift>();
        var byDate = reference.Dates.Count == reference.Rows
            ? reference.Dates.Select((d, i) => (d, i)).GroupBy(p => p.d)
                .Select(g => g.Select(p => p.i).ToArray()).ToList()
            : [];
        // One date alone is the whole reference: there is no spread to measure.
        if (byDate.Count < 2) byDate = [];
        foreach (var (feature, values) in reference.Numeric)
        {
            if (!current.Numeric.TryGetValue(feature, out var now) || values.Length == 0 || now.Length == 0) continue;
            // One sort per feature: the reference's quantile edges serve the PSI, its bin count and the spread.
            var edges = Drift.QuantileEdges(values, settings.PsiBins);
            var psi = Drift.Psi(Drift.Shares(values, edges), Drift.Shares(now, edges));
            var spread = NumericSpread(values, byDate, edges);
            drifts.Add(new(feature, "numeric", psi, null, edges.Length + 1, values.Average(), now.Average(),
                settings.FeatureStatus(psi, spread), !settings.FeaturesNotCounted.Contains(feature), spread));
        }
        foreach (var (feature, values) in reference.Categorical)
        {
            if (!current.Categorical.TryGetValue(feature, out var now) || values.Length == 0 || now.Length == 0)
                continue;
            var psi = Drift.CategoricalPsi(values, now);
            var spread = CategoricalSpread(values, byDate);
            drifts.Add(new(feature, "categorical", psi, Drift.JensenShannon(values, now), Drift.Categories(values, now),
                null, null, settings.FeatureStatus(psi, spread), !settings.FeaturesNotCounted.Contains(feature),
                spread));
        }
        return drifts;
    }

    /// <summary>
    /// The largest PSI between two of the reference's dates, on the whole reference's quantile bins: how far apart two
    /// months the model validated on already were.
    /// </summary>
    private static double NumericSpread(double[] values, IReadOnlyList<int[]> byDate, double[] edges)
    {
        var shares = byDate
            .Select(rows => Drift.Counts(rows.Select(i => values[i]), edges).Select(c => c / rows.Length).ToArray())
            .ToList();
        return LargestPair(shares.Count, (a, b) => Drift.Psi(shares[a], shares[b]));
    }

    /// <summary>The largest PSI between two of the reference's dates' categories.</summary>
    private static double CategoricalSpread(string[] values, IReadOnlyList<int[]> byDate)
    {
        var shares = byDate
            .Select(rows => (IReadOnlyDictionary<string, double>)rows.CountBy(i => values[i], StringComparer.Ordinal)
                .ToDictionary(p => p.Key, p => (double)p.Value / rows.Length, StringComparer.Ordinal))
            .ToList();
        return LargestPair(shares.Count, (a, b) => Drift.CategoricalPsi(shares[a], shares[b]));
    }

    /// <summary>The largest <paramref name="psi"/> of any two of <paramref name="dates"/> dates; 0 below two.</summary>
    private static double LargestPair(int dates, Func<int, int, double> psi)
    {
        var largest = 0.0;
        for (var a = 0; a < dates; a++)
            for (var b = a + 1; b < dates; b++) largest = Math.Max(largest, psi(a, b));
        return largest;
    }
}
