using System.Text.Json;
using System.Text.Json.Serialization;

namespace Inspections.Training;

/// <summary>
/// The registry's <c>explanation</c>: what a model weighs, by feature name, largest magnitude first (see
/// <see cref="ModelScorer.Explanation"/>).
/// </summary>
internal static class ModelExplanation
{
    public sealed record Entry(
        [property: JsonPropertyName("feature")] string Feature,
        [property: JsonPropertyName("weight")] double Weight);

    public static string ToJson(IReadOnlyList<(string Feature, double Weight)> weights) =>
        JsonSerializer.Serialize(weights.Select(w => new Entry(w.Feature, w.Weight)));

    public static IReadOnlyList<Entry> FromJson(string json) => JsonSerializer.Deserialize<List<Entry>>(json) ?? [];
}
