using System.Diagnostics;
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
internal sealed class TrainTask(DateOnly date, string source, IReadOnlyList<PipelineTask> upstream) : StageTask(date, source, upstream)
{
    public override string Name => "train";

    public override async Task RunAsync(TaskContext ctx, CancellationToken ct)
    {
        await CandidateFolds.DeleteAsync(ctx.Connection, ctx.Transaction, Date, ct);
        var settings = TrainingSettings.From(ctx.Settings);
        var rows = await FeatureRows.ReadLabelledAsync(ctx.Connection, ctx.Transaction, Date, settings.LabelWindowDays, settings.HistoryStart(Date), ct);
        var folds = TemporalValidation.Folds(rows, settings);
        var candidates = Candidate.Grid(settings);

        var clock = Stopwatch.StartNew();
        var validation = TemporalValidation.Evaluate(candidates, folds, settings.RecencyHalfLifeMonths,
            (done, total) => ctx.Progress.Report(done, total, "models x folds"));
        clock.Stop();
        var results = validation.Metrics;
        ctx.RowsWritten = await CandidateFolds.WriteAsync(ctx.Connection, Date, results, ct)
            + await CandidateFolds.WriteLatestFoldScoresAsync(ctx.Connection, Date, folds[^1].Valid, validation.LatestFoldScores, ct);

        var ranking = TemporalValidation.Rank(results, candidates.Select(c => c.Name).ToList(), settings.SelectionMetric);
        ctx.Figures["labelled_rows"] = rows.Count;
        ctx.Figures["as_of_dates"] = rows.Select(r => r.AsOfDate).Distinct().Count();
        ctx.Figures["folds"] = folds.Count;
        ctx.Figures["history_start"] = settings.HistoryStart(Date);
        ctx.Figures["first_fold_start"] = folds[0].Start;
        ctx.Figures["latest_fold_rows"] = folds[^1].Valid.Count;
        ctx.Figures["candidates"] = candidates.Count;
        ctx.Figures["fit_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 2);
        ctx.Figures["recency_half_life_months"] = settings.RecencyHalfLifeMonths;
        ctx.Figures["selection_metric"] = settings.SelectionMetric;
        ctx.Figures["best_candidate"] = ranking[0].Candidate;
        ctx.Figures["best_mean"] = ranking[0].Mean;
        ctx.Figures["baseline_mean"] = ranking.Single(r => r.Candidate == Candidate.Baseline).Mean;
        ctx.Log.LogInformation("Validated {Candidates} candidates on {Folds} folds of {Rows} labelled snapshots in {Seconds:0.0} s",
            candidates.Count, folds.Count, rows.Count, clock.Elapsed.TotalSeconds);
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

    public override async Task CheckAsync(TaskContext ctx, CheckSet checks, CancellationToken ct)
    {
        var missing = (await ctx.Connection.QueryAsync<string>(new CommandDefinition(MissingFolds, new { date = Date }, ctx.Transaction, cancellationToken: ct))).ToList();
        checks.None("candidates_missing_fold_metrics", missing.Count,
            "every candidate needs every metric on every fold, or the comparison is not like for like", missing);

        var sizes = await ctx.Connection.QuerySingleAsync<(int MinPositives, int MinTrainRows, long Candidates, long LatestScores)>(
            new CommandDefinition(FoldSizes, new { date = Date }, ctx.Transaction, cancellationToken: ct));
        checks.AtLeast("min_fold_positives", sizes.MinPositives,
            "a fold with (almost) no failed inspection cannot tell models apart; labelled_rows={labelled_rows}");
        checks.AtLeast("min_train_rows", sizes.MinTrainRows,
            "the first fold starting {first_fold_start} has too little history before it to learn from");
        checks.Equal("candidates_written", (long)(int)ctx.Figures["candidates"]!, sizes.Candidates,
            "each candidate of the grid is validated");
        checks.Equal("latest_fold_scores_written", (long)(int)ctx.Figures["candidates"]! * (int)ctx.Figures["latest_fold_rows"]!, sizes.LatestScores,
            "each candidate's score of each of the latest fold's {latest_fold_rows} rows is kept for select");
    }
}
