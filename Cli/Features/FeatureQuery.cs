using Dapper;
using Npgsql;

namespace Inspections.Features;

/// <summary>
/// The one definition of every feature: for each as-of date and each establishment active then,
/// its state as of the morning of that date, from its inspections strictly before it. Written to the
/// temp table <c>feature_rows</c>; the snapshots and the cohort both select from it. Pairs with no inspection
/// within the label window (which has closed by the run date for every as-of date but the run date) are left out,
/// except on the run date. Only inspections dated before the run date are read, whatever later ones the table holds.
/// </summary>
/// <remarks>
/// Each inspection carries the running totals of its establishment up to and including itself; an
/// (establishment, as-of) pair takes the totals of its last inspection before the as-of date, i.e. the
/// inspection whose date is before the as-of date while the next one's is not. "Last result" and
/// "violations at last" come from the last inspection with a pass/fail outcome.
/// </remarks>
internal static class FeatureQuery
{
    public const string Columns = """
        as_of_date, license, facility_group, risk_level, area, zip, days_since_last_inspection, days_since_first_inspection,
        inspections_before, fails_before, fail_share_before, last_result_fail, last_result_conditions, violations_at_last,
        critical_at_last, serious_at_last, complaints_before, reinspections_before
        """;

    public static async Task<int> ComputeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyCollection<DateOnly> asOfDates, DateOnly runDate, FeatureSettings settings, CancellationToken ct)
    {
        var parameters = new
        {
            asOf = asOfDates.Distinct().ToArray(),
            date = runDate,
            active = settings.ActiveWithinDays,
            window = settings.LabelWindowDays,
            zips = Areas.Zips,
            areas = Areas.AreaOfZips,
        };
        await connection.ExecuteAsync(new CommandDefinition(Prepare, parameters, transaction, cancellationToken: ct));
        return await connection.ExecuteAsync(new CommandDefinition(Compute, parameters, transaction, cancellationToken: ct, commandTimeout: 0));
    }

    private const string Prepare = """
        drop table if exists feature_as_of, feature_rows;
        create temp table feature_as_of (as_of_date date primary key) on commit drop;
        insert into feature_as_of select distinct unnest(@asOf::date[]);
        analyze feature_as_of;
        """;

    private const string Compute = $"""
        create temp table feature_rows on commit drop as
        with running as (
            select i.license, i.inspection_id, i.inspection_date, i.facility_group, i.risk_level, i.zip, i.closes_business,
                   i.outcome, i.passed_with_conditions, i.violations_total, i.violations_critical, i.violations_serious,
                   lead(i.inspection_date) over per_license as next_date,
                   first_value(i.inspection_date) over upto as first_date,
                   count(*) over upto as inspections,
                   count(*) filter (where i.outcome = 'fail') over upto as fails,
                   count(*) filter (where i.outcome <> 'none') over upto as pass_fails,
                   count(*) filter (where i.is_complaint) over upto as complaints,
                   count(*) filter (where i.is_reinspection) over upto as reinspections
            from clean.inspections i
            where i.inspection_date < @date
            window per_license as (partition by i.license order by i.inspection_date, i.inspection_id),
                   upto as (per_license rows between unbounded preceding and current row)
        ), last_pass_fail as (
            -- pass_fails numbers the runs of inspections that start at a pass/fail one: the run's first row is that inspection.
            select r.*,
                   first_value(r.outcome) over run as pf_outcome,
                   first_value(r.passed_with_conditions) over run as pf_conditions,
                   first_value(r.violations_total) over run as pf_violations,
                   first_value(r.violations_critical) over run as pf_critical,
                   first_value(r.violations_serious) over run as pf_serious
            from running r
            window run as (partition by r.license, r.pass_fails order by r.inspection_date, r.inspection_id)
        )
        select a.as_of_date, p.license, p.facility_group, p.risk_level, coalesce(area.name, case when p.zip is null then 'unknown' else 'outside' end) as area, p.zip,
               (a.as_of_date - p.inspection_date)::real as days_since_last_inspection,
               (a.as_of_date - p.first_date)::real as days_since_first_inspection,
               p.inspections::real as inspections_before,
               p.fails::real as fails_before,
               coalesce(p.fails::real / nullif(p.pass_fails, 0), 0)::real as fail_share_before,
               (p.pass_fails > 0 and p.pf_outcome = 'fail')::int::real as last_result_fail,
               (p.pass_fails > 0 and p.pf_conditions)::int::real as last_result_conditions,
               (case when p.pass_fails > 0 then p.pf_violations else 0 end)::real as violations_at_last,
               (case when p.pass_fails > 0 then p.pf_critical else 0 end)::real as critical_at_last,
               (case when p.pass_fails > 0 then p.pf_serious else 0 end)::real as serious_at_last,
               p.complaints::real as complaints_before,
               p.reinspections::real as reinspections_before
        from last_pass_fail p
        join feature_as_of a
          on a.as_of_date > p.inspection_date                          -- strictly before the as-of date
         and a.as_of_date <= coalesce(p.next_date, 'infinity')         -- and the last such inspection
         and a.as_of_date <= p.inspection_date + @active               -- active: inspected recently
         -- Only pairs that are training rows (an inspection in the label window), and the cohort: most
         -- (establishment, month) pairs see no inspection within the window.
         and (a.as_of_date = @date or p.next_date < a.as_of_date + @window)
        left join unnest(@zips::text[], @areas::text[]) as area(zip, name) on area.zip = p.zip
        where not p.closes_business
        """;
}
