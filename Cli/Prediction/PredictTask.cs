using Dapper;
using Inspections.Pipeline;
using Inspections.Training;
using Npgsql;
using NpgsqlTypes;

namespace Inspections.Prediction;

/// <summary>
/// <c>predict</c>: scores the cohort of the run date (active establishments, features as of that date)
/// with the newest model selected at or before that date, one prediction per establishment.
/// When no model exists yet, training at the run date becomes an upstream task.
/// </summary>
internal sealed class PredictTask(DateOnly date, string source, PipelineTask features, Func<DateOnly, string, PipelineTask> modelAudit)
    : StageTask(date, source, [features])
{
    public override string Name => "predict";

    /// <summary>The features of the run date, and the audit of the model it will use (which trains one if none exists).</summary>
    public override async Task<IReadOnlyList<PipelineTask>> RequiresAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var model = await ModelRegistry.NewestAtOrBeforeAsync(connection, null, Date, ct);
        var audit = model is null ? modelAudit(Date, Source) : modelAudit(model.TrainedOn, model.Source ?? Source);
        return [features, audit];
    }

    public override async Task RunAsync(TaskContext context, CancellationToken ct)
    {
        var (connection, tx) = (context.Connection, context.Transaction);
        var date = Date.ToDateTime(TimeOnly.MinValue);
        await connection.ExecuteAsync(new CommandDefinition("delete from predictions.scores where prediction_date = @date", new { date }, tx, cancellationToken: ct));

        var model = await ModelRegistry.NewestAtOrBeforeAsync(connection, tx, Date, ct)
            ?? throw new InvalidOperationException($"no model was selected on or before {Date:yyyy-MM-dd}");
        var scorer = model.Scorer();
        var cohort = await FeatureRows.ReadAsync(connection, tx, FeatureRows.Cohort, Date, ct);
        var scores = scorer.Score(cohort);

        await using (var writer = await connection.BeginBinaryImportAsync(
            "copy predictions.scores (prediction_date, license, model_id, score, label, run_id) from stdin (format binary)", ct))
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
                if (i % 1000 == 0) context.Progress.Report(i, cohort.Count, "establishments scored");
            }
            await writer.CompleteAsync(ct);
        }

        var fail = scores.Count(s => s >= model.Threshold);
        context.RowsWritten = cohort.Count;
        context.Figures["model_id"] = model.ModelId;
        context.Figures["model_trained_on"] = model.TrainedOn;
        context.Figures["threshold"] = model.Threshold;
        context.Figures["cohort"] = (long)cohort.Count;
        context.Figures["fail_labels"] = (long)fail;
        context.Figures["pass_labels"] = (long)(cohort.Count - fail);
    }

    private const string Figures = """
        select count(*) as Predictions,
               count(*) - count(distinct license) as Duplicates,
               coalesce(min(score), 'NaN') as MinScore,
               coalesce(max(score), 'NaN') as MaxScore,
               count(*) filter (where label <> case when score >= @threshold then 'fail' else 'pass' end) as Mismatches
        from predictions.scores where prediction_date = @date
        """;

    private sealed record Stored(long Predictions, long Duplicates, double MinScore, double MaxScore, long Mismatches);

    public override async Task CheckAsync(TaskContext context, CheckSet checks, CancellationToken ct)
    {
        var (connection, tx) = (context.Connection, context.Transaction);
        var date = Date.ToDateTime(TimeOnly.MinValue);
        var threshold = (double)context.Figures["threshold"]!;
        var stored = await connection.QuerySingleAsync<Stored>(new CommandDefinition(Figures, new { date, threshold }, tx, cancellationToken: ct));
        context.Figures["predictions"] = stored.Predictions;
        context.Figures["min_score_seen"] = stored.MinScore;
        context.Figures["max_score_seen"] = stored.MaxScore;

        async Task<IEnumerable<string>> Keys(string where) => await connection.QueryAsync<string>(new CommandDefinition(
            $"select license || ' (' || round(score::numeric, 4) || ')' from predictions.scores where prediction_date = @date and {where} order by score desc, license limit 10",
            new { date, min = checks.Threshold("min_score"), max = checks.Threshold("max_score"), threshold }, tx, cancellationToken: ct));

        checks.Equal("count_equals_cohort", (long)context.Figures["cohort"]!, stored.Predictions,
            "one prediction per establishment of the cohort of {date}: {cohort} in the cohort, {predictions} stored");
        checks.That("count_positive", stored.Predictions > 0, $"predictions ({stored.Predictions}) > 0", "> 0", stored.Predictions,
            "no establishment to score on {date}: is the cohort empty (features ran on an empty history)?");
        checks.AtLeast("min_score", stored.MinScore, "every score must lie within [min_score, max_score]; the lowest was {min_score_seen}",
            await Keys("score < @min"));
        checks.AtMost("max_score", stored.MaxScore, "every score must lie within [min_score, max_score]; the highest was {max_score_seen} (model {model_id})",
            await Keys("score > @max"));
        checks.None("one_per_establishment", stored.Duplicates, "no establishment may be predicted twice on {date}");
        checks.None("labels_agree_with_threshold", stored.Mismatches, "label is fail exactly when score >= threshold ({threshold})",
            await Keys("label <> case when score >= @threshold then 'fail' else 'pass' end"));
        var failShare = stored.Predictions == 0 ? 0 : (double)(long)context.Figures["fail_labels"]! / stored.Predictions;
        context.Figures["fail_share"] = Math.Round(failShare, 5);
        checks.AtLeast("min_fail_share", failShare, "{fail_labels} of {predictions} labelled fail at threshold {threshold}: too few for inspectors to act on");
        checks.AtMost("max_fail_share", failShare, "{fail_labels} of {predictions} labelled fail at threshold {threshold}: the model or the cohort drifted");
    }
}
