using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Inspections.Features;

/// <summary>
/// The one definition of every feature: for each as-of date and each establishment active then,
/// its state as of the morning of that date, from inspections strictly before it. Written to the
/// temp view <c>feature_rows</c>; the snapshots and the cohort both select from it. Pairs with no inspection
/// within the label window (which has closed by the run date for every as-of date but the run date) are left out,
/// except on the run date. Only inspections dated before the run date are read, whatever later ones the table holds.
/// </summary>
/// <remarks>
/// Three blocks: the establishment's own history (<c>feature_own</c>, set-wise SQL below), its name's history across
/// other licences (<see cref="NameFeatures"/>) and its neighbourhood's recent results (<see cref="PlaceFeatures"/>).
/// Own history: each inspection carries the running totals of its establishment up to and including itself; an
/// (establishment, as-of) pair takes the totals of its last inspection before the as-of date, i.e. the
/// inspection whose date is before the as-of date while the next one's is not. "Last result" and
/// "violations at last" come from the last inspection with a pass/fail outcome.
/// The name and place blocks read every other licence's inspections before each as-of date: they are computed in
/// one pass over the inspections in date order, in memory, as the as-of dates advance (<see cref="FeatureEvents"/>),
/// and copied into <c>feature_neighbourhood</c>. (Written as set-wise SQL, the two blocks cost over 50 CPU seconds on a
/// million inspections, with every join and running sum per (licence, as-of date); this pass, a few.)
/// </remarks>
internal static class FeatureQuery
{
    public const string Columns = """
        as_of_date, license, facility_group, risk_level, area, zip, days_since_last_inspection, days_since_first_inspection,
        inspections_before, fails_before, fail_share_before, last_result_fail, last_result_conditions, violations_at_last,
        critical_at_last, serious_at_last, complaints_before, reinspections_before, conditions_before,
        name_licences, name_outcomes, name_fail_rate, name_word_min_rate, name_word_max_rate, name_word_excess,
        nearby_fail_12m_1km, nearby_fail_12m_2km, nearby_fail_6m_1km, nearby_fail_3m_1km, nearby_fail_3m_2km,
        nearby_fail_2m_1km, nearby_fail_2m_2km, nearby_bad_12m_1km, zip_fail_12m, zip_fail_24m
        """;

    /// <summary>The name and place columns, in the order <c>feature_neighbourhood</c> holds them.</summary>
    public static IReadOnlyList<string> NeighbourhoodColumns { get; } = [.. NameFeatures.Columns, .. PlaceFeatures.Columns];

