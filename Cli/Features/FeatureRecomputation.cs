using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Inspections.Features;

/// <summary>
/// The name and place blocks (<see cref="NameFeatures"/>, <see cref="PlaceFeatures"/>) computed again, in plain C#, for a few
/// (licence, as-of) pairs, straight from the inspections strictly before each as-of date, one pair at a time: the leakage
/// check's second opinion. It shares nothing with the SQL but the definitions written in those classes' remarks.
/// </summary>
internal static partial class FeatureRecomputation
{
    /// <summary>An inspection as clean stores it, with what the blocks derive from it.</summary>
    public sealed record Inspection(string License, long InspectionId, DateOnly Date, string Outcome, bool PassedWithConditions,
        string? Name, string? Zip, double? Latitude, double? Longitude)
    {
        public bool Decided { get; } = Outcome != "none";
        public bool Failed { get; } = Outcome == "fail";
        public bool Bad { get; } = Outcome == "fail" || (Outcome != "none" && PassedWithConditions);
        public bool Placed { get; } = Latitude is not null && Longitude is not null;

        /// <summary>The cell on grid 1 (1 km squares) and on grid 2 (2 km); (0, 0) when not <see cref="Placed"/>.</summary>
        public (int X1, int Y1, int X2, int Y2) Cells { get; } = Latitude is { } lat && Longitude is { } lon
            ? ((int)Math.Floor((lon + 87.68) * 82.8568 / 1.0), (int)Math.Floor((lat - 41.88) * 110.57 / 1.0),
               (int)Math.Floor((lon + 87.68) * 82.8568 / 2.0), (int)Math.Floor((lat - 41.88) * 110.57 / 2.0))
            : default;
    }

    /// <summary>The pair to recompute: its as-of date, licence, and the licence's last inspection before that date.</summary>
    public sealed record Pair(DateOnly AsOfDate, string License, Inspection Last);

    private static readonly HashSet<string> DroppedWords = ["INC", "LLC", "CORP", "CORPORATION", "CO", "LTD", "THE", "OF", "AND", "L", "C", "I"];

    [GeneratedRegex("#[0-9]+")]
    private static partial Regex NumberSign();

    /// <summary>A name's key: see <see cref="FeatureQuery"/> ("McDonald's #123" -> "MCDONALDS"); empty when nothing is left.</summary>
    public static string NameKey(string? name) => string.Join(' ', NameWords(name));

