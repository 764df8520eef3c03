using System.Text.Json.Serialization;
using Dapper;
using Inspections.Hosting;
using Inspections.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Inspections.Features;

/// <summary>Settings of <c>Features</c> (defaults in appsettings.json).</summary>
internal sealed class FeatureSettings
{
    /// <summary><c>month</c> (the first of each month) or <c>week</c> (each Monday).</summary>
    public string SnapshotEvery { get; set; } = "";
    /// <summary>
    /// The first snapshot date; empty: the first schedule date <see cref="MinHistoryDays"/> after the first inspection.
    /// </summary>
    public string FirstAsOf { get; set; } = "";
    public int MinHistoryDays { get; set; }
    public int LabelWindowDays { get; set; }
    /// <summary>Active: inspected within this many days before the as-of date, and not closed.</summary>
    public int ActiveWithinDays { get; set; }
    /// <summary>(license, as-of) pairs the leakage check recomputes from scratch.</summary>
    public int LeakageSample { get; set; }
}

/// <summary>
/// Writes <c>features.snapshots</c> (labelled training rows on a schedule of as-of dates up to D),
/// <c>features.cohort</c> (the active establishments to score on D) and <c>features.fold_cohort</c> (every active
/// establishment of the as-of dates train validates on: monitoring's reference). All come from one computation,
/// <see cref="FeatureQuery"/>, run once over every as-of date: a feature has one definition. A feature
/// uses only inspections strictly before its as-of date; the label is the outcome of the first
/// pass/fail inspection in [as-of, as-of + window), known from as-of + window on.
/// </summary>
/// <remarks>
/// A snapshot is stored once its label window has closed by D: from then on it is a function of the
/// records alone, whichever date computes it. Each run recomputes the snapshots of every as-of date
/// whose window closed by D (late records can change old ones) and leaves those of later as-of dates,
/// written by later dates' runs, alone; train at D reads only the windows closed by D. A snapshot whose
/// window closed without a pass/fail inspection can never be labelled and is not stored (nine rows in ten).
/// The cohort of D is replaced, with each establishment's name and address as of D for store-api; so are the fold
/// cohorts of this run's fold dates, which, like snapshots, depend on the records before their date alone.
/// </remarks>
internal sealed class FeaturesTask(DateOnly date, string source, IReadOnlyList<PipelineTask> upstream)
    : StageTask<FeaturesResult>(date, source, upstream)
{
    public override string Name => "features";

    public override async Task<FeaturesResult> RunAsync(TaskContext ctx, CancellationToken ct)
    {
        var settings = ctx.Settings.Bind<FeatureSettings>("Features");
        var first = await ctx.ScalarAsync<DateOnly?>(
            "select min(inspection_date) from clean.inspections where inspection_date <= @date",
            new { date = Date }, ct);
        // Only as-of dates whose label window has closed by D: their snapshots no longer depend on D.
        var schedule = Schedule(settings, first, Date.AddDays(-settings.LabelWindowDays));
        // Train at D reads the snapshots of the last Training:HistoryMonths only: older ones are not computed again.
        var historyMonths = ctx.Settings.Configuration.GetValue<int>("Training:HistoryMonths");
        if (historyMonths > 0) schedule.RemoveAll(d => d < Date.AddMonths(-historyMonths));
        // Train validates on the last Training:Folds x FoldAsOfDates of them: their whole cohorts are monitoring's
        // reference.
        var foldDates = schedule.TakeLast(
            ctx.Settings.Configuration.GetValue<int>("Training:Folds")
            * ctx.Settings.Configuration.GetValue<int>("Training:FoldAsOfDates")).ToArray();

        // Only dates whose inputs (the records they read, the definition) changed since they were stored are computed
        // again.
        var stale = await FeatureInputs.StaleAsync(
            ctx.Connection, ctx.Transaction, Date, schedule, foldDates, settings, ct);
        ctx.Log.LogDebug("Of {Dates} snapshot and {Folds} fold dates, {Stale} and {StaleFolds} changed inputs",
            schedule.Count, foldDates.Length, stale.Snapshots.Count, stale.FoldCohorts.Count);

        var started = System.Diagnostics.Stopwatch.StartNew();
        await FeatureQuery.ComputeAsync(ctx.Connection, ctx.Transaction, stale.Snapshots, [.. stale.FoldCohorts, Date],
            Date, settings, ct, (step, ms) => ctx.Log.LogDebug("features step {Step} in {Ms} ms", step, ms));
        ctx.Log.LogDebug("Features of {Dates} as-of dates in {Ms} ms",
            stale.Snapshots.Union(stale.FoldCohorts).Count() + 1, started.ElapsedMilliseconds);

        ctx.Progress.Report(1, 3, "steps");
        var parameters = new
        {
            date = Date, window = settings.LabelWindowDays, schedule = schedule.ToArray(),
            stale = stale.Snapshots.ToArray(), folds = stale.FoldCohorts.ToArray(),
        };
        Task<int> Execute(string sql) => ctx.ExecuteAsync(sql, parameters, ct);

        await Execute("delete from features.snapshots where as_of_date = any(@stale)");
        var written = await Execute(InsertSnapshots);
        ctx.Progress.Report(2, 3, "steps");
        await Execute("delete from features.cohort where as_of_date = @date");
        var cohort = await Execute(InsertCohort);
        await Execute("delete from features.fold_cohort where as_of_date = any(@folds)");
        var foldCohort = await Execute(InsertFoldCohort);
        await FeatureInputs.RecordAsync(ctx.Connection, ctx.Transaction, Date, stale, ct);
        var snapshots = await ctx.ScalarAsync<long>(
            "select count(*) from features.snapshots where as_of_date = any(@schedule)", parameters, ct);
        var foldRows = await ctx.ScalarAsync<long>(
            "select count(*) from features.fold_cohort where as_of_date = any(@folds)", new { folds = foldDates }, ct);

        ctx.Progress.Report(3, 3, "steps");
        // The leakage check reads what this run wrote (same transaction): the cohort and the snapshots computed again.
        var leakClock = System.Diagnostics.Stopwatch.StartNew();
        var leaks = await FeatureLeakage.FindMismatchesAsync(
            ctx.Connection, ctx.Transaction, Date, stale.Snapshots, settings.LeakageSample, ct);
        ctx.Log.LogDebug("leakage check of {Pairs} pairs in {Ms} ms", leaks.Checked, leakClock.ElapsedMilliseconds);
        return new FeaturesResult(schedule.Count, schedule.Count > 0 ? schedule[0] : null, snapshots, snapshots, cohort,
            foldDates.Length, foldRows, leaks.Checked)
        {
            Leaks = leaks.Mismatches,
            SnapshotDatesComputed = stale.Snapshots.Count,
            SnapshotRowsWritten = written,
            FoldDatesComputed = stale.FoldCohorts.Count,
            FoldCohortRowsWritten = foldCohort,
        };
    }

    /// <summary>
    /// The as-of dates of the training snapshots, oldest first, none after <paramref name="through"/>.
    /// </summary>
    public static List<DateOnly> Schedule(FeatureSettings settings, DateOnly? firstInspection, DateOnly through)
    {
        var dates = new List<DateOnly>();
        if (firstInspection is null && settings.FirstAsOf is not { Length: > 0 }) return dates;
        var start = settings.FirstAsOf is { Length: > 0 } configured
            ? Dates.Parse(configured, "Features:FirstAsOf")
            : firstInspection!.Value.AddDays(settings.MinHistoryDays);
        Func<DateOnly, DateOnly> next;
        switch (settings.SnapshotEvery)
        {
            case "month":
                start = start.Day == 1 ? start : new DateOnly(start.Year, start.Month, 1).AddMonths(1);
                next = d => d.AddMonths(1);
                break;
            case "week":
                start = start.AddDays(((int)DayOfWeek.Monday - (int)start.DayOfWeek + 7) % 7);
                next = d => d.AddDays(7);
                break;
            default:
                throw new UserException(ExitCodes.UsageError,
                    $"Features:SnapshotEvery is '{settings.SnapshotEvery}': expected month or week");
        }
        for (var d = start; d <= through; d = next(d)) dates.Add(d);
        return dates;
    }

    public override async Task CheckAsync(TaskContext ctx, FeaturesResult result, CheckSet checks, CancellationToken ct)
    {
        var settings = ctx.Settings.Bind<FeatureSettings>("Features");
        var parameters = new { date = Date, window = settings.LabelWindowDays };
        Task<IReadOnlyList<string>> Keys(string sql) => ctx.QueryAsync<string>(sql, parameters, ct);

        var badLabels = await Keys("""
            select license || '@' || as_of_date || ': labelled by ' || label_inspection_date from features.snapshots
            where as_of_date + @window <= @date
              and (label_inspection_date < as_of_date or label_inspection_date >= as_of_date + @window
                   or label_inspection_date > @date)
            """);
        checks.None("label_from_window_after_as_of", badLabels.Count,
            "every label comes from an inspection in [as_of, as_of + window) dated no later than {date}", badLabels);

        checks.AtLeast("min_cohort", result.CohortRows,
            "active establishments to score on {date}: inspected within Features:ActiveWithinDays, not closed");

        var nullZip = await ctx.ScalarAsync<double>(
            "select coalesce(avg((zip is null)::int), 0)::float8 from features.cohort where as_of_date = @date",
            parameters, ct);
        checks.AtMost("max_null_zip_share", nullZip, "cohort rows of {date} without a ZIP code (area unknown)");

        checks.AtMost("max_leaking_pairs", result.Leaks.Count,
            "of {leakage_pairs_checked} (license, as-of) pairs recomputed from inspections strictly before the as-of " +
            "date, these differ from the stored features",
            result.Leaks);
    }

    // The label of (license, as-of): its first pass/fail inspection in [as_of, as_of + window), found by
    // joining each pass/fail inspection to the as-of dates it can label (set-based, not one probe per row).
    private static readonly string InsertSnapshots = $"""
        with label as (
            select distinct on (n.license, a.as_of_date)
                   n.license, a.as_of_date, n.outcome = 'fail' as fail, n.inspection_date
            from clean.inspections n
            join feature_as_of a on a.as_of_date <= n.inspection_date and a.as_of_date > n.inspection_date - @window
            where n.outcome <> 'none' and n.inspection_date <= @date and a.as_of_date in (select unnest(@stale::date[]))
            order by n.license, a.as_of_date, n.inspection_date, n.inspection_id
        )
        insert into features.snapshots ({FeatureQuery.Columns}, label_fail, label_inspection_date, label_known_on)
        select {FeatureQuery.Columns}, label.fail, label.inspection_date, f.as_of_date + @window
        from feature_rows f
        join label using (license, as_of_date)
        where f.as_of_date in (select unnest(@stale::date[]))
        """;

    // Name and address from the establishment's last inspection before D, as its other attributes.
    private static readonly string InsertFoldCohort = $"""
        insert into features.fold_cohort ({FeatureQuery.Columns})
        select {FeatureQuery.Columns} from feature_rows where as_of_date = any(@folds)
        """;

    private static readonly string InsertCohort = $"""
        insert into features.cohort ({FeatureQuery.Columns}, name, address)
        select {FeatureQuery.Columns}, last.name, last.address
        from feature_rows f
        left join lateral (
            select i.name, i.address from clean.inspections i
            where i.license = f.license and i.inspection_date < @date
            order by i.inspection_date desc, i.inspection_id desc
            limit 1
        ) last on true
        where f.as_of_date = @date
        """;

}

