namespace Inspections.Features;

/// <summary>
/// The features: the columns of <c>features.snapshots</c> and <c>features.cohort</c> the models read, in order.
/// The one list of them: the features task's inserts, the leakage check, the training reader, the ML.NET pipeline
/// and the registry's <c>features</c> column all come from here, and a stored model whose list differs is refused
/// when loaded. (The migrations declare the same columns: a table needs its schema.)
/// </summary>
internal static class FeatureSet
{
    /// <summary>
    /// The establishment's own history, from its inspections before the as-of date (<see cref="FeatureQuery"/>).
    /// </summary>
    public static IReadOnlyList<string> OwnHistory { get; } =
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
    ];

    /// <summary>
    /// What other licences did: under the same name (<see cref="NameFeatures"/>) and nearby
    /// (<see cref="PlaceFeatures"/>).
    /// </summary>
    public static IReadOnlyList<string> Neighbourhood { get; } = [.. NameFeatures.Columns, .. PlaceFeatures.Columns];

    /// <summary>Numeric columns (PostgreSQL <c>real</c>), fed to the models through a feature transform.</summary>
    public static IReadOnlyList<string> Numeric { get; } = [.. OwnHistory, .. Neighbourhood];

    /// <summary>
    /// The counts and durations among <see cref="Numeric"/>: their logarithm (of 1 + x) is what matters (a fifth
    /// inspection says less than a second), so the transform takes it before standardising. Rates and 0/1 flags are
    /// left as they are.
    /// </summary>
    public static IReadOnlySet<string> Log1p { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "days_since_last_inspection", "days_since_first_inspection", "inspections_before", "fails_before",
        "violations_at_last", "critical_at_last", "serious_at_last", "complaints_before", "reinspections_before",
        "conditions_before", "name_licences", "name_outcomes",
    };

    /// <summary>Categorical columns (text), one-hot encoded by the ML.NET pipeline.</summary>
    public static IReadOnlyList<string> Categorical { get; } = ["facility_group", "risk_level", "area"];

    /// <summary>Numeric then categorical: what the registry records.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Numeric, .. Categorical];

    /// <summary>
    /// Every column a features row stores, for SQL: the key, the features and the ZIP code (which store-api and the
    /// bias audit read, not the models), optionally qualified by a table alias. Names come from this class, never from
    /// input.
    /// </summary>
    public static string SqlColumns(string? alias = null)
    {
        var prefix = alias is null ? "" : alias + ".";
        return string.Join(", ", new[] { "as_of_date", "license", "zip" }.Concat(All).Select(c => prefix + c));
    }

    public static int CategoricalIndex(string column)
    {
        for (var i = 0; i < Categorical.Count; i++)
            if (Categorical[i] == column) return i;
        throw new ArgumentException($"'{column}' is not a categorical feature", nameof(column));
    }
}
