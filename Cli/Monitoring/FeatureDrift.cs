namespace Inspections.Monitoring;

/// <summary>
/// Drift of each model feature between two cohorts: PSI over the reference's quantile bins for a numeric feature
/// (a 0/1 flag collapses to two bins), PSI and Jensen-Shannon over categories for a categorical one. A row of
/// <c>monitoring.feature_drift</c>.
/// </summary>
internal sealed record FeatureDrift(
    string Feature, string Kind, double Psi, double? JsDivergence, int Bins, double? MeanReference, double? MeanCurrent, string Status,
    bool Counted)
{
    /// <summary>Every feature both cohorts hold, in the reference's order.</summary>
    public static IReadOnlyList<FeatureDrift> Compare(CohortSample reference, CohortSample current, MonitoringSettings settings)
    {
        var drifts = new List<FeatureDrift>();
        foreach (var (feature, values) in reference.Numeric)
        {
            if (!current.Numeric.TryGetValue(feature, out var now) || values.Length == 0 || now.Length == 0) continue;
            var psi = Drift.Psi(values, now, settings.PsiBins);
            drifts.Add(new(feature, "numeric", psi, null, Drift.PsiBins(values, settings.PsiBins), values.Average(), now.Average(),
                settings.FeatureStatus(psi), !settings.FeaturesNotCounted.Contains(feature)));
        }
        foreach (var (feature, values) in reference.Categorical)
        {
            if (!current.Categorical.TryGetValue(feature, out var now) || values.Length == 0 || now.Length == 0) continue;
            var psi = Drift.CategoricalPsi(values, now);
            drifts.Add(new(feature, "categorical", psi, Drift.JensenShannon(values, now), Drift.Categories(values, now), null, null,
                settings.FeatureStatus(psi), !settings.FeaturesNotCounted.Contains(feature)));
        }
        return drifts;
    }
}
