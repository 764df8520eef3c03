namespace Inspections.Training;

/// <summary>The <c>Training</c> section of appsettings.json (defaults live there, not here).</summary>
internal sealed class TrainingSettings
{
    /// <summary>Number of temporal validation folds; the last one is the "latest validation fold".</summary>
    public int Folds { get; set; }

    /// <summary>Consecutive as-of dates per fold (snapshots are monthly: 1 is a month).</summary>
    public int FoldAsOfDates { get; set; }

    /// <summary>
    /// A <c>models.candidate_folds</c> metric column, averaged over folds: e.g. roc_auc, days_earlier, precision_at_10,
    /// brier (lower wins).
    /// </summary>
    public string SelectionMetric { get; set; } = "";

    /// <summary>
    /// Training rows weigh 0.5^(age in months / this); 0: every row weighs the same (see
    /// <see cref="ModelScorer.RecencyWeight"/>).
    /// </summary>
    public double RecencyHalfLifeMonths { get; set; }

    /// <summary>The threshold flags this share of the latest validation fold (the highest scores).</summary>
    public double ThresholdTopShare { get; set; }

    public List<LogisticSettings> Logistic { get; set; } = [];

    public List<TreeSettings> FastTree { get; set; } = [];

    public List<TreeSettings> LightGbm { get; set; } = [];

    /// <summary>
    /// How many months of snapshots before the run date train, select and the refit learn from; 0 = the whole history.
    /// Older inspections describe another regime (the City renumbered its violations in 2018), and without a bound
    /// every weekly run's training would take longer than the last.
    /// </summary>
    public int HistoryMonths { get; set; }

    /// <summary>
    /// The first as-of date that may train a model at <paramref name="runDate"/>; null for the whole history.
    /// </summary>
    public DateOnly? HistoryStart(DateOnly runDate) => HistoryMonths > 0 ? runDate.AddMonths(-HistoryMonths) : null;

    /// <summary>Days after an as-of date within which its label is observed: <c>Features:LabelWindowDays</c>.</summary>
    public int LabelWindowDays { get; set; }

    public static TrainingSettings From(Hosting.AppSettings settings)
    {
        var training = settings.Bind<TrainingSettings>("Training");
        training.LabelWindowDays = int.Parse(
            settings.Configuration["Features:LabelWindowDays"]
                ?? throw new InvalidOperationException("Features:LabelWindowDays is not configured"),
            System.Globalization.CultureInfo.InvariantCulture);
        if (training.Folds < 1 || training.FoldAsOfDates < 1)
            throw new InvalidOperationException("Training:Folds and Training:FoldAsOfDates must be at least 1");
        if (training.RecencyHalfLifeMonths < 0)
            throw new InvalidOperationException(
                "Training:RecencyHalfLifeMonths must be 0 (no weights) or a number of months");
        if (training.HistoryMonths < 0)
            throw new InvalidOperationException(
                "Training:HistoryMonths must be 0 (the whole history) or a number of months");
        return training;
    }
}

internal sealed class LogisticSettings
{
    public double L2Regularization { get; set; }
}

internal sealed class TreeSettings
{
    public int Leaves { get; set; }
    public int Trees { get; set; }
    public int MinLeaf { get; set; }
    public double LearningRate { get; set; }
}