    /// <summary>The distinct words of three letters or more of a name's key, in ordinal order.</summary>
    public static IReadOnlyList<string> KeyWords(string key) =>
        key.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w.Length >= 3).Distinct().Order(StringComparer.Ordinal).ToList();

    private static List<string> NameWords(string? name)
    {
        if (name is null) return [];
        var upper = new StringBuilder(name.Length);
        foreach (var c in name) upper.Append(c is >= 'a' and <= 'z' ? (char)(c - 32) : c);
        var text = NumberSign().Replace(upper.ToString().Replace("&", " AND "), "");
        var letters = new StringBuilder(text.Length);
        foreach (var c in text)
            if (c is >= 'A' and <= 'Z' or ' ') letters.Append(c);
        return letters.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !DroppedWords.Contains(w)).ToList();
    }

    /// <summary>w(d) for d = -3..3: the kernel along one axis, in thousandths.</summary>
    private static readonly int[] Taps = [11, 135, 607, 1000, 607, 135, 11];

    private static double Weight(int dx, int dy) => Math.Abs(dx) > 3 || Math.Abs(dy) > 3 ? 0 : (double)Taps[dx + 3] * Taps[dy + 3];

    /// <summary>
    /// The blocks' features of each pair, by column name, from <paramref name="inspections"/>: every inspection before the
    /// latest as-of date, in (date, id) order (read as a stream: only what the pairs need is kept).
    /// </summary>
    public static async Task<Dictionary<(DateOnly, string), Dictionary<string, double>>> ComputeAsync(IReadOnlyList<Pair> pairs,
        IAsyncEnumerable<Inspection> inspections, CancellationToken ct)
    {
        var result = new Dictionary<(DateOnly, string), Dictionary<string, double>>();
        if (pairs.Count == 0) return result;
        var keys = new Dictionary<string, string>(StringComparer.Ordinal); // raw name -> key
        string KeyOf(string? name) => name is null ? "" : keys.TryGetValue(name, out var k) ? k : keys[name] = NameKey(name);
        var words = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal); // key -> its words
        IReadOnlyList<string> WordsOf(string key) => words.TryGetValue(key, out var w) ? w : words[key] = KeyWords(key);
        var askedKeys = pairs.Select(p => KeyOf(p.Last.Name)).Where(k => k.Length > 0).ToHashSet(StringComparer.Ordinal);
        var askedWords = askedKeys.SelectMany(KeyWords).ToHashSet(StringComparer.Ordinal);
        var keyLicences = askedKeys.ToDictionary(k => k, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        var keyCounts = askedKeys.ToDictionary(k => k, _ => new Counts(), StringComparer.Ordinal);
        var wordCounts = askedWords.ToDictionary(w => w, _ => new Counts(), StringComparer.Ordinal);
        var ownRows = pairs.Select(p => p.License).ToHashSet(StringComparer.Ordinal).ToDictionary(l => l, _ => new List<Inspection>(), StringComparer.Ordinal);
        var recent = new List<Inspection>(); // pass/fail inspections of the last 24 months before the current as-of date

        await using var stream = inspections.GetAsyncEnumerator(ct);
        var pending = await stream.MoveNextAsync();
        foreach (var asOf in pairs.Select(p => p.AsOfDate).Distinct().Order())
        {
            for (; pending && stream.Current.Date < asOf; pending = await stream.MoveNextAsync())
            {
                var i = stream.Current;
                if (ownRows.TryGetValue(i.License, out var own)) own.Add(i);
                var key = KeyOf(i.Name);
                if (keyLicences.TryGetValue(key, out var licences))
                {
                    licences.Add(i.License);
                    if (i.Decided) keyCounts[key].Add(i.Failed);
                }
                if (!i.Decided) continue;
                foreach (var word in WordsOf(key))
                    if (wordCounts.TryGetValue(word, out var counts)) counts.Add(i.Failed);
                recent.Add(i);
            }
            recent.RemoveAll(i => i.Date < asOf.AddMonths(-24));
            var priors = Priors.Of(asOf, recent);
            var byZip = recent.Where(i => i.Zip is not null).GroupBy(i => i.Zip!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
            var byCell = recent.Where(i => i.Placed).GroupBy(i => (i.Cells.X2, i.Cells.Y2)).ToDictionary(g => g.Key, g => g.ToList());
            foreach (var pair in pairs.Where(p => p.AsOfDate == asOf))
            {
                var before = ownRows[pair.License].Where(i => i.Date < asOf).ToList();
                result[(asOf, pair.License)] = Features(pair, KeyOf(pair.Last.Name), before, KeyOf, WordsOf, keyLicences, keyCounts, wordCounts,
                    priors, byZip, byCell);
            }
        }
        return result;
    }

    private static Dictionary<string, double> Features(Pair pair, string key, List<Inspection> own, Func<string?, string> keyOf,
        Func<string, IReadOnlyList<string>> wordsOf, Dictionary<string, HashSet<string>> keyLicences, Dictionary<string, Counts> keyCounts, Dictionary<string, Counts> wordCounts,
        Priors priors, Dictionary<string, List<Inspection>> recentByZip, Dictionary<(int, int), List<Inspection>> recentByCell)
    {
        var asOf = pair.AsOfDate;
        var p = priors.Fail[12];
        var values = new Dictionary<string, double>(StringComparer.Ordinal);

        // Name block: other licences only, i.e. all of them minus this licence's own inspections.
        if (key.Length == 0)
        {
            values["name_licences"] = 0;
            values["name_outcomes"] = 0;
            values["name_fail_rate"] = p;
        }
        else
        {
            var ownUnderKey = own.Where(i => i.Decided && keyOf(i.Name) == key).ToList();
            double outcomes = keyCounts[key].Outcomes - ownUnderKey.Count, fails = keyCounts[key].Fails - ownUnderKey.Count(i => i.Failed);
            values["name_licences"] = keyLicences[key].Count - 1;
            values["name_outcomes"] = outcomes;
            values["name_fail_rate"] = (fails + 5 * p) / (outcomes + 5);
        }
        var rates = new List<double>();
        foreach (var word in key.Length == 0 ? [] : wordsOf(key))
        {
            var ownWithWord = own.Where(i => i.Decided && wordsOf(keyOf(i.Name)).Contains(word)).ToList();
            double outcomes = wordCounts[word].Outcomes - ownWithWord.Count, fails = wordCounts[word].Fails - ownWithWord.Count(i => i.Failed);
            rates.Add((fails + 20 * p) / (outcomes + 20));
        }
        values["name_word_min_rate"] = rates.Count == 0 ? p : rates.Min();
        values["name_word_max_rate"] = rates.Count == 0 ? p : rates.Max();
        var excess = 0.0;
        foreach (var rate in rates) excess += rate - p;
        values["name_word_excess"] = excess;

        // Place block: other licences' pass/fail inspections in each window [T - m months, T). Only those in L's ZIP code and in
        // the 2 km cells within 3 of L's can weigh anything (the 1 km grid's reach, 3 km, lies inside that).
        var windows = new[] { 2, 3, 6, 12, 24 };
        var starts = windows.Select(m => asOf.AddMonths(-m)).ToArray();
        var kernel = new double[2, windows.Length, 3]; // grid, window, (weight, weighted fails, weighted bad)
        var zip = new double[windows.Length, 2];       // window, (inspections, fails)
        if (pair.Last.Zip is not null && recentByZip.TryGetValue(pair.Last.Zip, out var sameZip))
            foreach (var i in sameZip.Where(i => i.License != pair.License))
                for (var m = 0; m < windows.Length; m++)
                {
                    if (i.Date < starts[m]) continue;
                    zip[m, 0]++;
                    if (i.Failed) zip[m, 1]++;
                }
        if (pair.Last.Placed)
        {
            var here = pair.Last.Cells;
            for (var dx = -3; dx <= 3; dx++)
                for (var dy = -3; dy <= 3; dy++)
                {
                    if (!recentByCell.TryGetValue((here.X2 + dx, here.Y2 + dy), out var near)) continue;
                    foreach (var i in near)
                    {
                        if (i.License == pair.License) continue;
                        var w1 = Weight(i.Cells.X1 - here.X1, i.Cells.Y1 - here.Y1);
                        var w2 = Weight(i.Cells.X2 - here.X2, i.Cells.Y2 - here.Y2);
                        for (var m = 0; m < windows.Length; m++)
                        {
                            if (i.Date < starts[m]) continue;
                            kernel[0, m, 0] += w1;
                            kernel[1, m, 0] += w2;
                            if (i.Failed) { kernel[0, m, 1] += w1; kernel[1, m, 1] += w2; }
                            if (i.Bad) { kernel[0, m, 2] += w1; kernel[1, m, 2] += w2; }
                        }
                    }
                }
        }
        double Rate(int grid, int months, int which, double towards)
        {
            var m = Array.IndexOf(windows, months);
            return (kernel[grid - 1, m, which] / 1e6 + 2 * towards) / (kernel[grid - 1, m, 0] / 1e6 + 2);
        }
        values["nearby_fail_12m_1km"] = Rate(1, 12, 1, priors.Fail[12]);
        values["nearby_fail_12m_2km"] = Rate(2, 12, 1, priors.Fail[12]);
        values["nearby_fail_6m_1km"] = Rate(1, 6, 1, priors.Fail[6]);
        values["nearby_fail_3m_1km"] = Rate(1, 3, 1, priors.Fail[3]);
        values["nearby_fail_3m_2km"] = Rate(2, 3, 1, priors.Fail[3]);
        values["nearby_fail_2m_1km"] = Rate(1, 2, 1, priors.Fail[2]);
        values["nearby_fail_2m_2km"] = Rate(2, 2, 1, priors.Fail[2]);
        values["nearby_bad_12m_1km"] = Rate(1, 12, 2, priors.Bad12);
        values["zip_fail_12m"] = (zip[3, 1] + 20 * priors.Fail[12]) / (zip[3, 0] + 20);
        values["zip_fail_24m"] = (zip[4, 1] + 20 * priors.Fail[24]) / (zip[4, 0] + 20);
        return values;
    }

    /// <summary>City-wide fail shares of the windows before an as-of date (all licences), and the fail or pass-with-conditions share of 12 months.</summary>
    private sealed record Priors(IReadOnlyDictionary<int, double> Fail, double Bad12)
    {
        public static Priors Of(DateOnly asOf, List<Inspection> recent)
        {
            double Share(int months, Func<Inspection, bool> which)
            {
                var window = recent.Where(i => i.Date >= asOf.AddMonths(-months)).ToList();
                return window.Count == 0 ? 0 : (double)window.Count(which) / window.Count;
            }
            return new Priors(new[] { 2, 3, 6, 12, 24 }.ToDictionary(m => m, m => Share(m, i => i.Failed)), Share(12, i => i.Bad));
        }
    }

    private sealed class Counts
    {
        public int Outcomes;
        public int Fails;

        public void Add(bool failed)
        {
            Outcomes++;
            if (failed) Fails++;
        }
    }

    /// <summary>Every clean inspection dated before <paramref name="before"/>, in (date, id) order, as a stream.</summary>
    public static async IAsyncEnumerable<Inspection> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, DateOnly before,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            select license, inspection_id, inspection_date, outcome, passed_with_conditions, name, zip, latitude, longitude
            from clean.inspections where inspection_date < @before order by inspection_date, inspection_id
            """, connection, transaction) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("before", before);
        await using var reader = await command.ExecuteReaderAsync(ct);
        // Names, zips and outcomes repeat: one string of each.
        var pool = new Dictionary<string, string>(StringComparer.Ordinal);
        string? Pooled(int column)
        {
            if (reader.IsDBNull(column)) return null;
            var value = reader.GetString(column);
            return pool.TryGetValue(value, out var pooled) ? pooled : pool[value] = value;
        }
        while (await reader.ReadAsync(ct))
            yield return new Inspection(reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<DateOnly>(2), Pooled(3)!, reader.GetBoolean(4),
                Pooled(5), Pooled(6), reader.IsDBNull(7) ? null : reader.GetDouble(7), reader.IsDBNull(8) ? null : reader.GetDouble(8));
    }
}
