namespace Inspections.Monitoring;

/// <summary>
/// Drift of each model feature between two cohorts: PSI over the reference's quantile bins for a numeric feature
/// (a 0/1 flag collapses to two bins), PSI and Jensen-Shannon over categories for a categorical one. A row of
/// <c>monitoring.feature_drift</c>.
/// </summary>
/// <remarks>
/// A feature's PSI is judged against the reference's own spread (<paramref name="ReferencePsi"/>): the largest PSI one
/// of the reference's as-of dates shows against the rest of the reference, on the same bins: the statistic the current
/// cohort gets, on dates the model validated on. A feature many establishments share a value of (a ZIP code's rate, a
/// 2 km cell's) has a few hundred distinct values per date, and the reference's own months differ by a PSI of 0.2 to
/// 0.8 while the model validates well on every one of them; so a feature warns above the larger of
/// <c>FeaturePsiWarn</c> and that spread, and alerts above the larger of <c>FeaturePsiAlert</c> and
/// <c>FeatureSpreadAlertFactor</c> times it.
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
    /// The largest PSI of one date's rows against the other dates' rows, on the whole reference's quantile bins.
    /// </summary>
    private static double NumericSpread(double[] values, IReadOnlyList<int[]> byDate, double[] edges)
    {
        if (byDate.Count == 0) return 0;
        var total = Drift.Counts(values, edges);
        var spread = 0.0;
        foreach (var rows in byDate)
        {
            var held = Drift.Counts(rows.Select(i => values[i]), edges);
            var rest = total.Select((c, b) => c - held[b]).ToArray();
            var restRows = values.Length - rows.Length;
            spread = Math.Max(spread,
                Drift.Psi([.. rest.Select(c => c / restRows)], [.. held.Select(c => c / rows.Length)]));
        }
        return spread;
    }

    /// <summary>
    /// The largest PSI of one date's categories against the other dates', counted once and subtracted.
    /// </summary>
    private static double CategoricalSpread(string[] values, IReadOnlyList<int[]> byDate)
    {
        if (byDate.Count == 0) return 0;
        var total = values.CountBy(v => v, StringComparer.Ordinal)
            .ToDictionary(p => p.Key, p => (double)p.Value, StringComparer.Ordinal);
        var spread = 0.0;
        foreach (var rows in byDate)
        {
            var held = rows.CountBy(i => values[i], StringComparer.Ordinal)
                .ToDictionary(p => p.Key, p => (double)p.Value, StringComparer.Ordinal);
            var restRows = (double)(values.Length - rows.Length);
            var rest = total.ToDictionary(
                p => p.Key, p => (p.Value - held.GetValueOrDefault(p.Key)) / restRows, StringComparer.Ordinal);
            spread = Math.Max(spread, Drift.CategoricalPsi(rest,
                held.ToDictionary(p => p.Key, p => p.Value / rows.Length, StringComparer.Ordinal)));
        }
        return spread;
    }
}
