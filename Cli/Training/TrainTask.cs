using System.Diagnostics;
using System.Text.Json.Serialization;
using Dapper;
using Inspections.Pipeline;
using Microsoft.Extensions.Logging;

namespace Inspections.Training;

/// <summary>
/// <c>train</c>: validates every candidate of the grid (the risk baseline, logistic regression,
/// FastTree, LightGBM) on temporal folds of the snapshots whose label is known by the run date,
/// and writes their per-fold metrics to <c>models.candidate_folds</c> and their scores of the latest
/// fold to <c>models.candidate_scores</c>. Selecting and storing a model is the select task's job.
/// </summary>
internal sealed class TrainTask(DateOnly date, string source, IReadOnlyList<PipelineTask> upstream)
    : StageTask<TrainResult>(date, source, upstream)
{
    public override string Name => "train";

    public override async Task<TrainResult> RunAsync(TaskContext ctx, CancellationToken ct)
    {
        await CandidateFolds.DeleteAsync(ctx.Connection, ctx.Transaction, Date, ct);
        var settings = TrainingSettings.From(ctx.Settings);
        var rows = await FeatureRows.ReadLabelledAsync(ctx.Connection, ctx.Transaction, Date, settings.LabelWindowDays,
            settings.HistoryStart(Date), ct);
        var folds = TemporalValidation.Folds(rows, settings);
        var candidates = Candidate.Grid(settings);

        var clock = Stopwatch.StartNew();
        var validation = TemporalValidation.Evaluate(candidates, folds, settings.RecencyHalfLifeMonths,
            (done, total) => ctx.Progress.Report(done, total, "models x folds"));
        clock.Stop();
        var results = validation.Metrics;
        var written = await CandidateFolds.WriteAsync(ctx.Connection, Date, results, ct)
            + await CandidateFolds.WriteLatestFoldScoresAsync(ctx.Connection, Date, folds[^1].Valid,
                validation.LatestFoldScores, ct);

        var ranking = TemporalValidation.Rank(results, candidates.Select(c => c.Name).ToList(),
            settings.SelectionMetric);
        // Select will pick the best by the same ranking of the same folds; only train holds its fold models.
        var reference = await ReferenceCohort.WriteCandidateScoresAsync(ctx.Connection, ctx.Transaction, Date,
            ranking[0].Candidate, folds, validation.FoldModels, ct);
        ctx.Log.LogInformation(
            "Validated {Candidates} candidates on {Folds} folds of {Rows} labelled snapshots in {Seconds:0.0} s",
            candidates.Count, folds.Count, rows.Count, clock.Elapsed.TotalSeconds);
        return new TrainResult(rows.Count, rows.Select(r => r.AsOfDate).Distinct().Count(), folds.Count,
            settings.HistoryStart(Date), folds[0].Start, folds[^1].Valid.Count, candidates.Count,
            Math.Round(clock.Elapsed.TotalSeconds, 2), settings.RecencyHalfLifeMonths, settings.SelectionMetric,
            ranking[0].Candidate, ranking[0].Mean, ranking.Single(r => r.Candidate == Candidate.Baseline).Mean,
            reference.Dates, reference.Rows, written + reference.Rows)
        {
            FoldAsOfDates = folds.SelectMany(f => f.Valid.Select(r => r.AsOfDate)).Distinct().Order().ToList(),
        };
    }

    private const string MissingFolds = """
        select c.candidate || ' fold ' || f.fold
        from (select distinct candidate from models.candidate_folds where train_date = @date) c
        cross join (select distinct fold from models.candidate_folds where train_date = @date) f
        left join models.candidate_folds m on m.train_date = @date and m.candidate = c.candidate and m.fold = f.fold
        where m.candidate is null
           or m.precision_at_5 is null or m.precision_at_10 is null or m.precision_at_20 is null or m.brier is null
           -- AUC and recall are undefined only when the fold lacks a class
           or (m.roc_auc is null and m.valid_positives between 1 and m.valid_rows - 1)
           or (m.recall_at_10 is null and m.valid_positives > 0)
        order by 1
        """;

    private const string FoldSizes = """
        select coalesce(min(valid_positives), 0) as MinPositives, coalesce(min(train_rows), 0) as MinTrainRows,
               count(distinct candidate) as Candidates,
               (select count(*) from models.candidate_scores where train_date = @date) as LatestScores
        from models.candidate_folds where train_date = @date
        """;

    public override async Task CheckAsync(TaskContext ctx, TrainResult result, CheckSet checks, CancellationToken ct)
    {
        var missing = (await ctx.QueryAsync<string>(MissingFolds, new { date = Date }, ct)).ToList();
        checks.None("candidates_missing_fold_metrics", missing.Count,
            "every candidate needs every metric on every fold, or the comparison is not like for like", missing);

        var sizes = await ctx.SingleAsync<(int MinPositives, int MinTrainRows, long Candidates, long LatestScores)>(
            FoldSizes, new { date = Date }, ct);
        checks.AtLeast("min_fold_positives", sizes.MinPositives,
            "a fold with (almost) no failed inspection cannot tell models apart; labelled_rows={labelled_rows}");
        checks.AtLeast("min_train_rows", sizes.MinTrainRows,
            "the first fold starting {first_fold_start} has too little history before it to learn from");
        checks.Equal("candidates_written", (long)result.Candidates, sizes.Candidates,
            "each candidate of the grid is validated");
        var foldDates = await ctx.ScalarAsync<long>(
            "select count(distinct as_of_date) from features.fold_cohort where as_of_date = any(@dates)",
            new { dates = result.FoldAsOfDates.ToArray() }, ct);
        checks.Equal("fold_cohorts_scored", foldDates, (long)result.FoldCohortDates,
            "each validation fold date's whole cohort (features.fold_cohort) is scored by the fold's model: " +
            "monitoring's reference");
        checks.Equal("latest_fold_scores_written", (long)result.Candidates * result.LatestFoldRows, sizes.LatestScores,
            "each candidate's score of each of the latest fold's {latest_fold_rows} rows is kept for select");
    }
}

/// <summary>What train validated: the folds, the grid, and the best candidate's mean against the baseline's.</summary>
/// <param name="HistoryStart">
/// The first as-of date training reads (<c>Training:HistoryMonths</c>), or null for all.
/// </param>
/// <param name="FitSeconds">Wall seconds of every fit and score of the validation.</param>
/// <param name="FoldCohortDates">
/// Fold as-of dates whose whole cohort the best candidate's fold models scored (of <paramref name="Folds"/> x
/// FoldAsOfDates).
/// </param>
internal sealed record TrainResult(
    int LabelledRows,
    int AsOfDates,
    int Folds,
    DateOnly? HistoryStart,
    DateOnly FirstFoldStart,
    int LatestFoldRows,
    int Candidates,
    double FitSeconds,
    double RecencyHalfLifeMonths,
    string SelectionMetric,
    string BestCandidate,
    double BestMean,
    double BaselineMean,
    int FoldCohortDates,
    long FoldCohortScores,
    [property: JsonIgnore] long Written) : TaskResult
{
    public override long RowsWritten => Written;

    [JsonIgnore]
    public IReadOnlyList<DateOnly> FoldAsOfDates { get; init; } = [];
}
