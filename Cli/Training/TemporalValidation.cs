using System.Collections.Concurrent;

namespace Inspections.Training;

/// <summary>A validation fold: consecutive as-of dates, and the rows a model may learn from before it.</summary>
internal sealed record Fold(
    int Number,
    DateOnly Start,
    DateOnly End,
    IReadOnlyList<FeatureRow> Train,
    IReadOnlyList<FeatureRow> Valid);

/// <summary>
/// What temporal validation gives: each candidate's metrics per fold, its scores of the latest fold, and the model
/// fitted for each (candidate, fold), which scores what was known before that fold only (e.g. the fold's whole cohort).
/// </summary>
internal sealed record Validation(
    IReadOnlyList<FoldMetrics> Metrics,
    IReadOnlyDictionary<string, IReadOnlyList<double>> LatestFoldScores,
    IReadOnlyDictionary<(string Candidate, int Fold), ModelScorer> FoldModels);

/// <summary>One candidate's metrics on one fold (a row of <c>models.candidate_folds</c>).</summary>
/// <param name="LiftAt10">Precision at 10% over the fold's fail rate.</param>
/// <param name="DaysEarlier">
/// See <see cref="RankingMetrics.DaysEarlier"/>; null when the fold has no fail or no label dates.
/// </param>
/// <param name="OracleDaysEarlier">The same with every fail ranked first: the fold's ceiling.</param>
internal sealed record FoldMetrics(
    string Candidate, string Algorithm, string HyperParameters, int Fold, DateOnly FoldStart, DateOnly FoldEnd,
    int TrainRows, int ValidRows, int ValidPositives, double? RocAuc,
    double PrecisionAt5, double PrecisionAt10, double PrecisionAt20,
    double? RecallAt5, double? RecallAt10, double? RecallAt20, double Brier,
    double? LiftAt10 = null, double? DaysEarlier = null, double? OracleDaysEarlier = null)
{
    /// <summary>The metric named as its column; brier is the one where lower is better.</summary>
    public double? Metric(string name) => name switch
    {
        "roc_auc" => RocAuc,
        "precision_at_5" => PrecisionAt5,
        "precision_at_10" => PrecisionAt10,
        "precision_at_20" => PrecisionAt20,
        "recall_at_5" => RecallAt5,
        "recall_at_10" => RecallAt10,
        "recall_at_20" => RecallAt20,
        "brier" => Brier,
        "lift_at_10" => LiftAt10,
        "days_earlier" => DaysEarlier,
        _ => throw new InvalidOperationException(
            $"unknown metric '{name}' (Training:SelectionMetric): use roc_auc, days_earlier, " +
            "precision_at_5|10|20, recall_at_5|10|20, lift_at_10 or brier"),
    };

    public static bool LowerIsBetter(string metric) => metric == "brier";

    public static FoldMetrics Measure(
        Candidate candidate,
        string hyperParameters,
        Fold fold,
        IReadOnlyList<double> scores)
    {
        if (scores.Any(double.IsNaN))
            throw new InvalidOperationException($"{candidate.Name} scored NaN on fold {fold.Number}");
        var labels = fold.Valid.Select(r => r.LabelFail == true).ToArray();
        var at = RankingMetrics.TopShares.Select(s => RankingMetrics.AtTopShare(scores, labels, s)).ToArray();
        var positives = labels.Count(l => l);
        double? days = null, oracle = null;
        if (fold.Valid.All(r => r.LabelDate is not null))
        {
            var dates = fold.Valid.Select(r => r.LabelDate!.Value).ToArray();
            days = RankingMetrics.DaysEarlier(scores, labels, dates);
            oracle = RankingMetrics.DaysEarlier(labels.Select(l => l ? 1.0 : 0.0).ToArray(), labels, dates);
        }
        return new FoldMetrics(candidate.Name, candidate.Algorithm, hyperParameters, fold.Number, fold.Start, fold.End,
            fold.Train.Count, fold.Valid.Count, positives, RankingMetrics.RocAuc(scores, labels),
            at[0].Precision, at[1].Precision, at[2].Precision, at[0].Recall, at[1].Recall, at[2].Recall,
            RankingMetrics.Brier(scores, labels),
            positives == 0 ? null : at[1].Precision / ((double)positives / labels.Length), days, oracle);
    }
}

/// <summary>
/// Temporal cross-validation: train on the past, validate on the following weeks. The last
/// Folds x FoldAsOfDates as-of dates are cut into consecutive folds (fold 1 the oldest, the last one
/// the "latest validation fold"); a fold's model learns only from snapshots whose label window had
/// closed before the fold's first as-of date (as_of_date + window &lt;= fold start), so no label it
/// learns from was unknown on that date.
/// </summary>
internal static class TemporalValidation
{
    public static IReadOnlyList<Fold> Folds(IReadOnlyList<FeatureRow> rows, TrainingSettings settings)
    {
        // Validation rows in a fixed order too: sums (Brier) and ties then come out the same to the last bit.
        rows = FeatureRows.InCanonicalOrder(rows);
        var dates = rows.Select(r => r.AsOfDate).Distinct().Order().ToList();
        var needed = settings.Folds * settings.FoldAsOfDates;
        if (dates.Count <= needed)
            throw new InvalidOperationException(
                $"{dates.Count} labelled as-of dates: temporal validation needs more than {needed} " +
                $"({settings.Folds} folds of {settings.FoldAsOfDates}) plus older ones to train on");
        var folds = new List<Fold>();
        for (var f = 0; f < settings.Folds; f++)
        {
            var foldDates = dates
                .Skip(dates.Count - needed + f * settings.FoldAsOfDates)
                .Take(settings.FoldAsOfDates)
                .ToHashSet();
            var start = foldDates.Min();
            var end = foldDates.Max();
            var train = rows.Where(r => r.AsOfDate.AddDays(settings.LabelWindowDays) <= start).ToList();
            if (train.Count == 0)
                throw new InvalidOperationException(
                    $"fold {f + 1} starts {start:yyyy-MM-dd}: no snapshot's label window closed before it; " +
                    "give an older history or fewer folds");
            folds.Add(new Fold(f + 1, start, end, train, rows.Where(r => foldDates.Contains(r.AsOfDate)).ToList()));
        }
        return folds;
    }

