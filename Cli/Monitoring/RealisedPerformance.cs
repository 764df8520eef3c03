using System.ComponentModel;
using Inspections.Training;

namespace Inspections.Monitoring;

/// <summary>
/// One predicted establishment whose outcome arrived: its score, whether it failed, and when it was inspected.
/// </summary>
internal readonly record struct Outcome(string License, double Score, bool Fail, DateOnly InspectionDate);

/// <summary>A score decile's mean score against its observed fail rate (decile 1 holds the lowest scores).</summary>
internal sealed record CalibrationBin(
    [property: Description("Score decile, 1 = the lowest tenth of scores, 10 = the highest.")] int Decile,
    [property: Description("Evaluated establishments in the decile.")] int Rows,
    [property: Description("Their mean score.")] double MeanScore,
    [property: Description("The share of them that failed.")] double FailRate);

/// <summary>
/// How a prediction date's scores did once its outcomes arrived. Figures are null where undefined (one class only).
/// </summary>
internal sealed record RealisedFigures(
    int Evaluated,
    int Fails,
    double? FailRate,
    double? RocAuc,
    double? PrecisionAt5,
    double? PrecisionAt10,
    double? PrecisionAt20,
    double? LiftAt10,
    double? DaysEarlier,
    double? Brier,
    IReadOnlyList<CalibrationBin> Calibration);

/// <summary>
/// The realised figures of one prediction date, measured as validation measures a fold: over the establishments
/// whose outcome arrived, with the same ranking metrics (<see cref="RankingMetrics"/>, ties handled stochastically).
/// </summary>
internal static class RealisedPerformance
{
    public static RealisedFigures Measure(IReadOnlyList<Outcome> outcomes)
    {
        if (outcomes.Count == 0) return new(0, 0, null, null, null, null, null, null, null, null, []);
        var scores = outcomes.Select(o => o.Score).ToArray();
        var labels = outcomes.Select(o => o.Fail).ToArray();
        var fails = labels.Count(l => l);
        var failRate = (double)fails / outcomes.Count;
        var at = RankingMetrics.TopShares.Select(s => RankingMetrics.AtTopShare(scores, labels, s).Precision).ToArray();
        return new(outcomes.Count, fails, failRate, RankingMetrics.RocAuc(scores, labels), at[0], at[1], at[2],
            fails == 0 ? null : at[1] / failRate, DaysEarlier(outcomes), RankingMetrics.Brier(scores, labels),
            Calibration(outcomes));
    }

    /// <summary>
    /// The City's 2014 measure: the same inspections, on the same sorted dates, visited in score order (highest first);
    /// the mean number of days earlier each failing one would have been found. A block of tied scores shares its
    /// places: each of its rows gets the mean of their dates (the expected date under a random order of the block).
    /// Null when nothing failed.
    /// </summary>
    public static double? DaysEarlier(IReadOnlyList<Outcome> outcomes)
    {
        if (!outcomes.Any(o => o.Fail)) return null;
        var dates = outcomes.Select(o => (double)o.InspectionDate.DayNumber).Order().ToArray();
        var order = outcomes.OrderByDescending(o => o.Score).ToArray();
        double sum = 0;
        var failing = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && order[end + 1].Score == order[start].Score) end++;
            var assigned = 0.0;
            for (var i = start; i <= end; i++) assigned += dates[i];
            assigned /= end - start + 1;
            for (var i = start; i <= end; i++)
                if (order[i].Fail)
                {
                    sum += order[i].InspectionDate.DayNumber - assigned;
                    failing++;
                }
            start = end + 1;
        }
        return sum / failing;
    }

    /// <summary>
    /// Ten groups of (nearly) equal size by score, lowest first; license breaks ties so the groups are reproducible.
    /// </summary>
    public static IReadOnlyList<CalibrationBin> Calibration(IReadOnlyList<Outcome> outcomes)
    {
        var sorted = outcomes.OrderBy(o => o.Score).ThenBy(o => o.License, StringComparer.Ordinal).ToArray();
        return sorted.Select((o, i) => (Decile: i * 10 / sorted.Length + 1, Outcome: o))
            .GroupBy(p => p.Decile)
            .Select(g => new CalibrationBin(g.Key, g.Count(), g.Average(p => p.Outcome.Score),
                g.Average(p => p.Outcome.Fail ? 1.0 : 0.0)))
            .ToList();
    }
}
