using Dapper;
using Inspections.Pipeline;
using Inspections.Training;
using Npgsql;
using NpgsqlTypes;

namespace Inspections.Prediction;

/// <summary>What predict stored for its date, with the model that scored it and why that one.</summary>
internal sealed record PredictResult(
    string ModelId,
    DateOnly ModelTrainedOn,
    string ModelChoice,
    double Threshold,
    long Cohort,
    long Predictions,
    long FailLabels,
    long PassLabels,
    double FailShare,
    double MinScoreSeen,
    double MaxScoreSeen,
    long WithoutReasons) : TaskResult
{
    public override long RowsWritten => Predictions;
}

/// <summary>
/// <c>predict</c>: scores the cohort of the run date (active establishments, features as of that date) with the pinned
/// model when one is pinned and was trained by then, else the newest model selected at or before that date
/// (<see cref="ModelPins.ChooseAsync"/>), one prediction per establishment, each with its three largest contributions
/// (<see cref="ScoreReasons"/>). When no model exists yet, training at the run date becomes an upstream task.
/// </summary>
internal sealed class PredictTask(
    DateOnly date,
    string source,
    PipelineTask features,
    Func<DateOnly, string, PipelineTask> modelAudit)
    : StageTask<PredictResult>(date, source, [features])
{
    public override string Name => "predict";

    /// <summary>
    /// The features of the run date, and the audit of the model it will use (which trains one if none exists).
    /// </summary>
    public override async Task<IReadOnlyList<PipelineTask>> RequiresAsync(
        NpgsqlConnection connection,
        CancellationToken ct)
    {
        var model = (await ModelPins.ChooseAsync(connection, null, Date, ct))?.Model;
        var audit = model is null ? modelAudit(Date, Source) : modelAudit(model.TrainedOn, model.Source ?? Source);
        return [features, audit];
    }

    public override async Task<PredictResult> RunAsync(TaskContext context, CancellationToken ct)
    {
        var (connection, tx) = (context.Connection, context.Transaction);
        await context.ExecuteAsync("""
            delete from predictions.scores where prediction_date = @date;
            delete from predictions.days where prediction_date = @date;
            """, new { date = Date }, ct);

        var choice = await ModelPins.ChooseAsync(connection, tx, Date, ct)
            ?? throw new InvalidOperationException($"no model was selected on or before {Date:yyyy-MM-dd}");
        var model = choice.Model;
        var scorer = model.Scorer();
        var cohort = await FeatureRows.ReadAsync(connection, tx, FeatureRows.Cohort, Date, ct);
        var scores = scorer.Score(cohort);
        var reasons = ScoreReasons.For(scorer, cohort);

        await context.ExecuteAsync("""
            insert into predictions.days (prediction_date, model_id, model_choice, model_reason, run_id)
            values (@date, @modelId, @choice, @reason, @runId)
            """,
            new
            {
                date = Date,
                modelId = model.ModelId,
                choice = choice.Choice,
                reason = choice.Reason,
                runId = context.RunId,
            },
            ct);
        await using (var writer = await connection.BeginBinaryImportAsync(
            "copy predictions.scores (prediction_date, license, model_id, score, label, run_id, reasons) " +
            "from stdin (format binary)", ct))
        {
            for (var i = 0; i < cohort.Count; i++)
            {
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(Date, NpgsqlDbType.Date, ct);
                await writer.WriteAsync(cohort[i].License, NpgsqlDbType.Text, ct);
                await writer.WriteAsync(model.ModelId, NpgsqlDbType.Text, ct);
                await writer.WriteAsync(scores[i], NpgsqlDbType.Double, ct);
                await writer.WriteAsync(scores[i] >= model.Threshold ? "fail" : "pass", NpgsqlDbType.Text, ct);
                await writer.WriteAsync(context.RunId, NpgsqlDbType.Uuid, ct);
                await writer.WriteAsync(ScoreReasons.ToJson(reasons[i]), NpgsqlDbType.Jsonb, ct);
                if (i % 1000 == 0) context.Progress.Report(i, cohort.Count, "establishments scored");
            }
            await writer.CompleteAsync(ct);
        }

        // What was stored, read back: the checks compare it with the cohort and the threshold.
        var stored = await context.SingleAsync<Stored>(StoredFigures, new { date = Date }, ct);
        return new PredictResult(model.ModelId, model.TrainedOn, choice.Choice, model.Threshold, cohort.Count,
            stored.Predictions, stored.Fail, stored.Predictions - stored.Fail,
            stored.Predictions == 0 ? 0 : Math.Round((double)stored.Fail / stored.Predictions, 5),
            stored.MinScore, stored.MaxScore, stored.WithoutReasons);
    }

    private const string StoredFigures = """
        select count(*) as Predictions,
               count(*) filter (where label = 'fail') as Fail,
               coalesce(min(score), 'NaN') as MinScore,
               coalesce(max(score), 'NaN') as MaxScore,
               count(*) filter (where reasons is null or jsonb_array_length(reasons) = 0) as WithoutReasons
        from predictions.scores where prediction_date = @date
        """;

    private sealed record Stored(long Predictions, long Fail, double MinScore, double MaxScore, long WithoutReasons);

    public override async Task CheckAsync(
        TaskContext context,
        PredictResult result,
        CheckSet checks,
        CancellationToken ct)
    {
        var parameters = new
        {
            date = Date,
            min = checks.Threshold("min_score"),
            max = checks.Threshold("max_score"),
            threshold = result.Threshold,
        };
        Task<IReadOnlyList<string>> Keys(string where) => context.QueryAsync<string>(
            "select license || ' (' || round(score::numeric, 4) || ')' from predictions.scores " +
            $"where prediction_date = @date and {where} order by score desc, license limit 10",
            parameters, ct);
        var (duplicates, mismatches) = await context.SingleAsync<(long, long)>("""
            select count(*) - count(distinct license),
                   count(*) filter (where label <> case when score >= @threshold then 'fail' else 'pass' end)
            from predictions.scores where prediction_date = @date
            """, parameters, ct);

        checks.Equal("count_equals_cohort", result.Cohort, result.Predictions,
            "one prediction per establishment of the cohort of {date}: {cohort} in the cohort, {predictions} stored");
        checks.That("count_positive", result.Predictions > 0, $"predictions ({result.Predictions}) > 0", "> 0",
            result.Predictions,
            "no establishment to score on {date}: is the cohort empty (features ran on an empty history)?");
        checks.AtLeast("min_score", result.MinScoreSeen,
            "every score must lie within [min_score, max_score]; the lowest was {min_score_seen}",
            await Keys("score < @min"));
        checks.AtMost("max_score", result.MaxScoreSeen,
            "every score must lie within [min_score, max_score]; the highest was {max_score_seen} (model {model_id})",
            await Keys("score > @max"));
        checks.None("one_per_establishment", duplicates, "no establishment may be predicted twice on {date}");
        checks.None("labels_agree_with_threshold", mismatches,
            "label is fail exactly when score >= threshold ({threshold})",
            await Keys("label <> case when score >= @threshold then 'fail' else 'pass' end"));
        checks.None("scores_without_reasons", result.WithoutReasons,
            "every score is stored with its largest contributions; {without_reasons} of {predictions} have none",
            await Keys("(reasons is null or jsonb_array_length(reasons) = 0)"));
        checks.AtLeast("min_fail_share", result.FailShare,
            "{fail_labels} of {predictions} labelled fail at threshold {threshold}: too few for inspectors to act on");
        checks.AtMost("max_fail_share", result.FailShare,
            "{fail_labels} of {predictions} labelled fail at threshold {threshold}: the model or the cohort drifted");
    }
}
