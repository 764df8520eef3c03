using Dapper;
using Npgsql;

namespace Inspections.Features;

/// <summary>
/// The one definition of every feature: for each as-of date and each establishment active then,
/// its state as of the morning of that date, from inspections strictly before it. Written to the
/// temp view <c>feature_rows</c>; the snapshots and the cohorts all select from it. Pairs with no inspection
/// within the label window (which has closed by the run date for every as-of date but the run date) are left out,
/// except on the cohort dates (the run date's, and the validation folds' for monitoring's reference), where every
/// active establishment is kept. Only inspections dated before the run date are read, whatever later ones the table
/// holds.
/// </summary>
/// <remarks>
/// Three blocks, each a temp table keyed by <c>pair</c>, a number for (as_of_date, license): the establishment's own
/// history (<c>feature_own</c>, below), its name's history across other licences (<see cref="NameFeatures"/>) and its
/// neighbourhood's recent results (<see cref="PlaceFeatures"/>). All three read <c>feature_events</c>: the
/// inspections before the run date with their normalised name and grid cells, computed once.
/// Own history: each inspection carries the running totals of its establishment up to and including itself; an
/// (establishment, as-of) pair takes the totals of its last inspection before the as-of date, i.e. the
/// inspection whose date is before the as-of date while the next one's is not. "Last result" and
/// "violations at last" come from the last inspection with a pass/fail outcome.
/// </remarks>
internal static class FeatureQuery
{
    /// <summary>
    /// The columns a features row stores (<see cref="FeatureSet.SqlColumns"/>), as <c>feature_rows</c> has them.
    /// </summary>
    public static string Columns { get; } = FeatureSet.SqlColumns();

