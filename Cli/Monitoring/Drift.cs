namespace Inspections.Monitoring;

/// <summary>
/// Drift statistics between a reference score distribution (the selected model's validation scores)
/// and a current one (a day's predictions). Pure functions: the monitor task does the I/O.
/// </summary>
internal static class Drift
{
    public sealed record Bin(int Index, double Lower, double Upper, int Count, double Share);

    /// <summary>
    /// Population stability index over <paramref name="bins"/> bins whose edges are the reference's
    /// quantiles (so each bin holds about 1/bins of the reference; equal-width bins would put nearly
    /// every score of a rare-event model in the first one). Empty bins count as 0.0001 of a share,
    /// so one empty bin cannot make the index infinite.
    /// </summary>
    public static double Psi(IReadOnlyList<double> reference, IReadOnlyList<double> current, int bins)
    {
        if (reference.Count == 0 || current.Count == 0) return double.NaN;
        var edges = QuantileEdges(reference, bins);
        return Psi(Shares(reference, edges), Shares(current, edges));
    }

    /// <summary>PSI of two samples' shares of the same bins; an empty share counts as 0.0001.</summary>
    internal static double Psi(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
    {
        const double floor = 1e-4;
        var psi = 0.0;
        for (var i = 0; i < expected.Count; i++)
        {
            var e = Math.Max(expected[i], floor);
            var a = Math.Max(actual[i], floor);
            psi += (a - e) * Math.Log(a / e);
        }
        return psi;
    }

    /// <summary>
    /// PSI over categories: each category of either sample is a bin (a category the reference never saw is a bin
    /// of its own); empty shares count as 0.0001, as for numeric PSI.
    /// </summary>
    public static double CategoricalPsi(IReadOnlyList<string> reference, IReadOnlyList<string> current)
    {
        if (reference.Count == 0 || current.Count == 0) return double.NaN;
        var (expected, actual) = CategoryShares(reference, current);
        return CategoricalPsi(expected, actual);
    }

    /// <summary>
    /// PSI of two category shares: every category of either is a bin; a missing or empty share counts as 0.0001.
    /// </summary>
    internal static double CategoricalPsi(
        IReadOnlyDictionary<string, double> expected,
        IReadOnlyDictionary<string, double> actual)
    {
        const double floor = 1e-4;
        var psi = 0.0;
        foreach (var category in expected.Keys.Union(actual.Keys, StringComparer.Ordinal))
        {
            var e = Math.Max(expected.GetValueOrDefault(category), floor);
            var a = Math.Max(actual.GetValueOrDefault(category), floor);
            psi += (a - e) * Math.Log(a / e);
        }
        return psi;
    }

    /// <summary>
    /// Jensen-Shannon divergence of the two category distributions, in bits: 0 when equal, 1 when disjoint.
    /// </summary>
    public static double JensenShannon(IReadOnlyList<string> reference, IReadOnlyList<string> current)
    {
        if (reference.Count == 0 || current.Count == 0) return double.NaN;
        var (p, q) = CategoryShares(reference, current);
        double Term(double x, double m) => x == 0 ? 0 : x * Math.Log2(x / m);
        var js = 0.0;
        foreach (var category in p.Keys)
        {
            var m = (p[category] + q[category]) / 2;
            js += 0.5 * Term(p[category], m) + 0.5 * Term(q[category], m);
        }
        return Math.Max(0, js);
    }

    /// <summary>The number of distinct categories of the two samples together.</summary>
    public static int Categories(IReadOnlyList<string> reference, IReadOnlyList<string> current) =>
        reference.Concat(current).Distinct(StringComparer.Ordinal).Count();

    private static (Dictionary<string, double> Reference, Dictionary<string, double> Current) CategoryShares(
        IReadOnlyList<string> reference, IReadOnlyList<string> current)
    {
        var all = reference.Concat(current).Distinct(StringComparer.Ordinal).ToList();
        Dictionary<string, double> Shares(IReadOnlyList<string> values)
        {
            var shares = all.ToDictionary(c => c, _ => 0.0, StringComparer.Ordinal);
            foreach (var v in values) shares[v] += 1.0 / values.Count;
            return shares;
        }
        return (Shares(reference), Shares(current));
    }


    /// <summary>
    /// Bounds for histograms of both samples: their actual range, widened to a round step, so the bins hold data
    /// (a rare-event model puts nearly every score below 0.5, and fixed bins on 0..1 leave half of them empty).
    /// </summary>
    public static (double Lower, double Upper) Range(IEnumerable<double> values)
    {
        var list = values.ToList();
        if (list.Count == 0) return (0, 1);
        const double step = 0.01;
        var lower = Math.Max(0, Math.Floor(list.Min() / step) * step);
        var upper = Math.Min(1, Math.Ceiling(list.Max() / step) * step);
        return upper - lower < step ? (lower, lower + step) : (lower, upper);
    }

    /// <summary>The two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs.</summary>
    public static double KolmogorovSmirnov(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        if (reference.Count == 0 || current.Count == 0) return double.NaN;
        var a = Sorted(reference);
        var b = Sorted(current);
        int i = 0, j = 0;
        var d = 0.0;
        while (i < a.Length && j < b.Length)
        {
            var x = Math.Min(a[i], b[j]);
            while (i < a.Length && a[i] <= x) i++;
            while (j < b.Length && b[j] <= x) j++;
            d = Math.Max(d, Math.Abs((double)i / a.Length - (double)j / b.Length));
        }
        return d;
    }

    /// <summary>Equal-width bins over [lower, upper]; values outside go to the end bins.</summary>
    public static IReadOnlyList<Bin> Histogram(
        IReadOnlyList<double> values,
        int bins,
        double lower = 0,
        double upper = 1)
    {
        var counts = new int[bins];
        var width = (upper - lower) / bins;
        foreach (var v in values) counts[Math.Clamp((int)Math.Floor((v - lower) / width), 0, bins - 1)]++;
        return Enumerable.Range(0, bins)
            .Select(i => new Bin(i, lower + i * width, lower + (i + 1) * width, counts[i],
                values.Count == 0 ? 0 : (double)counts[i] / values.Count))
            .ToList();
    }

    /// <summary>
    /// Inner edges: bins-1 reference quantiles, duplicates removed (ties in scores collapse bins), and none at the
    /// reference's minimum (it would open a bin below it that the reference never fills: a 0/1 flag gets two bins, not
    /// three).
    /// </summary>
    internal static double[] QuantileEdges(IReadOnlyList<double> reference, int bins)
    {
        var sorted = Sorted(reference);
        return Enumerable.Range(1, bins - 1)
            .Select(k => sorted[Math.Min(sorted.Length - 1, (int)Math.Floor((double)k * sorted.Length / bins))])
            .Where(edge => edge > sorted[0])
            .Distinct()
            .ToArray();
    }

    /// <summary>
    /// A sorted copy. Array.Sort sorts doubles as doubles; LINQ's Order() sorts an index map through a comparison
    /// delegate, which was a fifth of monitor's time on a 684,000-row reference.
    /// </summary>
    private static double[] Sorted(IReadOnlyList<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted;
    }

    /// <summary>Share of values per bin; bin i holds edges[i-1] &lt;= v &lt; edges[i].</summary>
    internal static double[] Shares(IReadOnlyList<double> values, double[] edges)
    {
        var counts = Counts(values, edges);
        return counts.Select(c => c / values.Count).ToArray();
    }

    /// <summary>Values per bin; bin i holds edges[i-1] &lt;= v &lt; edges[i].</summary>
    internal static double[] Counts(IEnumerable<double> values, double[] edges)
    {
        var counts = new double[edges.Length + 1];
        foreach (var v in values)
        {
            var index = Array.BinarySearch(edges, v);
            counts[index >= 0 ? index + 1 : ~index]++;
        }
        return counts;
    }
}