    /// <summary>
    /// Every candidate on every fold: the metrics in grid order, and each candidate's scores of the latest
    /// fold's rows (in <see cref="Fold.Valid"/> order); <paramref name="progress"/> gets (done, total) fits.
    /// Fits run in parallel (one per core): each has its own seeded context and one thread, so the
    /// results do not depend on which ran first.
    /// </summary>
    public static Validation Evaluate(
        IReadOnlyList<Candidate> candidates,
        IReadOnlyList<Fold> folds,
        double recencyHalfLifeMonths,
        Action<int, int>? progress = null)
    {
        var work = candidates.SelectMany(c => folds.Select(f => (Candidate: c, Fold: f))).ToList();
        var results = new FoldMetrics[work.Count];
        var latestScores = new double[candidates.Count][];
        var models = new ModelScorer[work.Count];
        var done = 0;
        // Costliest first, handed out one at a time: with a core per fit, a slow fit started last would
        // leave the other core idle while it finishes.
        var order = Enumerable.Range(0, work.Count)
            .OrderByDescending(i => RelativeCost(work[i].Candidate.Algorithm))
            .ThenByDescending(i => work[i].Fold.Train.Count)
            .ThenBy(i => i)
            .ToList();
        Parallel.ForEach(Partitioner.Create(order, EnumerablePartitionerOptions.NoBuffering),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var (candidate, fold) = work[i];
            var model = models[i] = ModelScorer.Fit(candidate, fold.Train, recencyHalfLifeMonths);
            var scores = model.Score(fold.Valid);
            results[i] = FoldMetrics.Measure(candidate, candidate.HyperParametersJson, fold, scores);
            if (fold.Number == folds[^1].Number) latestScores[i / folds.Count] = scores;
            var finished = Interlocked.Increment(ref done);
            lock (results) progress?.Invoke(finished, work.Count);
        });
        return new Validation(results, candidates.Select((c, i) => (c.Name, Scores: latestScores[i]))
            .ToDictionary(p => p.Name, p => (IReadOnlyList<double>)p.Scores),
            work.Select((w, i) => (Key: (w.Candidate.Name, w.Fold.Number), Model: models[i]))
                .ToDictionary(p => p.Key, p => p.Model));
    }

    /// <summary>
    /// Single-threaded seconds per fit over 800,000 rows, measured: FastTree 10.5, LightGBM 6.8, logistic 4.5,
    /// baseline 0.3.
    /// </summary>
    private static int RelativeCost(string algorithm) => algorithm switch
    {
        Candidate.FastTree => 3,
        Candidate.LightGbm => 2,
        Candidate.Logistic => 1,
        _ => 0,
    };

    /// <summary>
    /// Candidates by mean of <paramref name="metric"/> over folds, best first; grid order breaks ties.
    /// </summary>
    public static IReadOnlyList<(string Candidate, double Mean)> Rank(
        IReadOnlyList<FoldMetrics> results,
        IReadOnlyList<string> gridOrder,
        string metric)
    {
        var sign = FoldMetrics.LowerIsBetter(metric) ? 1 : -1;
        return results.GroupBy(r => r.Candidate)
            .Select(g => (Candidate: g.Key, Mean: Mean(g.Select(r => r.Metric(metric)))))
            .OrderBy(c => double.IsNaN(c.Mean) ? 1 : 0)
            .ThenBy(c => sign * c.Mean)
            .ThenBy(c => IndexOf(gridOrder, c.Candidate))
            .ToList();
    }

    /// <summary>The sample standard deviation of the defined values over folds; NaN with fewer than two.</summary>
    public static double StandardDeviation(IEnumerable<double?> values)
    {
        var defined = values.Where(v => v is not null).Select(v => v!.Value).ToList();
        if (defined.Count < 2) return double.NaN;
        var mean = defined.Average();
        return Math.Sqrt(defined.Sum(v => (v - mean) * (v - mean)) / (defined.Count - 1));
    }

    /// <summary>The mean of the defined values (AUC is undefined on a fold with one class); NaN when none is.</summary>
    public static double Mean(IEnumerable<double?> values)
    {
        var defined = values.Where(v => v is not null).Select(v => v!.Value).ToList();
        return defined.Count == 0 ? double.NaN : defined.Average();
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
            if (list[i] == value) return i;
        return int.MaxValue;
    }
}
