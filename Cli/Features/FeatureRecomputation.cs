namespace Inspections.Features;

/// <summary>
/// The name and place blocks (<see cref="NameFeatures"/>, <see cref="PlaceFeatures"/>) computed again, naively, for a
/// few (licence, as-of) pairs, from the inspections strictly before each pair's as-of date: the leakage check's second
/// opinion. It shares nothing with the set-wise SQL of the features task but the definitions written in those classes'
/// remarks: it normalises names in C#, finds each licence's last inspection itself, scans every inspection of each
/// window for each pair and skips the licence's own instead of taking them out of totals.
/// </summary>
internal static class FeatureRecomputation
{
    /// <summary>The blocks' features of each (as-of date, licence) pair, by column name.</summary>
    public static Dictionary<(DateOnly, string), Dictionary<string, double>> Compute(
        FeatureEvents events,
        IReadOnlyList<(DateOnly AsOf, string License)> pairs)
    {
        var result = new Dictionary<(DateOnly, string), Dictionary<string, double>>();
        // The sampled licences' inspections, found by one scan of all of them.
        var sampled = pairs.Select(p => events.LicenseIndex[p.License]).ToHashSet();
        var ownOf = sampled.ToDictionary(l => l, _ => new List<int>());
        for (var e = 0; e < events.Count; e++)
            if (ownOf.TryGetValue(events.License[e], out var list)) list.Add(e);
        var asked = pairs.Distinct().Select(p =>
        {
            var own = ownOf[events.LicenseIndex[p.License]].Where(e => events.Day[e] < p.AsOf.DayNumber).ToList();
            return own.Count > 0
                ? (Pair: p, Own: own)
                : throw new InvalidOperationException($"{p.License} has no inspection before {p.AsOf:yyyy-MM-dd}");
        }).ToList();
        var keys = asked.Select(a => events.NameKey[a.Own[^1]]).Where(k => k >= 0).ToHashSet();
        var words = keys.SelectMany(k => events.KeyWords[k]).ToHashSet();
        var keyLicences = keys.ToDictionary(k => k, _ => new HashSet<int>());
        var keyCounts = keys.ToDictionary(k => k, _ => new int[2]);   // pass/fail inspections, fails
        var wordCounts = words.ToDictionary(w => w, _ => new int[2]);
        var next = 0;
        foreach (var group in asked.GroupBy(a => a.Pair.AsOf).OrderBy(g => g.Key))
        {
            for (; next < events.Count && events.Day[next] < group.Key.DayNumber; next++)
            {
                var key = events.NameKey[next];
                if (key < 0) continue;
                if (keyLicences.TryGetValue(key, out var licences))
                {
                    licences.Add(events.License[next]);
                    if (events.Decided[next]) Count(keyCounts[key], events.Failed[next]);
                }
                if (!events.Decided[next]) continue;
                foreach (var word in events.KeyWords[key])
                    if (wordCounts.TryGetValue(word, out var counts)) Count(counts, events.Failed[next]);
            }
            foreach (var (pair, own) in group)
                result[pair] = Features(events, pair.AsOf, events.LicenseIndex[pair.License], own,
                    keyLicences, keyCounts, wordCounts);
        }
        return result;
    }

    private static void Count(int[] counts, bool failed)
    {
        counts[0]++;
        if (failed) counts[1]++;
    }

    private static Dictionary<string, double> Features(
        FeatureEvents events,
        DateOnly asOf,
        int license,
        List<int> own,
        Dictionary<int, HashSet<int>> keyLicences,
        Dictionary<int, int[]> keyCounts,
        Dictionary<int, int[]> wordCounts)
    {
        var last = own[^1];
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        var day = asOf.DayNumber;
        var windowStart = asOf.AddMonths(-24).DayNumber;
        // Inspections are in date order: the window's start by binary search.
        int low = 0, high = events.Count;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (events.Day[mid] < windowStart) low = mid + 1; else high = mid;
        }
        var first = low;
        double Share(int months, Func<int, bool> which)
        {
            var start = asOf.AddMonths(-months).DayNumber;
            double all = 0, hits = 0;
            for (var i = first; i < events.Count && events.Day[i] < day; i++)
                if (events.Decided[i] && events.Day[i] >= start)
                {
                    all++;
                    if (which(i)) hits++;
                }
            return all == 0 ? 0 : hits / all;
        }
        var prior = new[] { 2, 3, 6, 12, 24 }.ToDictionary(m => m, m => Share(m, i => events.Failed[i]));
        var p = prior[12];

