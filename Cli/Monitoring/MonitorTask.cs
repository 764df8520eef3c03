using Inspections.Features;
using Inspections.Pipeline;
using Inspections.Training;
using Microsoft.Extensions.Logging;

namespace Inspections.Monitoring;

/// <summary>
/// <c>monitor</c>: compares the day's cohort with the reference cohort of the model that scored it (scores of the
/// whole cohorts of its validation as-of dates, <c>models.reference_cohort</c>): the scores (PSI, KS,
/// mean shift, share labelled fail, both histograms) and every model feature (PSI; Jensen-Shannon for categories);
/// and reads the realised performance the evaluate task recorded. Status ok / warn / alert from configured
/// thresholds: the worst of the score, feature and performance statuses. One row per date.
/// </summary>
internal sealed class MonitorTask(DateOnly date, string source, IReadOnlyList<PipelineTask> upstream)
    : StageTask<MonitorResult>(date, source, upstream)
{
    public override string Name => "monitor";

    private const string ModelOfTheDay = """
        select distinct s.model_id
        from predictions.scores s
        where s.prediction_date = @date
        """;

    // The bins and features cascade.
    private const string DeleteDay = "delete from monitoring.drift where monitor_date = @date";

    private const string InsertDrift = """
        insert into monitoring.drift (monitor_date, model_id, reference_rows, current_rows, bins, psi, ks,
            mean_reference, mean_current, mean_shift, fail_share_reference, fail_share_current, status, run_id,
            score_status, feature_status, performance_status, reference_dates, reference_threshold,
            psi_warn, psi_alert, feature_psi_warn, feature_psi_alert)
        values (@date, @modelId, @referenceRows, @currentRows, @bins, @psi, @ks, @meanReference,
            @meanCurrent, @meanShift, @failShareReference, @failShareCurrent, @status, @runId,
            @scoreStatus, @featureStatus, @performanceStatus, @referenceDates, @threshold,
            @psiWarn, @psiAlert, @featurePsiWarn, @featurePsiAlert)
        """;

    private const string InsertBin = """
        insert into monitoring.histogram_bins (monitor_date, series, bin, lower_bound, upper_bound, count, share)
        values (@date, @series, @Index, @Lower, @Upper, @Count, @Share)
        """;

    private const string InsertFeature = """
        insert into monitoring.feature_drift (monitor_date, feature, kind, psi, js_divergence, bins, mean_reference,
            mean_current, status, counted, reference_psi)
        values (@date, @Feature, @Kind, @Psi, @JsDivergence, @Bins, @MeanReference,
            @MeanCurrent, @Status, @Counted, @ReferencePsi)
        """;

    // The realised performance known on the date: the latest prediction date evaluated by then with enough outcomes.
    private const string PerformanceStatus = """
        select status from monitoring.performance
        where evaluated_on <= @date and status <> 'too-few'
        order by prediction_date desc limit 1
        """;

    public override async Task<MonitorResult> RunAsync(TaskContext context, CancellationToken ct)
    {
        var settings = MonitoringSettings.From(context.Settings);
        await context.ExecuteAsync(DeleteDay, new { date = Date }, ct);

        var models = await context.QueryAsync<string>(ModelOfTheDay, new { date = Date }, ct);
        // No drift without exactly one model's scores: the checks say why, with the counts as they are.
        if (models.Count != 1) return MonitorResult.Nothing(models.Count);
        var model = await ModelRegistry.EntryAsync(context.Connection, models[0], ct)
            ?? throw new InvalidOperationException(
                $"the predictions of {Date:yyyy-MM-dd} name model {models[0]}, which the registry does not hold");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var reference = await CohortSample.ReferenceAsync(
            context.Connection, context.Transaction, model.ModelId, model.FeatureNames(), ct);
        context.Log.LogDebug(
            "reference cohort of {Rows} rows read in {Ms} ms", reference.Rows, clock.ElapsedMilliseconds);
        var current = await CohortSample.PredictedOnAsync(context.Connection, context.Transaction, Date, ct);
        // Rates as excesses over the city's share of their date: the city's fail share moving is not drift of every
        // rate.
        clock.Restart();
        var shares = await CityShares.ReadAsync(
            context.Connection, context.Transaction, [.. reference.Dates, Date], ct);
        context.Log.LogDebug("city shares of {Dates} dates in {Ms} ms", shares.Count, clock.ElapsedMilliseconds);
        if (current.Rows == 0 || reference.Rows == 0)
            return MonitorResult.Nothing(1) with
            {
                ModelId = model.ModelId,
                ReferenceRows = reference.Rows,
                CurrentRows = current.Rows,
            };

        var psi = Drift.Psi(reference.Scores, current.Scores, settings.PsiBins);
        var ks = Drift.KolmogorovSmirnov(reference.Scores, current.Scores);
        var scoreStatus = MonitoringSettings.Worst(settings.ScoreStatus(psi), settings.KsStatus(ks));
        clock.Restart();
        var features = FeatureDrift.Compare(reference.RelativeToCity(shares), current.RelativeToCity(shares), settings);
        context.Log.LogDebug("{Features} features compared in {Ms} ms", features.Count, clock.ElapsedMilliseconds);
        var featureStatus = MonitoringSettings.Worst([.. features.Where(f => f.Counted).Select(f => f.Status)]);
        var performanceStatus = await context.ScalarAsync<string>(PerformanceStatus, new { date = Date }, ct) ?? "ok";
        var status = MonitoringSettings.Worst(scoreStatus, featureStatus, performanceStatus);

        var threshold = model.Threshold;
        var row = new
        {
            date = Date,
            modelId = model.ModelId,
            referenceRows = reference.Rows,
            currentRows = current.Rows,
            bins = settings.PsiBins,
            psi,
            ks,
            meanReference = reference.Scores.Average(),
            meanCurrent = current.Scores.Average(),
            meanShift = current.Scores.Average() - reference.Scores.Average(),
            failShareReference = (double)reference.Scores.Count(s => s >= threshold) / reference.Rows,
            failShareCurrent = (double)current.Scores.Count(s => s >= threshold) / current.Rows,
            status,
            runId = context.RunId,
            scoreStatus,
            featureStatus,
            performanceStatus,
            referenceDates = reference.AsOfDates,
            threshold,
            psiWarn = settings.PsiWarn,
            psiAlert = settings.PsiAlert,
            featurePsiWarn = settings.FeaturePsiWarn,
            featurePsiAlert = settings.FeaturePsiAlert,
        };
        await context.ExecuteAsync(InsertDrift, row, ct);
        var (lower, upper) = Drift.Range(reference.Scores.Concat(current.Scores));
        foreach (var (series, values) in new[] { ("reference", reference.Scores), ("current", current.Scores) })
        {
            var bins = Drift.Histogram(values, settings.HistogramBins, lower, upper);
            await context.ExecuteAsync(InsertBin,
                bins.Select(b => new { date = Date, series, b.Index, b.Lower, b.Upper, b.Count, b.Share }), ct);
        }
        await context.ExecuteAsync(InsertFeature, features.Select(f => new
        {
            date = Date, f.Feature, f.Kind, f.Psi, f.JsDivergence, f.Bins, f.MeanReference, f.MeanCurrent, f.Status,
            f.Counted, f.ReferencePsi,
        }), ct);

        var top = features.OrderByDescending(f => f.Psi).FirstOrDefault();
        return new MonitorResult(1, model.ModelId, reference.Rows, current.Rows, settings.PsiBins,
            Math.Round(psi, 5), Math.Round(ks, 5), Math.Round(row.meanShift, 5),
            Math.Round(row.failShareReference, 5), Math.Round(row.failShareCurrent, 5), status,
            Rows: 1 + 2 * settings.HistogramBins + features.Count)
        {
            ScoreStatus = scoreStatus,
            FeatureStatus = featureStatus,
            PerformanceStatus = performanceStatus,
            ReferenceDates = reference.AsOfDates,
            FeaturesCompared = features.Count,
            FeaturesAtAlert = features.Count(f => f.Counted && f.Status == "alert"),
            MostDriftedFeature = top is null ? null : $"{top.Feature} (PSI {top.Psi:0.000})",
        };
    }

    public override async Task CheckAsync(
        TaskContext context,
        MonitorResult result,
        CheckSet checks,
        CancellationToken ct)
    {
        checks.Equal("one_model", 1, result.Models,
            "the predictions of {date} must come from exactly one model (found {models}); " +
            "run predict for that date first");
        checks.AtLeast("min_current_rows", result.CurrentRows, "{current_rows} predictions on {date}");
        checks.AtLeast("min_reference_rows", result.ReferenceRows,
            "the model {model_id} has {reference_rows} reference cohort scores " +
            "(its validation as-of dates' whole cohorts)");
        var shares = await context.QueryAsync<(string Series, double Total)>(
            "select series, sum(share) from monitoring.histogram_bins where monitor_date = @date group by series",
            new { date = Date }, ct);
        checks.Equal("histograms_written", result.Status is null ? 0 : 2, shares.Count,
            "a drift record comes with both histograms");
        foreach (var (series, total) in shares)
            checks.That($"{series}_histogram_sums_to_one", Math.Abs(total - 1) < 1e-9,
                $"sum of {series} bin shares == 1", 1, Math.Round(total, 9),
                "a histogram that does not sum to one lost scores outside its bins");
        var featureRows = await context.ScalarAsync<long>(
            "select count(*) from monitoring.feature_drift where monitor_date = @date", new { date = Date }, ct);
        checks.Equal("features_written", (long)result.FeaturesCompared, featureRows,
            "one feature drift row per model feature compared");
    }
}

/// <summary>The day's drift against the model's reference; null figures when there was nothing to compare.</summary>
internal sealed record MonitorResult(
    int Models,
    string? ModelId,
    long ReferenceRows,
    long CurrentRows,
    int? PsiBins,
    double? Psi,
    double? Ks,
    double? MeanShift,
    double? FailShareReference,
    double? FailShareCurrent,
    string? Status,
    [property: System.Text.Json.Serialization.JsonIgnore] int Rows)
    : TaskResult
{
    public string? ScoreStatus { get; init; }
    public string? FeatureStatus { get; init; }
    public string? PerformanceStatus { get; init; }
    public int ReferenceDates { get; init; }

    public int FeaturesCompared { get; init; }
    public int FeaturesAtAlert { get; init; }
    public string? MostDriftedFeature { get; init; }

    public override long RowsWritten => Rows;

    public static MonitorResult Nothing(int models) =>
        new(models, null, 0, 0, null, null, null, null, null, null, null, 0);
}
