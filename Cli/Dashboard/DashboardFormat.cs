using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Components;

namespace Inspections.Dashboard;

/// <summary>
/// How the page writes numbers, durations, dates and the registry's JSON columns (the components use it statically).
/// </summary>
internal static class DashboardFormat
{
    /// <summary>A number in <paramref name="format"/>, or an en dash for none (a null rate, NaN).</summary>
    public static string N(double? value, string format) =>
        value is { } x && double.IsFinite(x) ? x.ToString(format, CultureInfo.InvariantCulture) : "–";

    public static string N0(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Duration(double ms) =>
        ms < 1000 ? $"{ms:0} ms" : ms < 120_000 ? $"{ms / 1000:0.0} s" : $"{ms / 60_000:0.0} min";

    /// <summary>
    /// Our own SVG (ScottPlot's or the DAG's, parsed and written again by <see cref="DashboardCharts.Inline"/>), as
    /// markup: the one place the page writes something its components did not encode.
    /// </summary>
    public static MarkupString Svg(string? svg) => new(svg ?? "");

    /// <summary>
    /// A JSON object as <c>k=v, k=v</c>, an array as <c>a, b</c> (file paths shortened to their names).
    /// </summary>
    public static string FlatJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return root.ValueKind switch
            {
                JsonValueKind.Object =>
                    string.Join(", ", root.EnumerateObject().Select(p => $"{p.Name}={Short(Cell(p.Value))}")),
                JsonValueKind.Array => string.Join(", ", root.EnumerateArray().Select(Cell)),
                _ => Cell(root),
            };
        }
        catch (JsonException)
        {
            return json;
        }
    }

    /// <summary>
    /// The validation folds as a table, whatever the JSON holds: an array of objects (one per fold) or an object of
    /// them.
    /// </summary>
    public sealed record FoldTable(
        IReadOnlyList<string> Columns,
        IReadOnlyList<(string Fold, IReadOnlyList<string> Cells)> Rows);

    /// <summary>
    /// The folds of <paramref name="json"/>, or null when it is not a list of folds (the page shows it as it is).
    /// </summary>
    public static FoldTable? Folds(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var folds = document.RootElement.ValueKind switch
            {
                JsonValueKind.Array => document.RootElement.EnumerateArray()
                    .Select((f, i) => ((i + 1).ToString(CultureInfo.InvariantCulture), f))
                    .ToList(),
                JsonValueKind.Object => document.RootElement.EnumerateObject().Select(p => (p.Name, p.Value)).ToList(),
                _ => [],
            };
            if (folds.Count == 0 || folds.Any(f => f.Item2.ValueKind != JsonValueKind.Object)) return null;
            var columns = folds
                .SelectMany(f => f.Item2.EnumerateObject().Select(p => p.Name))
                .Distinct()
                .Where(c => c != "fold")
                .ToList();
            var rows = folds.Select(f => (
                    f.Item2.TryGetProperty("fold", out var label) ? Cell(label) : f.Item1,
                    (IReadOnlyList<string>)
                    [.. columns.Select(c => f.Item2.TryGetProperty(c, out var v) ? Cell(v) : "")]))
                .ToList();
            return new FoldTable(columns, rows);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Cell(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetInt64(out var i) => i.ToString("N0", CultureInfo.InvariantCulture),
        JsonValueKind.Number => value.GetDouble().ToString("0.000", CultureInfo.InvariantCulture),
        JsonValueKind.String => value.GetString() ?? "",
        JsonValueKind.Null => "",
        _ => value.GetRawText(),
    };

    private static string Short(string value) => value.Contains('/') ? Path.GetFileName(value) : value;
}
