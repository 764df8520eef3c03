using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Inspections.Pipeline;

/// <summary>The outcome of one data check, as stored in <c>pipeline.check_results</c> and printed on failure.</summary>
internal sealed record CheckResult(
    string Name,
    bool Passed,
    string Assertion,
    string Expected,
    string Actual,
    string Note,
    IReadOnlyDictionary<string, object?> Locals,
    IReadOnlyList<string> OffendingKeys);

/// <summary>
/// The data checks of one task run. Thresholds come from <c>Checks:&lt;task&gt;:&lt;check&gt;</c> in configuration,
/// or from a <c>--check</c> override. Notes may name locals in braces (<c>{rows}</c>): the task's
/// parameters, its figures, <c>{actual}</c> and <c>{limit}</c> (the threshold in force); they are filled in when the
/// check runs.
/// </summary>
internal sealed partial class CheckSet(
    string task,
    IConfiguration configuration,
    IReadOnlyDictionary<string, double> overrides,
    IReadOnlyDictionary<string, string> parameters,
    IReadOnlyDictionary<string, object?> figures)
{
    /// <summary>Offending row keys kept per check: enough to find the rows, few enough to read.</summary>
    public const int MaxOffendingKeys = 10;

    private readonly List<CheckResult> _results = [];

    public IReadOnlyList<CheckResult> Results => _results;

    public bool AllPassed => _results.TrueForAll(r => r.Passed);

    /// <summary>The threshold for a check: the override for this run, else configuration.</summary>
    public double Threshold(string check)
    {
        if (overrides.TryGetValue(check, out var value)) return value;
        var configured = configuration[$"Checks:{task}:{check}"]
            ?? throw new InvalidOperationException($"no threshold configured at Checks:{task}:{check}");
        return double.Parse(configured, CultureInfo.InvariantCulture);
    }

    /// <summary>Passes when <paramref name="actual"/> is at most the configured threshold.</summary>
    public CheckResult AtMost(string check, double actual, string note, IEnumerable<string>? offendingKeys = null)
    {
        var threshold = Threshold(check);
        return Add(check, actual <= threshold, $"{check}: {Format(actual)} <= {Format(threshold)}",
            $"<= {Format(threshold)}", Format(actual), note, offendingKeys, actual, threshold);
    }

    /// <summary>Passes when <paramref name="actual"/> is at least the configured threshold.</summary>
    public CheckResult AtLeast(string check, double actual, string note, IEnumerable<string>? offendingKeys = null)
    {
        var threshold = Threshold(check);
        return Add(check, actual >= threshold, $"{check}: {Format(actual)} >= {Format(threshold)}",
            $">= {Format(threshold)}", Format(actual), note, offendingKeys, actual, threshold);
    }

    /// <summary>Passes when the two values are equal; no threshold.</summary>
    public CheckResult Equal<T>(
        string check,
        T expected,
        T actual,
        string note,
        IEnumerable<string>? offendingKeys = null)
        => Add(check, EqualityComparer<T>.Default.Equals(expected, actual),
            $"{check}: {Format(actual)} == {Format(expected)}",
            Format(expected), Format(actual), note, offendingKeys, actual, null);

    /// <summary>Passes when no row offends (e.g. duplicate ids, dates after the run date); no threshold.</summary>
    public CheckResult None(string check, long offendingCount, string note, IEnumerable<string>? offendingKeys = null)
        => Add(check, offendingCount == 0, $"{check}: {offendingCount:N0} offending rows == 0", "0",
            offendingCount.ToString("N0"), note, offendingKeys, offendingCount, null);

    /// <summary>
    /// Passes when <paramref name="condition"/> holds; for assertions the helpers above do not express.
    /// </summary>
    public CheckResult That(
        string check,
        bool condition,
        string assertion,
        object? expected,
        object? actual,
        string note,
        IEnumerable<string>? offendingKeys = null)
        => Add(check, condition, $"{check}: {assertion}", Format(expected), Format(actual), note, offendingKeys,
            actual, null);

    private CheckResult Add(string check, bool passed, string assertion, string expected, string actual, string note,
        IEnumerable<string>? offendingKeys, object? actualValue, double? threshold)
    {
        var locals = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in parameters) locals[key] = value;
        foreach (var (key, value) in figures) locals[key] = value;
        locals["actual"] = actualValue;
        if (threshold is not null) locals["limit"] = threshold;
        var result = new CheckResult(check, passed, assertion, expected, actual, FillNote(note, locals), locals,
            (offendingKeys ?? []).Take(MaxOffendingKeys).ToList());
        _results.Add(result);
        return result;
    }

    private static string FillNote(string note, IReadOnlyDictionary<string, object?> locals) =>
        NoteField().Replace(note, m => locals.TryGetValue(m.Groups[1].Value, out var value) ? Format(value) : m.Value);

    public static string Format(object? value) => value switch
    {
        null => "null",
        double d when double.IsNaN(d) => "NaN",
        double d when Math.Abs(d) >= 1000 && d == Math.Floor(d) => d.ToString("N0", CultureInfo.InvariantCulture),
        double d => d.ToString("0.#####", CultureInfo.InvariantCulture),
        float f => ((double)f).ToString("0.#####", CultureInfo.InvariantCulture),
        int or long => string.Format(CultureInfo.InvariantCulture, "{0:N0}", value),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime d => d.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex NoteField();
}
