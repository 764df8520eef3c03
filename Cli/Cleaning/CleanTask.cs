using Inspections.Pipeline;

namespace Inspections.Cleaning;

/// <summary>
/// Types and normalises the raw inspections dated up to the run date into <c>clean.inspections</c>
/// and <c>clean.violations</c>. Incremental: only raw rows dated up to D that are new or changed since
/// they were cleaned (their ingest run differs) are cleaned again. The clean tables only grow: rows
/// dated after D that a later date's run cleaned stay, and every reader filters by date, so running
/// an earlier date after a later one changes nothing the later one's tasks read (docs/data-model.md).
/// Rows with an empty or 0 license are not establishments' inspections: left out, counted.
/// </summary>
/// <remarks>
/// Violation severity, by the number's band (the City's code until 2018-07-01: 1-14 critical,
/// 15-29 serious, 30-44 minor, 70 other). From 2018-07-01 the City numbers violations 1-63 after the
/// FDA Food Code; this product maps 1-14 (supervision, employee health, hygiene, approved source)
/// to critical, 15-29 (contamination, time and temperature control, advisories) to serious and
/// 30-63 (good retail practices) to minor: an approximation of the new priority / priority
/// foundation / core classes, which the public data does not carry per violation.
/// </remarks>
/// <summary>
/// What a clean run did, and the shares its checks bound, over the clean inspections dated up to its date.
/// </summary>
internal sealed record CleanResult(
    long RowsRemoved, long RowsCleaned, long RowsNotEstablishments, long ViolationsCleaned, long InspectionsUpToDate,
    double FailShare, double NullNameShare, double UnknownRiskShare, double ExcludedShare) : TaskResult
{
    public override long RowsWritten => RowsCleaned + ViolationsCleaned;
}

