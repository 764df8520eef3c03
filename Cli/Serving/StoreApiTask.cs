using Dapper;
using Inspections.Pipeline;

namespace Inspections.Serving;

/// <summary>
/// <c>store-api</c>: the serving table the HTTP API reads, for one prediction date: one row per
/// establishment with its name, address, facility group, risk, score, label, rank, threshold and
/// model. Name, address, group and risk are the establishment's as of that date (its row in the
/// date's cohort), so storing an old date again serves what was known then, not today's names. The date's rows are replaced inside the run's transaction, so readers see the old rows or
/// the new ones, never a mix. The day's record in <c>api.days</c> (counts, model, this run's id) is
/// written in the same transaction: serve-api polls it to know when to reload the day it keeps in memory.
/// </summary>
internal sealed class StoreApiTask(DateOnly date, string source, IReadOnlyList<PipelineTask> upstream)
    : StageTask(date, source, upstream)
{
    public override string Name => "store-api";

    private const string Replace = """
        delete from api.predictions where prediction_date = @date;
        insert into api.predictions (prediction_date, license, name, address, facility_group, risk_level, score, label, rank, threshold, model_id)
        select s.prediction_date, s.license, coalesce(c.name, ''), coalesce(c.address, ''), coalesce(c.facility_group, 'unknown'),
               coalesce(c.risk_level, 'unknown'), s.score, s.label,
               row_number() over (order by s.score desc, s.license)::int,
               r.threshold, s.model_id
        from predictions.scores s
        join models.registry r using (model_id)
        left join features.cohort c on c.as_of_date = s.prediction_date and c.license = s.license
        where s.prediction_date = @date;

        -- A day with no rows has no record: the API must not announce a date it cannot serve.
        delete from api.days where prediction_date = @date;
        insert into api.days (prediction_date, model_id, establishments, fails, stored_at, run_id)
        select @date, min(model_id), count(*)::int, (count(*) filter (where label = 'fail'))::int, now(), @runId
        from api.predictions
        where prediction_date = @date
        having count(*) > 0;
        """;

    private const string Figures = """
        select (select count(*) from predictions.scores where prediction_date = @date) as Predictions,
               count(*) as Stored,
               count(*) filter (where label = 'fail') as Fail,
               count(*) filter (where name = '') as Unnamed,
               count(distinct model_id) as Models,
               count(*) filter (where label <> case when score >= threshold then 'fail' else 'pass' end) as LabelMismatches,
               coalesce((select establishments::bigint from api.days where prediction_date = @date), 0) as DayEstablishments,
               coalesce((select fails::bigint from api.days where prediction_date = @date), 0) as DayFails
        from api.predictions where prediction_date = @date
        """;

    private sealed record DayFigures(long Predictions, long Stored, long Fail, long Unnamed, long Models, long LabelMismatches, long DayEstablishments, long DayFails);

    public override async Task RunAsync(TaskContext context, CancellationToken ct)
    {
        var date = Date.ToDateTime(TimeOnly.MinValue);
        await context.Connection.ExecuteAsync(new CommandDefinition(Replace, new { date, runId = context.RunId }, context.Transaction, cancellationToken: ct));
        var figures = await context.Connection.QuerySingleAsync<DayFigures>(new CommandDefinition(Figures, new { date }, context.Transaction, cancellationToken: ct));
        context.RowsWritten = figures.Stored;
        context.Figures["predictions"] = figures.Predictions;
        context.Figures["stored"] = figures.Stored;
        context.Figures["fail_labels"] = figures.Fail;
        context.Figures["unnamed"] = figures.Unnamed;
        context.Figures["models"] = figures.Models;
        context.Figures["label_mismatches"] = figures.LabelMismatches;
        context.Figures["day_establishments"] = figures.DayEstablishments;
        context.Figures["day_fails"] = figures.DayFails;
    }

    public override Task CheckAsync(TaskContext context, CheckSet checks, CancellationToken ct)
    {
        long Figure(string name) => (long)context.Figures[name]!;
        checks.Equal("stored_equals_predictions", Figure("predictions"), Figure("stored"),
            "every prediction of {date} must be served: {predictions} predicted, {stored} stored");
        checks.AtLeast("min_rows", Figure("stored"), "nothing to serve for {date}: run predict first");
        checks.Equal("one_model", 1L, Figure("models"), "the serving table for {date} mixes {models} models");
        checks.None("labels_agree_with_threshold", Figure("label_mismatches"), "labels must be fail exactly when score >= threshold");
        checks.Equal("day_record_matches_rows", (Figure("stored"), Figure("fail_labels")), (Figure("day_establishments"), Figure("day_fails")),
            "api.days must count the stored rows: {stored} stored ({fail_labels} fail), the day record says {day_establishments} ({day_fails} fail)");
        checks.AtMost("max_unnamed_share", Figure("stored") == 0 ? 0 : (double)Figure("unnamed") / Figure("stored"),
            "{unnamed} of {stored} establishments have no name in the cohort of {date}");
        return Task.CompletedTask;
    }
}
