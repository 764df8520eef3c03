using System.Globalization;
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
    /// <summary>The first snapshot date; empty: the first schedule date <see cref="MinHistoryDays"/> after the first inspection.</summary>
    public string FirstAsOf { get; set; } = "";
    public int MinHistoryDays { get; set; }
    public int LabelWindowDays { get; set; }
    /// <summary>Active: inspected within this many days before the as-of date, and not closed.</summary>
    public int ActiveWithinDays { get; set; }
    /// <summary>(license, as-of) pairs the leakage check recomputes from scratch.</summary>
    public int LeakageSample { get; set; }
}

/// <summary>
/// Writes <c>features.snapshots</c> (labelled training rows on a schedule of as-of dates up to D) and
/// <c>features.cohort</c> (the active establishments to score on D). Both come from one computation,
/// <see cref="FeatureQuery"/>, run once over every as-of date: a feature has one definition. A feature
/// uses only inspections strictly before its as-of date; the label is the outcome of the first
/// pass/fail inspection in [as-of, as-of + window), known from as-of + window on.
/// </summary>
/// <remarks>
/// Snapshots are rebuilt whole each run (late records can change old ones); the cohort of D is replaced.
/// A snapshot whose label window closed by D without a pass/fail inspection is not stored: it can never
/// be a training row, and such rows were four in five of all (establishment, month) pairs of the real export.
/// </remarks>
internal sealed class FeaturesTask(DateOnly date, string source, IReadOnlyList<PipelineTask> upstream)
    : StageTask(date, source, upstream)
{
    public override string Name => "features";

    public override async Task RunAsync(TaskContext ctx, CancellationToken ct)
    {
        var settings = ctx.Settings.Bind<FeatureSettings>("Features");
        var first = await ctx.Connection.ExecuteScalarAsync<DateOnly?>(new CommandDefinition(
            "select min(inspection_date) from clean.inspections", transaction: ctx.Transaction, cancellationToken: ct));
        var schedule = Schedule(settings, first, Date);
        ctx.Figures["snapshot_dates"] = schedule.Count;
        ctx.Figures["first_as_of"] = schedule.Count > 0 ? schedule[0] : null;

        var computed = await FeatureQuery.ComputeAsync(ctx.Connection, ctx.Transaction, [.. schedule, Date], Date, settings, ct);
        ctx.Log.LogDebug("{Rows} feature rows for {Dates} as-of dates", computed, schedule.Count + 1);

        var parameters = new { date = Date, window = settings.LabelWindowDays, schedule = schedule.ToArray() };
        async Task<int> Execute(string sql) => await ctx.Connection.ExecuteAsync(
            new CommandDefinition(sql, parameters, ctx.Transaction, cancellationToken: ct, commandTimeout: 0));

        await Execute("delete from features.snapshots");
        var snapshots = await Execute(InsertSnapshots);
        await Execute("delete from features.cohort where as_of_date = @date");
        var cohort = await Execute($"insert into features.cohort select {FeatureQuery.Columns} from feature_rows where as_of_date = @date");

        ctx.Figures["snapshot_rows"] = (long)snapshots;
        ctx.Figures["labelled_rows"] = await ctx.Connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "select count(*) from features.snapshots where label_fail is not null and label_known_on <= @date",
            parameters, ctx.Transaction, cancellationToken: ct));
        ctx.Figures["cohort_rows"] = (long)cohort;
        ctx.RowsWritten = snapshots + cohort;
    }

    /// <summary>The as-of dates of the training snapshots, oldest first, none after <paramref name="through"/>.</summary>
    public static List<DateOnly> Schedule(FeatureSettings settings, DateOnly? firstInspection, DateOnly through)
    {
        var dates = new List<DateOnly>();
        if (firstInspection is null && settings.FirstAsOf is not { Length: > 0 }) return dates;
        var start = settings.FirstAsOf is { Length: > 0 } configured
            ? PipelineVerb.ParseDate(configured)
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
                throw new UserException(ExitCodes.UsageError, $"Features:SnapshotEvery is '{settings.SnapshotEvery}': expected month or week");
        }
        for (var d = start; d <= through; d = next(d)) dates.Add(d);
        return dates;
    }

    public override async Task CheckAsync(TaskContext ctx, CheckSet checks, CancellationToken ct)
    {
        var settings = ctx.Settings.Bind<FeatureSettings>("Features");
        var parameters = new { date = Date, window = settings.LabelWindowDays };
        async Task<List<string>> Keys(string sql) => (await ctx.Connection.QueryAsync<string>(
            new CommandDefinition(sql, parameters, ctx.Transaction, cancellationToken: ct, commandTimeout: 0))).AsList();

        var badLabels = await Keys("""
            select license || '@' || as_of_date || ': labelled by ' || label_inspection_date from features.snapshots
            where label_inspection_date < as_of_date or label_inspection_date >= as_of_date + @window or label_inspection_date > @date
            """);
        checks.None("label_from_window_after_as_of", badLabels.Count,
            "every label comes from an inspection in [as_of, as_of + window) dated no later than {date}", badLabels);

        checks.AtLeast("min_cohort", Convert.ToDouble(ctx.Figures["cohort_rows"], CultureInfo.InvariantCulture),
            "active establishments to score on {date}: inspected within Features:ActiveWithinDays, not closed");

        var nullZip = await ctx.Connection.ExecuteScalarAsync<double>(new CommandDefinition(
            "select coalesce(avg((zip is null)::int), 0)::float8 from features.cohort where as_of_date = @date",
            parameters, ctx.Transaction, cancellationToken: ct));
        checks.AtMost("max_null_zip_share", nullZip, "cohort rows of {date} without a ZIP code (area unknown)");

        var leaks = await FeatureLeakage.FindMismatchesAsync(ctx.Connection, ctx.Transaction, Date, settings.LeakageSample, ct);
        ctx.Figures["leakage_pairs_checked"] = leaks.Checked;
        checks.AtMost("max_leaking_pairs", leaks.Mismatches.Count,
            "of {leakage_pairs_checked} (license, as-of) pairs recomputed from inspections strictly before the as-of date, these differ from the stored features",
            leaks.Mismatches);
    }

    private const string InsertSnapshots = $"""
        insert into features.snapshots ({FeatureQuery.Columns}, label_fail, label_inspection_date, label_known_on)
        select {FeatureQuery.Columns}, label.fail, label.inspection_date, f.as_of_date + @window
        from feature_rows f
        left join lateral (
            select n.outcome = 'fail' as fail, n.inspection_date
            from clean.inspections n
            where n.license = f.license and n.outcome <> 'none'
              and n.inspection_date >= f.as_of_date and n.inspection_date < f.as_of_date + @window and n.inspection_date <= @date
            order by n.inspection_date, n.inspection_id
            limit 1
        ) label on true
        where f.as_of_date = any(@schedule)
          and (label.fail is not null or f.as_of_date + @window > @date)   -- a closed window without a label never trains
        """;
}