    /// <summary>
    /// Writes <c>feature_rows</c> for the pairs of <paramref name="asOfDates"/> that a label window can label, and for
    /// every active establishment of <paramref name="cohortDates"/>.
    /// </summary>
    public static async Task ComputeAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        IReadOnlyCollection<DateOnly> asOfDates,
        IReadOnlyCollection<DateOnly> cohortDates,
        DateOnly runDate,
        FeatureSettings settings,
        CancellationToken ct,
        Action<string, long>? stepDone = null)
    {
        var parameters = new
        {
            asOf = asOfDates.Concat(cohortDates).Distinct().ToArray(),
            cohort = cohortDates.Distinct().ToArray(),
            date = runDate,
            active = settings.ActiveWithinDays,
            window = settings.LabelWindowDays,
            zips = Areas.Zips,
            areas = Areas.AreaOfZips,
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // One statement at a time, so a slow step says which of its statements is slow (-v).
        async Task Step(string name, string sql)
        {
            foreach (var statement in Statements(sql))
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    statement, parameters, transaction, cancellationToken: ct, commandTimeout: 0));
                stepDone?.Invoke($"{name}: {Summary(statement)}", clock.ElapsedMilliseconds);
                clock.Restart();
            }
        }
        await Step("as-of dates", Prepare);
        await Step("events", Events);
        await Step("own history", Own);
        await Step("priors", Priors);
        await Step("name block", NameFeatures.Sql);
        await Step("place block", PlaceFeatures.Sql);
        await Step("view", Rows);
    }

    /// <summary>The statements of a step's SQL: each ends with a semicolon at the end of its line.</summary>
    internal static IEnumerable<string> Statements(string sql) =>
        sql.Split(";\n").Select(s => s.Trim().TrimEnd(';')).Where(s => s.Split('\n').Any(l => !IsComment(l)));

    private static bool IsComment(string line) => line.TrimStart() is "" or ['-', '-', ..];

    // The statement's first line of code, as far as its table's name.
    private static string Summary(string statement)
    {
        var line = statement.Split('\n').First(l => !IsComment(l)).Trim();
        var cut = line.IndexOf(" on commit", StringComparison.Ordinal);
        return cut > 0 ? line[..cut] : line.Length > 60 ? line[..60] : line;
    }

    private const string Prepare = """
        drop view if exists feature_rows;
        drop table if exists feature_as_of, feature_name_keys, feature_name_words, feature_events, feature_own,
            feature_own_names, feature_priors, feature_day_positions, feature_name_counts, feature_name_totals,
            feature_name_block, feature_bounds, feature_day_buckets, feature_cells, feature_query_cells,
            feature_along_x, feature_kernel_sums, feature_kernel_before, feature_zip_before, feature_place_windows,
            feature_zip_windows, feature_place_block;
        -- position: the as-of dates in order, so "before the n-th as-of date" is a number
        create temp table feature_as_of (as_of_date date primary key, position int not null) on commit drop;
        insert into feature_as_of
        select d, row_number() over (order by d) from (select distinct unnest(@asOf::date[]) as d) a;
        analyze feature_as_of;
        """;

    /// <summary>
    /// The inspections before the run date, numbered per establishment, with the keys the name and place blocks
    /// group by. A name's key: upper case (ASCII letters only, whatever the database's locale), '&amp;' read as AND,
    /// '#' numbers dropped, every character but A-Z and space dropped, then the words INC, LLC, CORP, CORPORATION,
    /// CO, LTD, THE, OF, AND, L, C and I dropped ("McDonald's #123" -> "MCDONALDS"); a name left empty has no key.
    /// Its words: the distinct words of three letters or more. Keys and words get
    /// integer ids (in the order of their text), so the name block sorts and joins numbers. Grid cells: 1 km and
    /// 2 km squares of a flat projection around the city centre (km = degrees x 82.8568 east, x 110.57 north,
    /// from 87.68 W, 41.88 N).
    /// </summary>
    private const string Events = """
        create temp table feature_name_keys on commit drop as
        with names as (
            select distinct name from clean.inspections where inspection_date < @date and name is not null
        ), words as (
            select n.name, w.word, row_number() over (partition by n.name order by w.position) as position
            from names n
            cross join lateral regexp_split_to_table(
                regexp_replace(regexp_replace(replace(
                    translate(n.name, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
                    '&', ' AND '), '#[0-9]+', '', 'g'), '[^A-Z ]', '', 'g'), ' ') with ordinality as w(word, position)
            where w.word <> ''
              and w.word not in ('INC', 'LLC', 'CORP', 'CORPORATION', 'CO', 'LTD', 'THE', 'OF', 'AND', 'L', 'C', 'I')
        ), keys as (
            select name,
                   string_agg(word, ' ' order by position) as name_key,
                   coalesce(array_agg(distinct word collate "C") filter (where length(word) >= 3), '{}') as name_words
            from words group by name
        )
        select name, name_key, name_words, dense_rank() over (order by name_key collate "C")::int as name_id
        from keys;
        analyze feature_name_keys;

        -- (name id, word id) for every word of three letters or more of every name key
        create temp table feature_name_words on commit drop as
        with pairs as (
            select distinct k.name_id, w.word from feature_name_keys k cross join unnest(k.name_words) as w(word)
        )
        select name_id, dense_rank() over (order by word collate "C")::int as word_id, word from pairs;
        analyze feature_name_words;

        create temp table feature_events on commit drop as
        select i.license, i.inspection_id, i.inspection_date, i.facility_group, i.risk_level, i.zip, i.closes_business,
               i.outcome, i.passed_with_conditions, i.violations_total, i.violations_critical, i.violations_serious,
               i.is_complaint, i.is_reinspection,
               i.outcome <> 'none' as decided, i.outcome = 'fail' as failed,
               i.outcome = 'fail' or (i.outcome <> 'none' and i.passed_with_conditions) as bad,
               row_number() over (partition by i.license order by i.inspection_date, i.inspection_id) as position,
               k.name_id,
               floor((i.longitude + 87.68) * 82.8568 / 1.0)::int as x1,
               floor((i.latitude - 41.88) * 110.57 / 1.0)::int as y1,
               floor((i.longitude + 87.68) * 82.8568 / 2.0)::int as x2,
               floor((i.latitude - 41.88) * 110.57 / 2.0)::int as y2
        from clean.inspections i
        left join feature_name_keys k on k.name = i.name
        where i.inspection_date < @date;
        -- statistics of what later statements join, group and filter on (all columns: a third of the step)
        analyze feature_events (license, inspection_date, position, decided, name_id, x1, y1, x2, y2, zip);
        """;

    private const string Own = $"""
        create temp table feature_own on commit drop as
        with running as (
            select e.*,
                   lead(e.inspection_date) over per_license as next_date,
                   first_value(e.inspection_date) over upto as first_date,
                   count(*) over upto as inspections,
                   count(*) filter (where e.failed) over upto as fails,
                   count(*) filter (where e.decided) over upto as pass_fails,
                   count(*) filter (where e.decided and e.passed_with_conditions) over upto as conditions,
                   count(*) filter (where e.is_complaint) over upto as complaints,
                   count(*) filter (where e.is_reinspection) over upto as reinspections,
                   -- the name block's own counts, when every inspection with a name so far had the same one
                   count(*) filter (where e.decided and e.name_id is not null) over upto as named_pass_fails,
                   count(*) filter (where e.failed and e.name_id is not null) over upto as named_fails,
                   min(e.name_id) over upto = max(e.name_id) over upto as one_name
            from feature_events e
            window per_license as (partition by e.license order by e.inspection_date, e.inspection_id),
                   upto as (per_license rows between unbounded preceding and current row)
        ), last_pass_fail as (
            -- pass_fails numbers the runs of inspections that start at a pass/fail one: the run's first row is that
            -- inspection.
            select r.*,
                   first_value(r.outcome) over run as pf_outcome,
                   first_value(r.passed_with_conditions) over run as pf_conditions,
                   first_value(r.violations_total) over run as pf_violations,
                   first_value(r.violations_critical) over run as pf_critical,
                   first_value(r.violations_serious) over run as pf_serious
            from running r
            window run as (partition by r.license, r.pass_fails order by r.inspection_date, r.inspection_id)
        )
        -- pair: a number for (as_of_date, license), what the blocks group and join by
        select row_number() over ()::int as pair, a.as_of_date, p.license, p.facility_group, p.risk_level,
               coalesce(area.name, case when p.zip is null then 'unknown' else 'outside' end) as area, p.zip,
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
               p.conditions::real as conditions_before,
               -- what the other blocks key on: the establishment as its last inspection before the as-of date knew it
               p.position as last_position, p.name_id, p.x1, p.y1, p.x2, p.y2,
               p.one_name, p.named_pass_fails::int as own_name_outcomes, p.named_fails::int as own_name_fails
        from last_pass_fail p
        join feature_as_of a
          on a.as_of_date > p.inspection_date                          -- strictly before the as-of date
         and a.as_of_date <= coalesce(p.next_date, 'infinity')         -- and the last such inspection
         and a.as_of_date <= p.inspection_date + @active               -- active: inspected recently
         -- Only pairs that are training rows (an inspection in the label window), and the cohorts: most
         -- (establishment, month) pairs see no inspection within the window.
         and (a.as_of_date = any(@cohort::date[]) or p.next_date < a.as_of_date + @window)
        left join unnest(@zips::text[], @areas::text[]) as area(zip, name) on area.zip = p.zip
        where not p.closes_business;
        analyze feature_own (pair, as_of_date, license, name_id, one_name, last_position, x1, y1, x2, y2, zip);

        -- The own pass/fail inspections before the as-of date (positions up to the last one) per name key, of the
        -- pairs whose licence was under more than one key by then: what the name block takes out of its totals, so
        -- they describe other licences only. For the others (most), feature_own's counts are that.
        create temp table feature_own_names on commit drop as
        select o.pair, e.name_id, count(*)::int as outcomes, (count(*) filter (where e.failed))::int as fails
        from feature_own o
        join feature_events e on e.license = o.license and e.position <= o.last_position
        where not o.one_name and e.decided and e.name_id is not null
        group by 1, 2;
        analyze feature_own_names;
        """;

    /// <summary>
    /// The city-wide shares the name and place rates are smoothed toward: per as-of date T and window of m months,
    /// the fail share (and the fail or pass-with-conditions share) of every pass/fail inspection in [T - m months, T);
    /// 0 when none.
    /// </summary>
    private static readonly string Priors = $"""
        create temp table feature_priors on commit drop as
        with days as (
            select inspection_date as day, count(*) as outcomes, count(*) filter (where failed) as fails,
                   count(*) filter (where bad) as bads
            from feature_events where decided group by 1
        ), windows as (
            {CityShares.PriorWindows("(select as_of_date from feature_as_of)")}
        )
        select as_of_date,
               coalesce(max(fails / nullif(outcomes, 0)) filter (where months = 2), 0) as fail_2m,
               coalesce(max(fails / nullif(outcomes, 0)) filter (where months = 3), 0) as fail_3m,
               coalesce(max(fails / nullif(outcomes, 0)) filter (where months = 6), 0) as fail_6m,
               coalesce(max(fails / nullif(outcomes, 0)) filter (where months = 12), 0) as fail_12m,
               coalesce(max(fails / nullif(outcomes, 0)) filter (where months = 24), 0) as fail_24m,
               coalesce(max(bads / nullif(outcomes, 0)) filter (where months = 12), 0) as bad_12m
        from windows group by 1;
        analyze feature_priors;
        """;

    // The blocks' columns come from their classes' lists (FeatureSet), never from input.
    private static readonly string Rows = $"""
        create temp view feature_rows as
        select o.*, {string.Join(", ", NameFeatures.Columns.Select(c => "n." + c))},
               {string.Join(", ", PlaceFeatures.Columns.Select(c => "p." + c))}
        from feature_own o
        join feature_name_block n using (pair)
        join feature_place_block p using (pair);
        """;

    /// <summary>
    /// Every statement that decides a feature's value, and the areas of the ZIP codes: what
    /// <see cref="FeatureInputs"/> hashes.
    /// </summary>
    public static string Definition { get; } = string.Join("\n",
        Prepare, Events, Own, Priors, NameFeatures.Sql, PlaceFeatures.Sql, Rows,
        string.Join(",", Areas.Zips), string.Join(",", Areas.AreaOfZips));
}
