using Dapper;
using Inspections.Pipeline;

namespace Inspections.Monitoring;

/// <summary>
/// <c>monitor</c>: compares the day's prediction scores with the reference distribution of the model
/// that made them (its validation scores): PSI, Kolmogorov-Smirnov, mean shift, share labelled fail,
/// and both histograms; a status ok / warn / alert from configured thresholds. One row per date.
/// </summary>
internal sealed class MonitorTask(DateOnly date, string source, IReadOnlyList<PipelineTask> upstream)
    : StageTask(date, source, upstream)
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

    public override async Task RunAsync(TaskContext context, CancellationToken ct)
    {
        var settings = context.Settings.Bind<MonitoringSettings>("Monitoring");
        var connection = context.Connection;
        var tx = context.Transaction;
        var date = Date.ToDateTime(TimeOnly.MinValue);
        await connection.ExecuteAsync(new CommandDefinition(DeleteDay, new { date }, tx, cancellationToken: ct));

        var models = (await connection.QueryAsync<(string ModelId, double Threshold)>(new CommandDefinition(ModelOfTheDay, new { date }, tx, cancellationToken: ct))).ToList();
        context.Figures["models"] = models.Count;
        if (models.Count != 1) return; // the checks say why
        var (modelId, threshold) = models[0];

        var current = (await connection.QueryAsync<double>(new CommandDefinition(CurrentScores, new { date }, tx, cancellationToken: ct))).ToList();
        var reference = (await connection.QueryAsync<double>(new CommandDefinition(ReferenceScores, new { modelId }, tx, cancellationToken: ct))).ToList();
        var psi = Drift.Psi(reference, current, settings.PsiBins);
        var ks = Drift.KolmogorovSmirnov(reference, current);
        var status = psi >= settings.PsiAlert || ks >= settings.KsAlert ? "alert"
            : psi >= settings.PsiWarn || ks >= settings.KsWarn ? "warn"
            : "ok";
        var row = new
        {
            date,
            modelId,
            referenceRows = reference.Count,
            currentRows = current.Count,
            bins = settings.PsiBins,
            psi,
            ks,
            meanReference = reference.DefaultIfEmpty(double.NaN).Average(),
            meanCurrent = current.DefaultIfEmpty(double.NaN).Average(),
            meanShift = current.DefaultIfEmpty(double.NaN).Average() - reference.DefaultIfEmpty(double.NaN).Average(),
            failShareReference = reference.Count == 0 ? double.NaN : (double)reference.Count(s => s >= threshold) / reference.Count,
            failShareCurrent = current.Count == 0 ? double.NaN : (double)current.Count(s => s >= threshold) / current.Count,
            status,
            runId = context.RunId,
        };
        if (current.Count == 0 || reference.Count == 0) return;
        await connection.ExecuteAsync(new CommandDefinition(InsertDrift, row, tx, cancellationToken: ct));
        foreach (var (series, values) in new[] { ("reference", reference), ("current", current) })
        {
            var bins = Drift.Histogram(values, settings.HistogramBins);
            await connection.ExecuteAsync(new CommandDefinition(InsertBin,
                bins.Select(b => new { date, series, b.Index, b.Lower, b.Upper, b.Count, b.Share }), tx, cancellationToken: ct));
        }
        context.RowsWritten = 1 + 2 * settings.HistogramBins;
        foreach (var (name, value) in new (string, object?)[]
        {
            ("model_id", modelId), ("reference_rows", row.referenceRows), ("current_rows", row.currentRows), ("psi_bins", settings.PsiBins),
            ("psi", Math.Round(psi, 5)), ("ks", Math.Round(ks, 5)), ("mean_shift", Math.Round(row.meanShift, 5)),
            ("fail_share_reference", Math.Round(row.failShareReference, 5)), ("fail_share_current", Math.Round(row.failShareCurrent, 5)),
            ("status", status),
        })
        {
            context.Figures[name] = value;
        }
    }

    public override async Task CheckAsync(TaskContext context, CheckSet checks, CancellationToken ct)
    {
        checks.Equal("one_model", 1, (int)context.Figures["models"]!,
            "the predictions of {date} must come from exactly one model (found {models}); run predict for that date first");
        if (!context.Figures.ContainsKey("psi")) return;
        checks.AtLeast("min_current_rows", Convert.ToDouble(context.Figures["current_rows"]), "{current_rows} predictions on {date}");
        checks.AtLeast("min_reference_rows", Convert.ToDouble(context.Figures["reference_rows"]),
            "the model {model_id} kept {reference_rows} validation scores as its reference");
        var shares = await context.Connection.QueryAsync<(string Series, double Total)>(new CommandDefinition(
            "select series, sum(share) from monitoring.histogram_bins where monitor_date = @date group by series",
            new { date = Date.ToDateTime(TimeOnly.MinValue) }, context.Transaction, cancellationToken: ct));
        foreach (var (series, total) in shares)
            checks.That($"{series}_histogram_sums_to_one", Math.Abs(total - 1) < 1e-9, $"sum of {series} bin shares == 1", 1, Math.Round(total, 9),
                "a histogram that does not sum to one lost scores outside its bins");
    }
}