        // Name block: counts of every licence, minus this licence's own inspections.
        var key = events.NameKey[last];
        if (key < 0)
        {
            values["name_licences"] = 0;
            values["name_outcomes"] = 0;
            values["name_fail_rate"] = p;
        }
        else
        {
            var ownUnderKey = own.Where(i => events.Decided[i] && events.NameKey[i] == key).ToList();
            double outcomes = keyCounts[key][0] - ownUnderKey.Count,
                fails = keyCounts[key][1] - ownUnderKey.Count(i => events.Failed[i]);
            values["name_licences"] = keyLicences[key].Count - 1;
            values["name_outcomes"] = outcomes;
            values["name_fail_rate"] = (fails + 5 * p) / (outcomes + 5);
        }
        var rates = new List<double>();
        foreach (var word in key < 0 ? [] : events.KeyWords[key])
        {
            var ownWithWord = own
                .Where(i => events.Decided[i]
                    && events.NameKey[i] >= 0
                    && events.KeyWords[events.NameKey[i]].Contains(word))
                .ToList();
            double outcomes = wordCounts[word][0] - ownWithWord.Count,
                fails = wordCounts[word][1] - ownWithWord.Count(i => events.Failed[i]);
            rates.Add((fails + 20 * p) / (outcomes + 20));
        }
        values["name_word_min_rate"] = rates.Count == 0 ? p : rates.Min();
        values["name_word_max_rate"] = rates.Count == 0 ? p : rates.Max();
        var excess = 0.0;
        foreach (var rate in rates) excess += rate - p;
        values["name_word_excess"] = excess;

        // Place block: every other licence's pass/fail inspection of the window, weighed around this licence's cell.
        var placed = events.X1[last] != FeatureEvents.NoCell;
        double Kernel(int grid, int months, Func<int, bool> which, double towards)
        {
            var start = asOf.AddMonths(-months).DayNumber;
            double weights = 0, hits = 0;
            for (var i = first; placed && i < events.Count && events.Day[i] < day; i++)
            {
                if (!events.Decided[i]
                    || events.License[i] == license
                    || events.Day[i] < start
                    || events.X1[i] == FeatureEvents.NoCell)
                    continue;
                double w = grid == 1
                    ? PlaceFeatures.Weight(events.X1[i] - events.X1[last], events.Y1[i] - events.Y1[last])
                    : PlaceFeatures.Weight(events.X2[i] - events.X2[last], events.Y2[i] - events.Y2[last]);
                weights += w;
                if (which(i)) hits += w;
            }
            return (hits / 1e6 + 2 * towards) / (weights / 1e6 + 2);
        }
        values["nearby_fail_12m_1km"] = Kernel(1, 12, i => events.Failed[i], prior[12]);
        values["nearby_fail_12m_2km"] = Kernel(2, 12, i => events.Failed[i], prior[12]);
        values["nearby_fail_6m_1km"] = Kernel(1, 6, i => events.Failed[i], prior[6]);
        values["nearby_fail_3m_1km"] = Kernel(1, 3, i => events.Failed[i], prior[3]);
        values["nearby_fail_3m_2km"] = Kernel(2, 3, i => events.Failed[i], prior[3]);
        values["nearby_fail_2m_1km"] = Kernel(1, 2, i => events.Failed[i], prior[2]);
        values["nearby_fail_2m_2km"] = Kernel(2, 2, i => events.Failed[i], prior[2]);
        values["nearby_bad_12m_1km"] = Kernel(1, 12, i => events.Bad[i], Share(12, i => events.Bad[i]));
        double Zip(int months)
        {
            var start = asOf.AddMonths(-months).DayNumber;
            var zip = events.Zip[last];
            double all = 0, fails = 0;
            for (var i = first; zip >= 0 && i < events.Count && events.Day[i] < day; i++)
                if (events.Decided[i] && events.License[i] != license && events.Zip[i] == zip && events.Day[i] >= start)
                {
                    all++;
                    if (events.Failed[i]) fails++;
                }
            return (fails + 20 * prior[months]) / (all + 20);
        }
        values["zip_fail_12m"] = Zip(12);
        values["zip_fail_24m"] = Zip(24);
        return values;
    }
}
