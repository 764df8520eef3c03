using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Inspections.Features;
using Inspections.Training;

namespace Inspections.Prediction;

/// <summary>
/// One of the three largest contributions to an establishment's score, as predict stores it and endpoint 1 serves it.
/// </summary>
internal sealed record ScoreReason(
    [property: JsonPropertyName("feature"), Description(
        "The feature (`docs/training.md` explains each), or `column=category` for a category.")]
    string Feature,
    [property: JsonPropertyName("value"), Description(
        "The establishment's value of the feature on the prediction date, as the feature stores it.")]
    string Value,
    [property: JsonPropertyName("effect"), Description(
        "The feature's contribution to the score before calibration (log-odds for logistic regression): " +
        "positive raises the risk.")]
    double Effect,
    [property: JsonPropertyName("text"), Description(
        "The reason in words, e.g. `Its last inspection failed (raises the risk)`.")]
    string Text);

/// <summary>
/// The reasons predict stores with every score: the model's three largest contributions for the row
/// (<see cref="ModelScorer.Contributions"/>), each said in a sentence an inspector reads, from the row's own values.
/// </summary>
internal static class ScoreReasons
{
    public const int Count = 3;

    /// <summary>The reasons of each row, in the order of <paramref name="rows"/>.</summary>
    public static IReadOnlyList<ScoreReason[]> For(ModelScorer scorer, IReadOnlyList<FeatureRow> rows)
    {
        var contributions = scorer.Contributions(rows, Count);
        return rows
            .Select((row, i) => contributions[i].Select(c => Reason(row, c.Feature, c.Effect)).ToArray())
            .ToList();
    }

    public static string ToJson(IReadOnlyList<ScoreReason> reasons) => JsonSerializer.Serialize(reasons);

    public static IReadOnlyList<ScoreReason> FromJson(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize<ScoreReason[]>(json) ?? [];

    /// <summary>
    /// One contribution of <paramref name="row"/>: a numeric feature's name, or a category's <c>column=value</c> slot.
    /// </summary>
    public static ScoreReason Reason(FeatureRow row, string feature, double effect)
    {
        var direction = effect >= 0 ? "raises the risk" : "lowers the risk";
        var effectRounded = Math.Round(effect, 4);
        var equals = feature.IndexOf('=');
        if (equals > 0)
        {
            var (column, category) = (feature[..equals], feature[(equals + 1)..]);
            return new ScoreReason(feature, category, effectRounded,
                $"{Capitalised(CategoryPhrase(column, category))} ({direction})");
        }
        var index = IndexOf(feature);
        var value = row.Numeric[index];
        return new ScoreReason(feature, Number(value), effectRounded,
            $"{Capitalised(Phrase(row, feature, value))} ({direction})");
    }

    /// <summary>
    /// What a numeric feature's value says, in words; every feature of <see cref="FeatureSet.Numeric"/> has one.
    /// </summary>
    public static string Phrase(FeatureRow row, string feature, float value)
    {
        var n = Number(value);
        var share = value.ToString("P0", CultureInfo.InvariantCulture).Replace(" ", "", StringComparison.Ordinal);
        var yes = value >= 0.5f;
        if (feature.StartsWith("nearby_", StringComparison.Ordinal))
        {
            // nearby_fail_12m_1km: other places within about 1 km failed that share of their inspections in 12 months.
            var parts = feature.Split('_');
            var what = parts[1] == "bad" ? "failed or passed only with conditions" : "failed";
            return $"other places within about {parts[3][..^2]} km {what} {share} of their inspections " +
                $"in the last {parts[2][..^1]} months";
        }
        return feature switch
        {
            "days_since_last_inspection" => $"last inspected {n} days before the prediction date",
            "days_since_first_inspection" => $"first inspected {n} days before the prediction date",
            "inspections_before" => $"inspected {n} times before",
            "fails_before" => $"failed {n} of its {Number(row.Numeric[IndexOf("inspections_before")])} inspections",
            "fail_share_before" => $"failed {share} of its pass/fail inspections",
            "last_result_fail" => yes
                ? "its last pass/fail inspection failed"
                : "its last pass/fail inspection did not fail",
            "last_result_conditions" => yes
                ? "its last pass/fail inspection was a pass with conditions"
                : "its last pass/fail inspection was not a pass with conditions",
            "violations_at_last" => $"{n} violations at its last inspection",
            "critical_at_last" => $"{n} critical violations at its last inspection",
            "serious_at_last" => $"{n} serious violations at its last inspection",
            "complaints_before" => $"{n} of its inspections were prompted by a complaint",
            "reinspections_before" => $"{n} of its inspections were re-inspections",
            "conditions_before" => $"passed only with conditions {n} times",
            "name_licences" => $"{n} other licences have traded under its name",
            "name_outcomes" => $"other licences under its name had {n} pass/fail inspections",
            "name_fail_rate" => $"other licences under its name failed about {share} of them",
            "name_word_min_rate" => $"places with the least failing word of its name fail about {share}",
            "name_word_max_rate" => $"places with the most failing word of its name fail about {share}",
            "name_word_excess" =>
                $"the words of its name fail {Math.Abs(value * 100):0.#} points " +
                $"{(value >= 0 ? "more" : "less")} than the city, added up",
            "zip_fail_12m" => $"other places in its ZIP code failed {share} of their inspections in the last 12 months",
            "zip_fail_24m" => $"other places in its ZIP code failed {share} of their inspections in the last 24 months",
            _ => throw new ArgumentException($"no words for the feature '{feature}'", nameof(feature)),
        };
    }

    /// <summary>What a category says; every column of <see cref="FeatureSet.Categorical"/> has a phrase.</summary>
    public static string CategoryPhrase(string column, string category) => (column, category) switch
    {
        ("facility_group", "unknown") => "its facility type is not on record",
        ("facility_group", _) => $"its facility group is {category}",
        ("risk_level", "unknown") => "the City gives it no risk category",
        ("risk_level", "all") => "the City's risk category for it is 'all'",
        ("risk_level", _) => $"the City rates it {category} risk",
        ("area", "unknown") => "its ZIP code is not on record",
        ("area", "outside") => "its ZIP code is outside the City's usual ones",
        ("area", _) => $"it is in the {category} part of the city",
        _ => throw new ArgumentException($"no words for the category column '{column}'", nameof(column)),
    };

    private static int IndexOf(string feature)
    {
        for (var i = 0; i < FeatureSet.Numeric.Count; i++)
            if (FeatureSet.Numeric[i] == feature) return i;
        throw new ArgumentException($"'{feature}' is not a numeric feature", nameof(feature));
    }

    private static string Number(float value) =>
        value == MathF.Round(value)
            ? value.ToString("0", CultureInfo.InvariantCulture)
            : value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Capitalised(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