internal sealed class CleanTask(DateOnly date, string source, IReadOnlyList<PipelineTask> upstream)
    : StageTask<CleanResult>(date, source, upstream)
{
    public override string Name => "clean";

    public override async Task<CleanResult> RunAsync(TaskContext ctx, CancellationToken ct)
    {
        var parameters = new { date = Date, groups = FacilityGroups.Groups, patterns = FacilityGroups.Patterns };
        var removed = await ctx.ScalarAsync<long>(RemoveStale, parameters, ct);
        await ctx.ExecuteAsync(SelectBatch, parameters, ct);
        // Fresh statistics: without them the planner takes these tables for empty and nests loops over them.
        await ctx.ExecuteAsync("analyze clean_batch", null, ct);
        var batch = await ctx.ScalarAsync<long>("select count(*) from clean_batch", null, ct);
        ctx.Progress.Report(1, 3, "steps");
        await ctx.ExecuteAsync(ParseViolations, parameters, ct);
        await ctx.ExecuteAsync("analyze batch_violations", null, ct);
        var inserted = await ctx.ExecuteAsync(InsertInspections, parameters, ct);
        await ctx.ExecuteAsync("analyze clean.inspections", null, ct);
        ctx.Progress.Report(2, 3, "steps");
        var violations = await ctx.ExecuteAsync(
            "insert into clean.violations select * from batch_violations", null, ct);
        ctx.Progress.Report(3, 3, "steps");

        var shares = await ctx
            .SingleAsync<(long Total, double FailShare, double NullName, double UnknownRisk, double Excluded)>(
                Shares, new { date = Date }, ct);
        return new CleanResult(removed, inserted, batch - inserted, violations, shares.Total,
            shares.FailShare, shares.NullName, shares.UnknownRisk, shares.Excluded);
    }

    public override async Task CheckAsync(TaskContext ctx, CleanResult result, CheckSet checks, CancellationToken ct)
    {
        checks.AtLeast("min_fail_share", result.FailShare,
            "share of fail among pass/fail inspections up to {date} (the City's is about 0.2)");
        checks.AtMost("max_fail_share", result.FailShare,
            "share of fail among pass/fail inspections up to {date} (the City's is about 0.2)");
        checks.AtMost("max_null_name_share", result.NullNameShare, "inspections without a DBA or AKA name");
        checks.AtMost("max_unknown_risk_share", result.UnknownRiskShare,
            "inspections whose risk is not Risk 1/2/3 or All");
        checks.AtMost("max_excluded_share", result.ExcludedShare,
            "raw inspections up to {date} with an empty or 0 license (not establishments)");

        var late = await ctx.QueryAsync<string>(
            "select c.inspection_id::text from clean.inspections c join clean_batch b using (inspection_id) " +
            "where c.inspection_date > @date limit 10",
            new { date = Date }, ct);
        checks.None("no_date_after_run_date", late.Count, "this run cleaned no inspection dated after {date}", late);

        var uncleaned = await ctx.QueryAsync<string>(Uncleaned, new { date = Date }, ct);
        checks.None("every_raw_row_cleaned", uncleaned.Count,
            "every raw inspection dated up to {date} with a license is cleaned, as its latest ingested version",
            uncleaned);
    }

    // Rows whose raw record changed since they were cleaned and that were, or now are, dated up to D, with
    // their violations (raw records are never deleted). A changed row dated after D either way is a later
    // date's: that date's run re-cleans it.
    private const string RemoveStale = """
        with removed as (
            delete from clean.inspections c
            using raw.inspections r
            where r.inspection_id = c.inspection_id and r.ingest_run_id <> c.source_run_id
              and (c.inspection_date <= @date or r.inspection_date <= @date)
            returning c.inspection_id
        ), violations as (
            delete from clean.violations v using removed where v.inspection_id = removed.inspection_id
        )
        select count(*) from removed
        """;

    private const string SelectBatch = """
        create temp table clean_batch on commit drop as
        select r.*, clean.license_number(r.license) as license_clean
        from raw.inspections r
        where r.inspection_date <= @date
          and not exists (select 1 from clean.inspections c where c.inspection_id = r.inspection_id)
        """;

    // Items are "N. TITLE - Comments: text", separated by " | ". Plain string functions, not regular
    // expressions over whole texts: this is the costliest step of clean on a large load. The CTEs are
    // materialized: inlined, every use of number, comments_at and head re-evaluated its expression (the
    // regular expression ten times per item): 15 s instead of 4 s for the 359,009 items of a 1M-row load.
    private const string ParseViolations = """
        create temp table batch_violations on commit drop as
        with items as materialized (
            select b.inspection_id, b.inspection_date, btrim(item.text) as text, item.position::int as position
            from clean_batch b
            cross join lateral string_to_table(b.violations, ' | ') with ordinality as item(text, position)
            where b.license_clean is not null and btrim(coalesce(b.violations, '')) <> ''
        ), split as materialized (
            select *, substring(left(text, 5) from '^(\d{1,3})\.')::int as number,
                   strpos(text, ' - Comments:') as comments_at
            from items
        ), parts as (
            select *, case when comments_at > 0 then left(text, comments_at - 1) else text end as head from split
        )
        select inspection_id, position, number,
               case
                   when number between 1 and 14 then 'critical'
                   when number between 15 and 29 then 'serious'
                   when number between 30 and 44 then 'minor'
                   when number between 45 and 63 and inspection_date >= date '2018-07-01' then 'minor'
                   when number = 70 then 'other'
                   else 'unknown'
               end as severity,
               nullif(btrim(case when number is null then head
                                 else substr(head, strpos(head, '.') + 1) end), '') as title,
               case when comments_at > 0 then nullif(btrim(substr(text, comments_at + 12)), '') end as comments
        from parts
        where text <> ''
        """;


    private const string InsertInspections = """
        with facility as materialized (
            select spelling.facility_type,
                   case when btrim(spelling.facility_type) = '' then 'unknown'
                        else coalesce((select rule.grp
                                       from unnest(@groups::text[], @patterns::text[])
                                            with ordinality as rule(grp, pattern, n)
                                       where lower(btrim(spelling.facility_type)) ~ rule.pattern
                                       order by rule.n limit 1), 'other')
                   end as facility_group
            from (select distinct coalesce(facility_type, '') as facility_type from clean_batch) spelling
        ), counts as (
            select inspection_id, count(*) as total,
                   count(*) filter (where severity = 'critical') as critical,
                   count(*) filter (where severity = 'serious') as serious,
                   count(*) filter (where severity = 'minor') as minor,
                   count(*) filter (where severity = 'other') as other
            from batch_violations group by inspection_id
        ), kinds as materialized (
            -- Materialized: the regular expressions run once per distinct spelling, not once per row.
            select itype,
                   case when itype ~ 'food poison|sfp' then 'food-poisoning'
                        when itype ~ 'task force|147[45]' then 'task-force'
                        when itype ~ 'canvas' then 'canvass'
                        when itype ~ 'complaint' then 'complaint'
                        when itype ~ 'licen' then 'license'
                        when itype ~ 'consult' then 'consultation'
                        else 'other' end as inspection_type,
                   itype ~ 'canvas' as is_canvass, itype ~ 'complaint|food poison|sfp' as is_complaint,
                   itype ~ 'licen' as is_license, itype ~ 're-? ?inspec' as is_reinspection
            from (select distinct lower(btrim(coalesce(inspection_type, ''))) as itype from clean_batch) spellings
        ), typed as (
            -- Only the columns needed: the violations text would make every hash join spill to disk.
            select b.inspection_id, b.license_clean, b.dba_name, b.aka_name, b.address, b.zip, b.latitude, b.longitude,
                   b.facility_type, b.risk, b.inspection_date, b.inspection_type, b.results, b.ingest_run_id,
                   btrim(coalesce(b.violations, '')) <> '' as has_violation_text,
                   lower(btrim(coalesce(b.inspection_type, ''))) as itype,
                   lower(btrim(coalesce(b.results, ''))) as result
            from clean_batch b where b.license_clean is not null
        )
        insert into clean.inspections
        select t.inspection_id, t.license_clean,
               coalesce(nullif(btrim(t.dba_name), ''), nullif(btrim(t.aka_name), '')),
               nullif(btrim(t.aka_name), ''),
               nullif(upper(btrim(t.address)), ''),
               substring(t.zip from '^\s*(\d{5})'),
               nullif(t.latitude::double precision, 0),  -- ingest rejected records whose coordinates are not numbers
               nullif(t.longitude::double precision, 0),
               t.facility_type, f.facility_group,
               case when t.risk ilike 'risk 1%' then 'high' when t.risk ilike 'risk 2%' then 'medium'
                    when t.risk ilike 'risk 3%' then 'low'
                    when lower(btrim(t.risk)) = 'all' then 'all' else 'unknown' end,
               t.inspection_date, t.inspection_type,
               k.inspection_type, k.is_canvass, k.is_complaint, k.is_license, k.is_reinspection,
               t.results,
               case when t.result = 'fail' then 'fail' when t.result in ('pass', 'pass w/ conditions') then 'pass'
                    else 'none' end,
               t.result = 'pass w/ conditions',
               t.result in ('out of business', 'business not located'),
               coalesce(c.total, 0), coalesce(c.critical, 0), coalesce(c.serious, 0),
               coalesce(c.minor, 0), coalesce(c.other, 0),
               t.has_violation_text,
               t.ingest_run_id
        from typed t
        join facility f on f.facility_type = coalesce(t.facility_type, '')
        join kinds k on k.itype = t.itype
        left join counts c on c.inspection_id = t.inspection_id
        """;

    private const string Uncleaned = """
        select r.inspection_id::text from raw.inspections r
        where r.inspection_date <= @date
          and clean.license_number(r.license) is not null
          and not exists (select 1 from clean.inspections c
                          where c.inspection_id = r.inspection_id and c.source_run_id = r.ingest_run_id)
        limit 10
        """;

    private const string Shares = """
        select count(*) as total,
               coalesce((count(*) filter (where outcome = 'fail'))::float8
                        / nullif(count(*) filter (where outcome <> 'none'), 0), 0) as fail_share,
               coalesce((count(*) filter (where name is null))::float8 / nullif(count(*), 0), 0) as null_name,
               coalesce((count(*) filter (where risk_level = 'unknown'))::float8
                        / nullif(count(*), 0), 0) as unknown_risk,
               coalesce((select (count(*) filter (where clean.license_number(license) is null))::float8
                                / nullif(count(*), 0)
                         from raw.inspections where inspection_date <= @date), 0) as excluded
        from clean.inspections
        where inspection_date <= @date
        """;
}
