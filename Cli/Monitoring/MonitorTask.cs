using Inspections.Pipeline;

namespace Inspections.Monitoring;

/// <summary>
/// <c>monitor</c>: compares the day's prediction scores with the reference distribution of the model
/// that made them (its validation scores): PSI, Kolmogorov-Smirnov, mean shift, share labelled fail,
/// and both histograms; a status ok / warn / alert from configured thresholds. One row per date.
/// </summary>
internal sealed class MonitorTask(DateOnly date, string source, IReadOnlyList<PipelineTask> upstream)
    : StageTask<MonitorResult>(date, source, upstream)
{
    public override string Name => "monitor";

    internal sealed class MonitoringSettings
    {
        public int PsiBins { get; set; }
        public int HistogramBins { get; set; }
        public double PsiWarn { get; set; }
        public double PsiAlert { get; set; }
        public double KsWarn { get; set; }
        public double KsAlert { get; set; }
    }

    private const string ModelOfTheDay = """
        select s.model_id as ModelId, r.threshold as Threshold
        from predictions.scores s join models.registry r using (model_id)
        where s.prediction_date = @date
        group by s.model_id, r.threshold
        """;

    private const string CurrentScores = "select score from predictions.scores where prediction_date = @date";

    private const string ReferenceScores = "select score from models.validation_scores where model_id = @modelId";

    private const string DeleteDay = "delete from monitoring.drift where monitor_date = @date"; // bins cascade

    private const string InsertDrift = """
        insert into monitoring.drift (monitor_date, model_id, reference_rows, current_rows, bins, psi, ks, mean_reference,
            mean_current, mean_shift, fail_share_reference, fail_share_current, status, run_id)
        values (@date, @modelId, @referenceRows, @currentRows, @bins, @psi, @ks, @meanReference,
            @meanCurrent, @meanShift, @failShareReference, @failShareCurrent, @status, @runId)
        """;

    private const string InsertBin = """
        insert into monitoring.histogram_bins (monitor_date, series, bin, lower_bound, upper_bound, count, share)
        values (@date, @series, @Index, @Lower, @Upper, @Count, @Share)
        """;

    public override async Task<MonitorResult> RunAsync(TaskContext context, CancellationToken ct)
    {
        var settings = context.Settings.Bind<MonitoringSettings>("Monitoring");
        await context.ExecuteAsync(DeleteDay, new { date = Date }, ct);

        var models = await context.QueryAsync<(string ModelId, double Threshold)>(ModelOfTheDay, new { date = Date }, ct);
        // No drift without exactly one model's scores: the checks say why, with the counts as they are.
        if (models.Count != 1) return MonitorResult.Nothing(models.Count);
        var (modelId, threshold) = models[0];

        var current = await context.QueryAsync<double>(CurrentScores, new { date = Date }, ct);
        var reference = await context.QueryAsync<double>(ReferenceScores, new { modelId }, ct);
        if (current.Count == 0 || reference.Count == 0) return MonitorResult.Nothing(1) with { ModelId = modelId, ReferenceRows = reference.Count, CurrentRows = current.Count };

        var psi = Drift.Psi(reference, current, settings.PsiBins);
        var ks = Drift.KolmogorovSmirnov(reference, current);
        var status = psi >= settings.PsiAlert || ks >= settings.KsAlert ? "alert"
            : psi >= settings.PsiWarn || ks >= settings.KsWarn ? "warn"
            : "ok";
        var row = new
        {
            date = Date,
            modelId,
            referenceRows = reference.Count,
            currentRows = current.Count,
            bins = settings.PsiBins,
            psi,
            ks,
            meanReference = reference.Average(),
            meanCurrent = current.Average(),
            meanShift = current.Average() - reference.Average(),
            failShareReference = (double)reference.Count(s => s >= threshold) / reference.Count,
            failShareCurrent = (double)current.Count(s => s >= threshold) / current.Count,
            status,
            runId = context.RunId,
        };
        await context.ExecuteAsync(InsertDrift, row, ct);
        foreach (var (series, values) in new[] { ("reference", reference), ("current", current) })
        {
            var bins = Drift.Histogram(values, settings.HistogramBins);
            await context.ExecuteAsync(InsertBin, bins.Select(b => new { date = Date, series, b.Index, b.Lower, b.Upper, b.Count, b.Share }), ct);
        }
        return new MonitorResult(1, modelId, reference.Count, current.Count, settings.PsiBins, Math.Round(psi, 5), Math.Round(ks, 5),
            Math.Round(row.meanShift, 5), Math.Round(row.failShareReference, 5), Math.Round(row.failShareCurrent, 5), status,
            Rows: 1 + 2 * settings.HistogramBins);
    }

    public override async Task CheckAsync(TaskContext context, MonitorResult result, CheckSet checks, CancellationToken ct)
    {
        checks.Equal("one_model", 1, result.Models,
            "the predictions of {date} must come from exactly one model (found {models}); run predict for that date first");
        checks.AtLeast("min_current_rows", result.CurrentRows, "{current_rows} predictions on {date}");
        checks.AtLeast("min_reference_rows", result.ReferenceRows,
            "the model {model_id} kept {reference_rows} validation scores as its reference");
        var shares = await context.QueryAsync<(string Series, double Total)>(
            "select series, sum(share) from monitoring.histogram_bins where monitor_date = @date group by series", new { date = Date }, ct);
        checks.Equal("histograms_written", result.Status is null ? 0 : 2, shares.Count, "a drift record comes with both histograms");
        foreach (var (series, total) in shares)
            checks.That($"{series}_histogram_sums_to_one", Math.Abs(total - 1) < 1e-9, $"sum of {series} bin shares == 1", 1, Math.Round(total, 9),
                "a histogram that does not sum to one lost scores outside its bins");
    }
}

/// <summary>The day's drift against the model's reference; null figures when there was nothing to compare.</summary>
internal sealed record MonitorResult(
    int Models, string? ModelId, long ReferenceRows, long CurrentRows, int? PsiBins, double? Psi, double? Ks, double? MeanShift,
    double? FailShareReference, double? FailShareCurrent, string? Status, [property: System.Text.Json.Serialization.JsonIgnore] int Rows)
    : TaskResult
{
    public override long RowsWritten => Rows;

    public static MonitorResult Nothing(int models) => new(models, null, 0, 0, null, null, null, null, null, null, null, 0);
}