    /// <summary>Writes <c>feature_rows</c>; returns the inspections it read (the leakage check reads them again from memory).</summary>
    public static async Task<FeatureEvents> ComputeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyCollection<DateOnly> asOfDates, DateOnly runDate, FeatureSettings settings, CancellationToken ct,
        Action<string, long>? stepDone = null)
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
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Done(string step)
        {
            stepDone?.Invoke(step, clock.ElapsedMilliseconds);
            clock.Restart();
        }
        await connection.ExecuteAsync(new CommandDefinition(Prepare, parameters, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(Own, parameters, transaction, cancellationToken: ct, commandTimeout: 0));
        Done("own history");

        var pairs = (await connection.QueryAsync<(DateTime AsOf, string License)>(new CommandDefinition(
                "select as_of_date, license from feature_own order by as_of_date, license", transaction: transaction, cancellationToken: ct, commandTimeout: 0)))
            .Select(p => (AsOf: DateOnly.FromDateTime(p.AsOf), p.License)).ToList();
        var events = await FeatureEvents.ReadAsync(connection, transaction, runDate, ct);
        Done("inspections read");
        var values = Neighbourhood(events, pairs);
        Done("name and place blocks");

        await using (var writer = await connection.BeginBinaryImportAsync(
            $"copy feature_neighbourhood (as_of_date, license, {string.Join(", ", NeighbourhoodColumns)}) from stdin (format binary)", ct))
        {
            // Synchronous writes into the importer's buffer: 18 awaits per row cost more than the computation.
            for (var p = 0; p < pairs.Count; p++)
            {
                writer.StartRow();
                writer.Write(pairs[p].AsOf, NpgsqlDbType.Date);
                writer.Write(pairs[p].License, NpgsqlDbType.Text);
                for (var c = 0; c < NeighbourhoodColumns.Count; c++) writer.Write((float)values[p, c], NpgsqlDbType.Real);
            }
            await writer.CompleteAsync(ct);
        }
        await connection.ExecuteAsync(new CommandDefinition(Rows, transaction: transaction, cancellationToken: ct));
        Done("blocks stored");
        return events;
    }

    /// <summary>
    /// The name and place blocks of each pair (in <paramref name="pairs"/> order, as-of dates ascending): one pass over the
    /// inspections in date order; at each as-of date, the totals hold exactly the inspections before it.
    /// </summary>
    public static double[,] Neighbourhood(FeatureEvents events, IReadOnlyList<(DateOnly AsOf, string License)> pairs)
    {
        // Each licence's inspections, in date order: a counting sort of the inspection indices by licence.
        var offsets = new int[events.Licenses.Count + 1];
        foreach (var l in events.License) offsets[l + 1]++;
        for (var l = 0; l < events.Licenses.Count; l++) offsets[l + 1] += offsets[l];
        var byLicense = new int[events.Count];
        var filled = (int[])offsets.Clone();
        for (var i = 0; i < events.Count; i++) byLicense[filled[events.License[i]]++] = i;

        var values = new double[pairs.Count, NeighbourhoodColumns.Count];
        var names = new NameFeatures.Totals(events);
        var windows = new PlaceFeatures.Windows(events);
        var fed = 0;
        var row = new double[NeighbourhoodColumns.Count];
        for (var start = 0; start < pairs.Count;)
        {
            var asOf = pairs[start].AsOf;
            var end = start;
            while (end < pairs.Count && pairs[end].AsOf == asOf) end++;
            if (start > 0 && asOf < pairs[start - 1].AsOf) throw new ArgumentException("pairs must come in as-of date order", nameof(pairs));
            for (; fed < events.Count && events.Day[fed] < asOf.DayNumber; fed++) names.Add(fed);
            windows.MoveTo(asOf);
            var p12 = windows.Prior(PlaceFeatures.Months.ToList().IndexOf(12));
            var kernels = new Dictionary<(int, long), double[]>();
            for (var p = start; p < end; p++)
            {
                var l = events.LicenseIndex[pairs[p].License];
                // The licence's inspections before the as-of date: a prefix of its list.
                var first = offsets[l];
                var count = 0;
                while (first + count < offsets[l + 1] && events.Day[byLicense[first + count]] < asOf.DayNumber) count++;
                if (count == 0) throw new InvalidOperationException($"{pairs[p].License} has no inspection before {asOf:yyyy-MM-dd}");
                var own = byLicense.AsSpan(first, count);
                var last = own[^1];
                names.Compute(last, own, p12, row.AsSpan(0, NameFeatures.Columns.Count));
                windows.Compute(last, own, kernels, row.AsSpan(NameFeatures.Columns.Count));
                for (var c = 0; c < row.Length; c++) values[p, c] = row[c];
            }
            start = end;
        }
        return values;
    }

    private const string Prepare = """
        drop view if exists feature_rows;
        drop table if exists feature_as_of, feature_own, feature_neighbourhood;
        create temp table feature_as_of (as_of_date date primary key) on commit drop;
        insert into feature_as_of select distinct unnest(@asOf::date[]);
        analyze feature_as_of;
        create temp table feature_neighbourhood (
            as_of_date date not null, license text not null,
            name_licences real not null, name_outcomes real not null, name_fail_rate real not null,
            name_word_min_rate real not null, name_word_max_rate real not null, name_word_excess real not null,
            nearby_fail_12m_1km real not null, nearby_fail_12m_2km real not null, nearby_fail_6m_1km real not null,
            nearby_fail_3m_1km real not null, nearby_fail_3m_2km real not null, nearby_fail_2m_1km real not null,
            nearby_fail_2m_2km real not null, nearby_bad_12m_1km real not null, zip_fail_12m real not null, zip_fail_24m real not null
        ) on commit drop;
        """;

    private const string Own = $"""
        create temp table feature_own on commit drop as
        with running as (
            select i.license, i.inspection_id, i.inspection_date, i.facility_group, i.risk_level, i.zip, i.closes_business,
                   i.outcome, i.passed_with_conditions, i.violations_total, i.violations_critical, i.violations_serious,
                   lead(i.inspection_date) over per_license as next_date,
                   first_value(i.inspection_date) over upto as first_date,
                   count(*) over upto as inspections,
                   count(*) filter (where i.outcome = 'fail') over upto as fails,
                   count(*) filter (where i.outcome <> 'none') over upto as pass_fails,
                   count(*) filter (where i.outcome <> 'none' and i.passed_with_conditions) over upto as conditions,
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
               p.reinspections::real as reinspections_before,
               p.conditions::real as conditions_before
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

    private const string Rows = """
        analyze feature_neighbourhood;
        create temp view feature_rows as
        select o.*, n.name_licences, n.name_outcomes, n.name_fail_rate, n.name_word_min_rate, n.name_word_max_rate, n.name_word_excess,
               n.nearby_fail_12m_1km, n.nearby_fail_12m_2km, n.nearby_fail_6m_1km, n.nearby_fail_3m_1km, n.nearby_fail_3m_2km,
               n.nearby_fail_2m_1km, n.nearby_fail_2m_2km, n.nearby_bad_12m_1km, n.zip_fail_12m, n.zip_fail_24m
        from feature_own o
        join feature_neighbourhood n using (as_of_date, license);
        """;
}
