using Inspections.Pipeline;
using Inspections.Training;

namespace Inspections.Monitoring;

/// <summary>
/// <c>evaluate</c>: the predictions whose outcomes have arrived. For every earlier prediction date whose label window
/// closed by the run date (prediction date + <c>Features:LabelWindowDays</c> &lt;= D) and that no run has evaluated
/// yet, each predicted establishment's outcome is its first pass/fail inspection in [prediction date, window end),
/// as features labels a snapshot; the establishments inspected in the window are measured as validation measures a
/// fold, set against the model's validation figures with configured margins. One row per prediction date, written
/// once: later records of an old window do not rewrite history (force this date's run to measure again).
/// </summary>
internal sealed class EvaluateTask(DateOnly date, string source, IReadOnlyList<PipelineTask> upstream)
    : StageTask<EvaluateResult>(date, source, upstream)
{
    public override string Name => "evaluate";

    // The calibration cascades.
    private const string DeleteRun = "delete from monitoring.performance where evaluated_on = @date";

    private const string Pending = """
        select s.prediction_date as PredictionDate, min(s.model_id) as ModelId, count(distinct s.model_id) as Models
        from predictions.scores s
        where s.prediction_date + @window <= @date
          and not exists (select from monitoring.performance p where p.prediction_date = s.prediction_date)
        group by s.prediction_date
        order by s.prediction_date
        """;

    // Each predicted establishment with the first pass/fail inspection of its window (none when it was not inspected).
    private const string Outcomes = """
        select s.license as License, s.score as Score, o.fail as Fail, o.inspection_date as InspectionDate
        from predictions.scores s
        left join (
            select distinct on (license) license, outcome = 'fail' as fail, inspection_date
            from clean.inspections
            where outcome <> 'none'
              and inspection_date >= @predictionDate and inspection_date < @windowEnd and inspection_date <= @date
            order by license, inspection_date, inspection_id
        ) o using (license)
        where s.prediction_date = @predictionDate
        """;

    private const string InsertPerformance = """
        insert into monitoring.performance (prediction_date, evaluated_on, model_id, window_end, predicted, evaluated,
            fails, fail_rate, roc_auc, precision_at_5, precision_at_10, precision_at_20, lift_at_10, days_earlier,
            brier,
            validation_roc_auc, validation_precision_at_10, validation_days_earlier, status, run_id)
        values (@PredictionDate, @EvaluatedOn, @ModelId, @WindowEnd, @Predicted, @Evaluated, @Fails,
            @FailRate, @RocAuc, @PrecisionAt5, @PrecisionAt10, @PrecisionAt20, @LiftAt10, @DaysEarlier, @Brier,
            @ValidationRocAuc, @ValidationPrecisionAt10, @ValidationDaysEarlier, @Status, @RunId)
        """;

    private const string InsertCalibration = """
        insert into monitoring.calibration (prediction_date, decile, rows, mean_score, fail_rate)
        values (@predictionDate, @Decile, @Rows, @MeanScore, @FailRate)
        """;

    private sealed record PendingDate(DateOnly PredictionDate, string ModelId, long Models);

    private sealed record OutcomeRow(string License, double Score, bool? Fail, DateOnly? InspectionDate);

    public override async Task<EvaluateResult> RunAsync(TaskContext context, CancellationToken ct)
    {
        var settings = MonitoringSettings.From(context.Settings);
        var window = TrainingSettings.From(context.Settings).LabelWindowDays;
        await context.ExecuteAsync(DeleteRun, new { date = Date }, ct);

        var pending = await context.QueryAsync<PendingDate>(Pending, new { date = Date, window }, ct);
        var validation = new Dictionary<string, ValidationFigures>(StringComparer.Ordinal);
        var written = new List<PerformanceRecord>();
        foreach (var day in pending)
        {
            if (day.Models != 1)
                throw new InvalidOperationException(
                    $"the predictions of {day.PredictionDate:yyyy-MM-dd} come from {day.Models} models");
            if (!validation.TryGetValue(day.ModelId, out var figures))
            {
                var entry = await ModelRegistry.EntryAsync(context.Connection, day.ModelId, ct)
                    ?? throw new InvalidOperationException(
                        $"the predictions of {day.PredictionDate:yyyy-MM-dd} name model {day.ModelId}, " +
                        "which the registry does not hold");
                validation[day.ModelId] = figures = ValidationFigures.FromFoldMetrics(entry.FoldMetrics);
            }
            var windowEnd = day.PredictionDate.AddDays(window);
            var rows = await context.QueryAsync<OutcomeRow>(Outcomes,
                new { predictionDate = day.PredictionDate, windowEnd, date = Date }, ct);
            var outcomes = rows.Where(r => r.Fail is not null)
                .Select(r => new Outcome(r.License, r.Score, r.Fail!.Value, r.InspectionDate!.Value))
                .OrderBy(o => o.License, StringComparer.Ordinal)
                .ToList();
            var realised = RealisedPerformance.Measure(outcomes);
            var status = realised.Evaluated < settings.MinEvaluated ? "too-few" : MonitoringSettings.Worst(
                MonitoringSettings.Shortfall(realised.RocAuc, figures.RocAuc,
                    settings.AucWarnMargin, settings.AucAlertMargin),
                MonitoringSettings.Shortfall(realised.PrecisionAt10, figures.PrecisionAt10,
                    settings.PrecisionWarnMargin, settings.PrecisionAlertMargin));
            var record = new PerformanceRecord
            {
                PredictionDate = day.PredictionDate, EvaluatedOn = Date, ModelId = day.ModelId, WindowEnd = windowEnd,
                Predicted = rows.Count, Evaluated = realised.Evaluated, Fails = realised.Fails,
                FailRate = realised.FailRate,
                RocAuc = realised.RocAuc, PrecisionAt5 = realised.PrecisionAt5, PrecisionAt10 = realised.PrecisionAt10,
                PrecisionAt20 = realised.PrecisionAt20, LiftAt10 = realised.LiftAt10,
                DaysEarlier = realised.DaysEarlier,
                Brier = realised.Brier, ValidationRocAuc = figures.RocAuc,
                ValidationPrecisionAt10 = figures.PrecisionAt10,
                ValidationDaysEarlier = figures.DaysEarlier, Status = status,
            };
            await context.ExecuteAsync(InsertPerformance, new
            {
                record.PredictionDate, record.EvaluatedOn, record.ModelId, record.WindowEnd, record.Predicted,
                record.Evaluated, record.Fails, record.FailRate, record.RocAuc, record.PrecisionAt5,
                record.PrecisionAt10, record.PrecisionAt20, record.LiftAt10, record.DaysEarlier, record.Brier,
                record.ValidationRocAuc, record.ValidationPrecisionAt10, record.ValidationDaysEarlier, record.Status,
                context.RunId,
            }, ct);
            await context.ExecuteAsync(InsertCalibration, realised.Calibration.Select(c => new
            {
                predictionDate = day.PredictionDate, c.Decile, c.Rows, c.MeanScore, c.FailRate,
            }), ct);
            written.Add(record);
            context.Progress.Report(written.Count, pending.Count, "prediction dates evaluated");
        }

        var latest = written.LastOrDefault();
        return new EvaluateResult(written.Count,
            written.Count == 0 ? null : $"{written[0].PredictionDate:yyyy-MM-dd}..{latest!.PredictionDate:yyyy-MM-dd}",
            written.Sum(w => (long)w.Evaluated), latest?.RocAuc is { } auc ? Math.Round(auc, 5) : null,
            latest?.PrecisionAt10 is { } p ? Math.Round(p, 5) : null,
            latest?.ValidationRocAuc is { } v ? Math.Round(v, 5) : null,
            MonitoringSettings.Worst([.. written.Where(w => w.Status != "too-few").Select(w => w.Status)]),
            written.Count(w => w.Status == "too-few"), window,
            Rows: written.Count + written.Sum(w => Math.Min(10, w.Evaluated)));
    }

    public override async Task CheckAsync(
        TaskContext context,
        EvaluateResult result,
        CheckSet checks,
        CancellationToken ct)
    {
        var (open, over, calibration) = await context.SingleAsync<(long, long, long)>("""
            select count(*) filter (where window_end > @date),
                   count(*) filter (where evaluated > predicted or fails > evaluated),
                   count(*) filter (where evaluated <> coalesce((select sum(c.rows) from monitoring.calibration c
                                                                 where c.prediction_date = p.prediction_date), 0))
            from monitoring.performance p where evaluated_on = @date
            """, new { date = Date }, ct);
        checks.None("windows_closed", open,
            "every prediction date evaluated on {date} has its label window closed by then ({label_window_days} days)");
        checks.None("outcomes_within_predictions", over,
            "an evaluated prediction date has no more outcomes than predictions, nor more fails than outcomes");
        checks.None("calibration_covers_outcomes", calibration,
            "the calibration deciles of a prediction date hold every outcome");
    }
}

/// <summary>
/// What evaluate measured on its run date: the prediction dates it evaluated and the newest one's figures.
/// </summary>
internal sealed record EvaluateResult(
    int DatesEvaluated,
    string? PredictionDates,
    long OutcomesCounted,
    double? LatestRocAuc,
    double? LatestPrecisionAt10,
    double? ValidationRocAuc,
    string Status,
    int DatesWithTooFewOutcomes,
    int LabelWindowDays,
    [property: System.Text.Json.Serialization.JsonIgnore] int Rows) : TaskResult
{
    public override long RowsWritten => Rows;
}