/// <summary>What the features task wrote, and what the leakage check found in it.</summary>
/// <param name="SnapshotDates">As-of dates of the snapshots train at the run date reads (label windows closed by
/// it).</param>
/// <param name="SnapshotRows">Labelled snapshots of those dates, computed by this run or stored with unchanged
/// inputs.</param>
/// <param name="LeakagePairsChecked">Stored (licence, as-of) pairs recomputed from the inspections before their as-of
/// date.</param>
/// <param name="FoldCohortRows">Every active establishment of the <paramref name="FoldDates"/> latest as-of dates
/// (<c>features.fold_cohort</c>).</param>
internal sealed record FeaturesResult(
    int SnapshotDates,
    DateOnly? FirstAsOf,
    long SnapshotRows,
    long LabelledRows,
    long CohortRows,
    int FoldDates,
    long FoldCohortRows,
    int LeakagePairsChecked) : TaskResult
{
    public override long RowsWritten => SnapshotRowsWritten + CohortRows + FoldCohortRowsWritten;

    /// <summary>Snapshot dates whose inputs changed (or were never stored), computed by this run.</summary>
    public int SnapshotDatesComputed { get; init; }

    public long SnapshotRowsWritten { get; init; }

    /// <summary>Fold dates whose inputs changed (or were never stored), computed by this run.</summary>
    public int FoldDatesComputed { get; init; }

    public long FoldCohortRowsWritten { get; init; }

    /// <summary>The recomputed pairs whose stored features differ, one line each.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Leaks { get; init; } = [];
}
