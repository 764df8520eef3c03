using Inspections.Features;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using Inspections.Pipeline;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Inspections.Training;

/// <summary>
/// <c>select</c>: picks the candidate with the best mean of <c>Training:SelectionMetric</c> over the
/// train task's folds, refits it on every snapshot whose label is known by the run date, and stores it
/// in <c>models.registry</c> with its threshold, fold metrics and model bytes, plus its out-of-sample
/// scores on the latest validation fold (as train stored them) in <c>models.validation_scores</c>.
/// </summary>
internal sealed class SelectTask(DateOnly date, string source, IReadOnlyList<PipelineTask> upstream)
    : StageTask<SelectResult>(date, source, upstream)
{
    /// <summary>How the threshold is chosen, as the registry records it ({0}: the share).</summary>
    public const string ThresholdRule =
        "the lowest score among the top {0:0.##%} of the training date's cohort (every active establishment on that " +
        "date) as this model scores it; label fail when score >= threshold";

    public override string Name => "select";

    public string TaskParametersJson => JsonSerializer.Serialize(
        new SortedDictionary<string, string>(Parameters.ToDictionary(), StringComparer.Ordinal));

    public override async Task<SelectResult> RunAsync(TaskContext ctx, CancellationToken ct)
    {
        // The registry is append-only: predictions keep pointing at the model that made them, and a
        // forced or overridden select adds a model (named by its run) that becomes the newest.
        var settings = TrainingSettings.From(ctx.Settings);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Phase(string phase)
        {
            ctx.Log.LogDebug("{Phase} in {Ms} ms", phase, clock.ElapsedMilliseconds);
            clock.Restart();
        }
        var results = await CandidateFolds.ReadAsync(ctx.Connection, ctx.Transaction, Date, ct);
        if (results.Count == 0)
            throw new InvalidOperationException($"no candidate was validated on {Date:yyyy-MM-dd}: run train first");
        var grid = Candidate.Grid(settings);
        var metric = settings.SelectionMetric;
        var ranking = TemporalValidation.Rank(results, grid.Select(c => c.Name).ToList(), metric);
        var best = ranking[0];
        var candidate = grid.SingleOrDefault(c => c.Name == best.Candidate)
            ?? throw new InvalidOperationException(
                $"{best.Candidate} won on {Date:yyyy-MM-dd} but is no longer in the Training grid: run train --force");
        var baselineMean = ranking.Single(r => r.Candidate == Candidate.Baseline).Mean;

        var rows = await FeatureRows.ReadLabelledAsync(ctx.Connection, ctx.Transaction, Date, settings.LabelWindowDays,
            settings.HistoryStart(Date), ct);
        var latest = TemporalValidation.Folds(rows, settings)[^1];
        Phase($"read {rows.Count} labelled rows");

        // The reference distribution must be honest: the scores of the model trained for the latest
        // fold (on what was known before it), as train stored them, not the refit's, which has seen these rows'
        // labels.
        var validationScores = await CandidateFolds.ReadLatestFoldScoresAsync(ctx.Connection, ctx.Transaction, Date,
                candidate.Name, latest.Valid, ct)
            ?? throw new InvalidOperationException(
                $"train stored no latest-fold scores of {candidate.Name} for the rows of " +
                $"{latest.Start:yyyy-MM-dd}..{latest.End:yyyy-MM-dd}: run train --force");
        var stored = results.Single(r => r.Candidate == candidate.Name && r.Fold == latest.Number);
        var reproduced = FoldMetrics.Measure(candidate, candidate.HyperParametersJson, latest, validationScores);
        Phase("read the latest fold's scores");
        // The one fit of this task: it may have every core.
        var refit = ModelScorer.Fit(candidate, rows, settings.RecencyHalfLifeMonths,
            treeThreads: Environment.ProcessorCount);
        var bytes = refit.Save();
        var scoresBeforeSaving = refit.Score(latest.Valid);
        Phase("refit");

        // The reference cohort as this model scores it: drift compares populations under one model, not two models.
        var referenceScores =
            await ReferenceCohort.ScoreWithAsync(ctx.Connection, ctx.Transaction, Date, candidate.Name, refit, ct);
        if (referenceScores.Count == 0)
            throw new InvalidOperationException(
                $"train stored no reference cohort of {candidate.Name} on {Date:yyyy-MM-dd}: run train --force");
        Phase($"score {referenceScores.Count} reference rows");
        // The threshold from the population it labels, as the model that labels it scores it: the training date's
        // cohort (every active establishment on the date). The latest fold's labelled rows are the establishments that
        // happened to be inspected (a threshold from them labelled 6.9% of the cohort fail); and scores follow the
        // city's recent fail rate and the season (the reference months' shares above one threshold ranged 7.9-12.9%),
        // so only the date's own cohort is labelled at the configured share on the date.
        var cohort = await FeatureRows.ReadAsync(ctx.Connection, ctx.Transaction, FeatureRows.Cohort, Date, ct);
        if (cohort.Count == 0)
            throw new InvalidOperationException(
                $"features wrote no cohort on {Date:yyyy-MM-dd}, so no threshold can be set: " +
                $"run features --date {Date:yyyy-MM-dd} --force");
        var threshold = Threshold(refit.Score(cohort), settings.ThresholdTopShare);
        Phase("threshold");

        var windowStart = rows.Min(r => r.AsOfDate);
        var windowEnd = rows.Max(r => r.AsOfDate);
        var modelId =
            $"{Date:yyyy-MM-dd}-{candidate.Algorithm}-{ctx.RunId:N}"[..(11 + candidate.Algorithm.Length + 1 + 8)];
        var foldMetrics = results
            .Where(r => r.Candidate == candidate.Name)
            .OrderBy(r => r.Fold)
            .Select(r => new Dictionary<string, object?>
            {
                ["fold"] = r.Fold, ["fold_start"] = r.FoldStart, ["fold_end"] = r.FoldEnd, ["train_rows"] = r.TrainRows,
                ["valid_rows"] = r.ValidRows, ["valid_positives"] = r.ValidPositives, ["roc_auc"] = r.RocAuc,
                ["precision_at_5"] = r.PrecisionAt5, ["precision_at_10"] = r.PrecisionAt10,
                ["precision_at_20"] = r.PrecisionAt20, ["recall_at_5"] = r.RecallAt5, ["recall_at_10"] = r.RecallAt10,
                ["recall_at_20"] = r.RecallAt20, ["brier"] = r.Brier, ["lift_at_10"] = r.LiftAt10,
                ["days_earlier"] = r.DaysEarlier, ["oracle_days_earlier"] = r.OracleDaysEarlier,
            });

        await using (var insert = new NpgsqlCommand(InsertModel, ctx.Connection, ctx.Transaction))
        {
            insert.Parameters.AddWithValue("modelId", modelId);
            insert.Parameters.AddWithValue("trainedOn", Date);
            insert.Parameters.AddWithValue("taskParameters", NpgsqlDbType.Jsonb, TaskParametersJson);
            insert.Parameters.AddWithValue("candidate", candidate.Name);
            insert.Parameters.AddWithValue("algorithm", candidate.Algorithm);
            insert.Parameters.AddWithValue("hyperParameters", NpgsqlDbType.Jsonb, refit.HyperParametersJson(candidate));
            insert.Parameters.AddWithValue("windowStart", windowStart);
            insert.Parameters.AddWithValue("windowEnd", windowEnd);
            insert.Parameters.AddWithValue("trainingRows", rows.Count);
            insert.Parameters.AddWithValue("features", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(FeatureSet.All));
            insert.Parameters.AddWithValue("foldMetrics", NpgsqlDbType.Jsonb,
                JsonSerializer.Serialize(foldMetrics, MetricsJson));
            insert.Parameters.AddWithValue("selectionMetric", metric);
            insert.Parameters.AddWithValue("selectionValue", best.Mean);
            insert.Parameters.AddWithValue("threshold", threshold);
            insert.Parameters.AddWithValue("thresholdRule",
                string.Format(CultureInfo.InvariantCulture, ThresholdRule, settings.ThresholdTopShare));
            insert.Parameters.AddWithValue("model", bytes);
            insert.Parameters.AddWithValue("sha", ModelScorer.Sha256(bytes));
            insert.Parameters.AddWithValue("runId", ctx.RunId);
            insert.Parameters.AddWithValue("transform", NpgsqlDbType.Jsonb,
                (object?)refit.TransformJson ?? DBNull.Value);
            insert.Parameters.AddWithValue("explanation", NpgsqlDbType.Jsonb,
                ModelExplanation.ToJson(refit.Explanation()));
            await insert.ExecuteNonQueryAsync(ct);
        }

        // The winner's latest-fold scores are already in the database (train kept them): copy them there.
        await using (var copy = new NpgsqlCommand(CopyValidationScores, ctx.Connection, ctx.Transaction))
        {
            copy.Parameters.AddWithValue("modelId", modelId);
            copy.Parameters.AddWithValue("trainDate", Date);
            copy.Parameters.AddWithValue("candidate", candidate.Name);
            await copy.ExecuteNonQueryAsync(ct);
        }
        var reference = await ReferenceCohort.CopyAsync(ctx.Connection, ctx.Transaction, modelId, Date, candidate.Name,
            referenceScores, ct);
        Phase("store the model and its reference");

        var lift = FoldMetrics.LowerIsBetter(metric) ? baselineMean - best.Mean : best.Mean - baselineMean;
        return new SelectResult(modelId, candidate.Name, metric, best.Mean, baselineMean, lift, threshold, rows.Count,
            $"{windowStart:yyyy-MM-dd}..{windowEnd:yyyy-MM-dd}", $"{latest.Start:yyyy-MM-dd}..{latest.End:yyyy-MM-dd}",
            latest.Valid.Count,
            Math.Abs((reproduced.Metric(metric) ?? double.NaN) - (stored.Metric(metric) ?? double.NaN)),
            reference)
        {
            ReloadRows = latest.Valid,
            ScoresBeforeSaving = scoresBeforeSaving,
        };
    }

    /// <summary>
    /// The lowest of the top <paramref name="share"/> scores: scores at or above it are labelled fail (ties at it
    /// included).
    /// </summary>
    public static double Threshold(IReadOnlyList<double> scores, double share)
    {
        var k = RankingMetrics.K(share, scores.Count);
        return scores.OrderByDescending(s => s).ElementAt(k - 1);
    }

    public override async Task CheckAsync(TaskContext ctx, SelectResult result, CheckSet checks, CancellationToken ct)
    {
        var lift = result.LiftOverBaseline;
        var minLift = checks.Threshold("min_lift_over_baseline");
        checks.That("min_lift_over_baseline", lift > minLift,
            $"lift over the baseline {CheckSet.Format(lift)} > {CheckSet.Format(minLift)}",
            $"> {CheckSet.Format(minLift)}", lift,
            "{candidate} must beat the risk-category baseline on mean {selection_metric}: " +
            "{selection_value} vs {baseline_value}");

        var stored = await ModelRegistry.TrainedOnAsync(ctx.Connection, ctx.Transaction, Date, ct);
        checks.Equal("model_stored", result.ModelId, stored?.ModelId,
            "the registry's newest model of {date} is the one selected");
        var reloaded = stored?.Scorer().Score(result.ReloadRows) ?? [];
        var difference = reloaded.Length == result.ScoresBeforeSaving.Count
            ? reloaded.Zip(result.ScoresBeforeSaving, (a, b) => Math.Abs(a - b)).DefaultIfEmpty(0).Max()
            : double.PositiveInfinity;
        checks.AtMost("max_reload_score_difference", difference,
            "the stored model, loaded back, must score the latest fold's rows as the model did before it was saved");

        checks.AtMost("max_fold_metric_difference", result.FoldMetricDifference,
            "the latest fold's stored scores, measured again, give the {selection_metric} train stored for that fold");

        var validation = await ctx.ScalarAsync<long>(
            "select count(*) from models.validation_scores where model_id = @id",
            new { id = result.ModelId }, ct);
        var referenceDates = await ctx.ScalarAsync<long>("""
            select (select count(distinct as_of_date) from models.candidate_cohort_scores where train_date = @date)
                 - (select count(distinct as_of_date) from models.reference_cohort where model_id = @id)
            """, new { id = result.ModelId, date = Date }, ct);
        checks.None("reference_cohort_dates_missing", referenceDates,
            "monitoring's reference holds the whole cohort of every fold date train scored; " +
            "select {candidate}, but train scored another: run train --force");
        var unscored = await ctx.ScalarAsync<long>("""
            select (select count(*) from models.candidate_cohort_scores
                    where train_date = @date and candidate = @candidate)
                 - (select count(*) from models.reference_cohort where model_id = @id and model_score is not null)
            """,
            new { id = result.ModelId, date = Date, candidate = result.Candidate }, ct);
        checks.None("reference_rows_without_model_score", unscored,
            "every reference row train scored with the fold models is scored by the stored model too " +
            "(drift and the threshold use it)");
        checks.AtLeast("min_validation_rows", validation,
            "the reference distribution for monitoring ({latest_fold}) needs enough rows");

        var threshold = result.Threshold;
        checks.That("threshold_is_a_probability", threshold is >= 0 and <= 1, "0 <= threshold <= 1", "[0, 1]",
            threshold, "the threshold is a score, and scores are probabilities");
    }


    private static readonly JsonSerializerOptions MetricsJson = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private const string CopyValidationScores = """
        insert into models.validation_scores (model_id, as_of_date, license, score, label_fail)
        select @modelId, as_of_date, license, score, label_fail
        from models.candidate_scores
        where train_date = @trainDate and candidate = @candidate
        """;

    private const string InsertModel = """
        insert into models.registry (model_id, trained_on, task_parameters, candidate, algorithm, hyper_parameters,
            training_window_start, training_window_end, training_rows, features, fold_metrics, selection_metric,
            selection_value, threshold, threshold_rule, model, model_sha256, run_id, transform, explanation)
        values (@modelId, @trainedOn, @taskParameters, @candidate, @algorithm, @hyperParameters,
            @windowStart, @windowEnd, @trainingRows, @features, @foldMetrics, @selectionMetric,
            @selectionValue, @threshold, @thresholdRule, @model, @sha, @runId, @transform, @explanation)
        """;
}

/// <summary>The model select stored, what it beat, and what the checks compare it with.</summary>
/// <param name="FoldMetricDifference">
/// The latest fold's selection metric measured again from the stored scores, minus train's.
/// </param>
internal sealed record SelectResult(
    string ModelId,
    string Candidate,
    string SelectionMetric,
    double SelectionValue,
    double BaselineValue,
    double LiftOverBaseline,
    double Threshold,
    int TrainingRows,
    string TrainingWindow,
    string LatestFold,
    int ValidationRows,
    double FoldMetricDifference,
    long ReferenceCohortRows) : TaskResult
{
    // The model row, the latest fold's validation scores and the reference cohort.
    public override long RowsWritten => 1 + ValidationRows + ReferenceCohortRows;

    /// <summary>
    /// The latest fold's rows, which the refit scored before it was saved (<see cref="ScoresBeforeSaving"/>).
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<FeatureRow> ReloadRows { get; init; } = [];

    /// <summary>
    /// The refit's scores of <see cref="ReloadRows"/>, to compare with what the stored bytes score once loaded back.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<double> ScoresBeforeSaving { get; init; } = [];
}
