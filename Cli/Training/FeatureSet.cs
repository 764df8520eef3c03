namespace Inspections.Training;

/// <summary>
/// The model's features: the columns of <c>features.snapshots</c> and <c>features.cohort</c> it reads,
/// in order. The one list of them: the reader, the ML.NET pipeline and the registry's <c>features</c>
/// column all come from here, and a stored model whose list differs is refused when loaded.
/// </summary>
internal static class FeatureSet
{
    /// <summary>Numeric columns (PostgreSQL <c>real</c>), fed to the models through a <see cref="FeatureTransform"/>.</summary>
    public static IReadOnlyList<string> Numeric { get; } =
    [
        "days_since_last_inspection",
        "days_since_first_inspection",
        "inspections_before",
        "fails_before",
        "fail_share_before",
        "last_result_fail",
        "last_result_conditions",
        "violations_at_last",
        "critical_at_last",
        "serious_at_last",
        "complaints_before",
        "reinspections_before",
        "conditions_before",
        "name_licences",
        "name_outcomes",
        "name_fail_rate",
        "name_word_min_rate",
        "name_word_max_rate",
        "name_word_excess",
        "nearby_fail_12m_1km",
        "nearby_fail_12m_2km",
        "nearby_fail_6m_1km",
        "nearby_fail_3m_1km",
        "nearby_fail_3m_2km",
        "nearby_fail_2m_1km",
        "nearby_fail_2m_2km",
        "nearby_bad_12m_1km",
        "zip_fail_12m",
        "zip_fail_24m",
    ];

    /// <summary>
    /// The counts and durations among <see cref="Numeric"/>: their logarithm (of 1 + x) is what matters (a fifth
    /// inspection says less than a second), so the transform takes it before standardising. Rates and 0/1 flags are left as they are.
    /// </summary>
    public static IReadOnlySet<string> Log1p { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "days_since_last_inspection", "days_since_first_inspection", "inspections_before", "fails_before", "violations_at_last",
        "critical_at_last", "serious_at_last", "complaints_before", "reinspections_before", "conditions_before",
        "name_licences", "name_outcomes",
    };

    /// <summary>Categorical columns (text), one-hot encoded by the ML.NET pipeline.</summary>
    public static IReadOnlyList<string> Categorical { get; } = ["facility_group", "risk_level", "area"];

    /// <summary>Numeric then categorical: what the registry records.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Numeric, .. Categorical];

    public static int CategoricalIndex(string column)
    {
        for (var i = 0; i < Categorical.Count; i++)
            if (Categorical[i] == column) return i;
        throw new ArgumentException($"'{column}' is not a categorical feature", nameof(column));
    }
}
