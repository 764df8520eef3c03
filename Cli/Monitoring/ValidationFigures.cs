using System.Text.Json;

namespace Inspections.Monitoring;

/// <summary>
/// A model's validation figures: the means over its temporal folds (the registry's <c>fold_metrics</c>), which realised
/// performance is set against. A figure the folds do not carry (days earlier, before training recorded it) is null.
/// </summary>
internal sealed record ValidationFigures(
    int Folds,
    double? RocAuc,
    double? PrecisionAt5,
    double? PrecisionAt10,
    double? PrecisionAt20,
    double? Brier,
    double? DaysEarlier)
{
    public static ValidationFigures FromFoldMetrics(string foldMetricsJson)
    {
        using var document = JsonDocument.Parse(foldMetricsJson);
        var folds = document.RootElement.ValueKind == JsonValueKind.Array
            ? document.RootElement.EnumerateArray().ToList()
            : [];
        double? Mean(string name)
        {
            var values = folds
                .Select(f => f.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
                    ? v.GetDouble()
                    : (double?)null)
                .Where(v => v is not null && !double.IsNaN(v.Value))
                .Select(v => v!.Value)
                .ToList();
            return values.Count == 0 ? null : values.Average();
        }
        return new(folds.Count, Mean("roc_auc"), Mean("precision_at_5"), Mean("precision_at_10"),
            Mean("precision_at_20"), Mean("brier"), Mean("days_earlier"));
    }
}
