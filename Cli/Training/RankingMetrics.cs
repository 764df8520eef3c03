namespace Inspections.Training;

/// <summary>
/// Precision and recall among the k highest scores; see <see cref="RankingMetrics.AtTopShare"/> for ties.
/// </summary>
internal readonly record struct AtK(int K, double Precision, double? Recall);

/// <summary>
/// Validation metrics of scores against labels. Pure functions; every one handles tied scores explicitly,
/// because the baseline gives thousands of rows the same score and trees give many rows the same leaf values.
/// </summary>
internal static class RankingMetrics
{
    /// <summary>The shares of rows an inspection team can visit: precision and recall are reported at each.</summary>
    public static IReadOnlyList<double> TopShares { get; } = [0.05, 0.10, 0.20];

    /// <summary>k for a share of n rows: rounded up, at least 1, so a small fold still gets a top.</summary>
    public static int K(double share, int n) => Math.Clamp((int)Math.Ceiling(share * n - 1e-9), 1, Math.Max(n, 1));

    /// <summary>
    /// Precision and recall at k = <see cref="K"/>(share, n), "stochastic" as in Triage: when the k-th and
    /// (k+1)-th scores tie, the rows of that tied block are not ordered by accident (input order, license)
    /// but by a random tie-break, and the metric is its expected value. Rows strictly above the block
    /// count fully; the m places left for the block (m = k - rows above) take m/t of its t rows, so they
    /// contribute m/t of its positives. Recall is null when the fold has no positives.
    /// </summary>
    public static AtK AtTopShare(IReadOnlyList<double> scores, IReadOnlyList<bool> labels, double share)
    {
        var n = scores.Count;
        if (n == 0) throw new ArgumentException("no rows to rank", nameof(scores));
        var k = K(share, n);
        var order = Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ToArray();
        var boundary = scores[order[k - 1]];
        double above = 0, positivesAbove = 0, tied = 0, positivesTied = 0, positives = 0;
        for (var i = 0; i < n; i++)
        {
            if (labels[i]) positives++;
            if (scores[i] > boundary)
            {
                above++;
                if (labels[i]) positivesAbove++;
            }
            else if (scores[i] == boundary)
            {
                tied++;
                if (labels[i]) positivesTied++;
            }
        }
        var expectedPositives = positivesAbove + (k - above) * positivesTied / tied;
        return new AtK(k, expectedPositives / k, positives == 0 ? null : expectedPositives / positives);
    }

    /// <summary>
    /// ROC AUC as the Mann-Whitney statistic: the probability that a random positive scores above a
    /// random negative, a tie counting one half. Null when the labels hold only one class.
    /// </summary>
    public static double? RocAuc(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double positives = 0, negatives = 0, rankSumPositives = 0;
        var start = 0;
        while (start < order.Length)
        {
            var end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]]) end++;
            var midRank = (start + end) / 2.0 + 1; // 1-based average rank of the tied block
            for (var j = start; j <= end; j++)
            {
                if (labels[order[j]]) { positives++; rankSumPositives += midRank; }
                else negatives++;
            }
            start = end + 1;
        }
        if (positives == 0 || negatives == 0) return null;
        return (rankSumPositives - positives * (positives + 1) / 2) / (positives * negatives);
    }

    /// <summary>
    /// Days earlier, the City of Chicago's measure of its own 2014 model: the fold's inspections are re-run in score
    /// order on the same dates (the i-th highest score gets the i-th earliest of the fold's inspection dates), and the
    /// result is the mean, over the failed ones, of (actual date - re-run date) in days. Ties in expectation, as
    /// precision at k: a tied block of scores takes the mean of the dates of the places it spans. Null when the fold
    /// has no fail. With the labels as scores it is the fold's oracle, the most a ranking can give there.
    /// </summary>
    public static double? DaysEarlier(
        IReadOnlyList<double> scores,
        IReadOnlyList<bool> labels,
        IReadOnlyList<DateOnly> dates)
    {
        var n = scores.Count;
        var sorted = dates.Select(d => (double)d.DayNumber).Order().ToArray();
        var prefix = new double[n + 1];
        for (var i = 0; i < n; i++) prefix[i + 1] = prefix[i] + sorted[i];
        // Highest first; the sort is stable, but ties are averaged below, so the input order does not matter.
        var order = Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ToArray();
        double sum = 0, fails = 0;
        var start = 0;
        while (start < n)
        {
            var end = start;
            while (end + 1 < n && scores[order[end + 1]] == scores[order[start]]) end++;
            var rerun = (prefix[end + 1] - prefix[start]) / (end - start + 1);
            for (var j = start; j <= end; j++)
            {
                if (!labels[order[j]]) continue;
                sum += dates[order[j]].DayNumber - rerun;
                fails++;
            }
            start = end + 1;
        }
        return fails == 0 ? null : sum / fails;
    }

    /// <summary>Mean squared difference between the score (a probability) and the outcome (1 = fail).</summary>
    public static double Brier(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        double sum = 0;
        for (var i = 0; i < scores.Count; i++)
        {
            var error = scores[i] - (labels[i] ? 1 : 0);
            sum += error * error;
        }
        return sum / scores.Count;
    }
}
