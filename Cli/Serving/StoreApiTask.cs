using Inspections.Pipeline;

namespace Inspections.Serving;

/// <summary>
/// <c>store-api</c>: the serving table the HTTP API reads, for one prediction date: one row per
/// establishment with its name, address, facility group, risk, score, label, rank, threshold and
/// model. Name, address, group and risk are the establishment's as of that date (its row in the
/// date's cohort), so storing an old date again serves what was known then, not today's names. The
/// date's rows are replaced inside the run's transaction, so readers see the old rows or the new ones,
/// never a mix. The day's record in <c>api.days</c> (counts, model, this run's id) is written in the
/// same transaction: serve-api polls it to know when to reload the day it keeps in memory.
/// </summary>
internal sealed class StoreApiTask(DateOnly date, string source, IReadOnlyList<PipelineTask> upstream)
    : StageTask<StoreApiResult>(date, source, upstream)
{
    public override string Name => "store-api";

    // Statistics first: predict and features just wrote the day's rows, and a planner that believes the day has one row
    // joins the two tables by a nested loop, 10,000 x 10,000 comparisons (100 s instead of 0.1 s on the real export).
    // Only the join's keys: the cohort's 35 other columns took 1.5 s of every weekly run to measure, and no plan here
    // reads them.
    private const string Replace = """
        analyze predictions.scores (prediction_date, license, model_id), features.cohort (as_of_date, license);
        delete from api.predictions where prediction_date = @date;
        insert into api.predictions (prediction_date, license, name, address, facility_group, risk_level, score, label,
                                     rank, threshold, model_id, reasons)
        select s.prediction_date, s.license, coalesce(c.name, ''), coalesce(c.address, ''),
               coalesce(c.facility_group, 'unknown'), coalesce(c.risk_level, 'unknown'), s.score, s.label,
               row_number() over (order by s.score desc, s.license)::int,
               r.threshold, s.model_id, s.reasons
        from predictions.scores s
        join models.registry r using (model_id)
        left join features.cohort c on c.as_of_date = s.prediction_date and c.license = s.license
        where s.prediction_date = @date;

        -- A day with no rows has no record: the API must not announce a date it cannot serve.
        delete from api.days where prediction_date = @date;
        -- With predict's choice of model and its reason (none for a day predicted before predict recorded them).
        insert into api.days (prediction_date, model_id, establishments, fails, stored_at, run_id, model_choice,
                              model_reason)
        select @date, min(p.model_id), count(*)::int, (count(*) filter (where p.label = 'fail'))::int, now(), @runId,
               (select model_choice from predictions.days where prediction_date = @date),
               (select model_reason from predictions.days where prediction_date = @date)
        from api.predictions p
        where p.prediction_date = @date
        having count(*) > 0;
        """;

    private const string Figures = """
        select (select count(*) from predictions.scores where prediction_date = @date) as Predictions,
               count(*) as Stored,
               count(*) filter (where label = 'fail') as FailLabels,
               count(*) filter (where name = '') as Unnamed,
               count(distinct model_id) as Models,
               count(*) filter (where label <> case when score >= threshold then 'fail' else 'pass' end)
                   as LabelMismatches,
               coalesce((select establishments::bigint from api.days where prediction_date = @date), 0)
                   as DayEstablishments,
               coalesce((select fails::bigint from api.days where prediction_date = @date), 0) as DayFails
        from api.predictions where prediction_date = @date
        """;

    public override async Task<StoreApiResult> RunAsync(TaskContext context, CancellationToken ct)
    {
        await context.ExecuteAsync(Replace, new { date = Date, runId = context.RunId }, ct);
        return await context.SingleAsync<StoreApiResult>(Figures, new { date = Date }, ct);
    }

    public override Task CheckAsync(TaskContext context, StoreApiResult r, CheckSet checks, CancellationToken ct)
    {
        checks.Equal("stored_equals_predictions", r.Predictions, r.Stored,
            "every prediction of {date} must be served: {predictions} predicted, {stored} stored");
        checks.AtLeast("min_rows", r.Stored, "nothing to serve for {date}: run predict first");
        checks.Equal("one_model", 1L, r.Models, "the serving table for {date} mixes {models} models");
        checks.None("labels_agree_with_threshold", r.LabelMismatches,
            "labels must be fail exactly when score >= threshold");
        checks.Equal("day_record_matches_rows", (r.Stored, r.FailLabels), (r.DayEstablishments, r.DayFails),
            "api.days must count the stored rows: {stored} stored ({fail_labels} fail), " +
            "the day record says {day_establishments} ({day_fails} fail)");
        checks.AtMost("max_unnamed_share", r.Stored == 0 ? 0 : (double)r.Unnamed / r.Stored,
            "{unnamed} of {stored} establishments have no name in the cohort of {date}");
        return Task.CompletedTask;
    }
}

/// <summary>What store-api served for its date, with the day record it wrote.</summary>
internal sealed record StoreApiResult(
    long Predictions,
    long Stored,
    long FailLabels,
    long Unnamed,
    long Models,
    long LabelMismatches,
    long DayEstablishments,
    long DayFails) : TaskResult
{
    public override long RowsWritten => Stored;
}
