namespace Inspections.Features;

/// <summary>
/// The place block: how the establishment's neighbourhood has been doing lately. Failures cluster in space and
/// time (shared landlords, pests, suppliers, and which inspector covers the area, which the open data does not say),
/// so the recent results of other licences nearby, and in the same ZIP code, say something about the next one.
/// </summary>
/// <remarks>
/// <para>Per (as-of date T, licence L), over the pass/fail inspections of other licences in a window
/// [T - m months, T):</para>
/// <list type="bullet">
/// <item><c>nearby_fail_{m}m_{b}km</c>: a Gaussian kernel-weighted fail rate around L, bandwidth b km, smoothed toward
/// the city-wide fail share p_m of the same window: (sum K fail + 2 p_m) / (sum K + 2); <c>nearby_bad_12m_1km</c> the
/// same with fail or pass with conditions, toward the city-wide share of those.</item>
/// <item><c>zip_fail_{m}m</c>: (fails + 20 p_m) / (pass/fail inspections + 20) in L's ZIP code.</item>
/// </list>
/// <para>
/// On a grid, not between pairs of inspections (a million of them would make 10^12 pairs): inspections are counted per
/// square cell of b km and per bucket of time, the kernel is K = w(dx) w(dy) / 10^6 over the cell offsets (dx, dy)
/// between an inspection's cell and L's, w(d) = round(1000 exp(-d^2 / 2)) for |d| &lt;= 3 cells (3 bandwidths) and 0
/// beyond, and applied one axis at a time. (Cells of b/2 km scored the same on the validation folds for four times the
/// cells.) The weights are integers, so every sum is exact and a snapshot's value does not depend on which other as-of
/// dates were computed with it. Buckets run between consecutive window edges (T - m months for every as-of date T and m
/// in 0, 2, 3, 6, 12, 24), so every window is a whole number of buckets; per cell, the running sum over buckets gives
/// each window as a difference. L's own inspections in the window are then taken out. L's place is the cell of its last
/// inspection before T; without coordinates there, every kernel rate is its prior.
/// </para>
/// </remarks>
internal static class PlaceFeatures
{
    public static IReadOnlyList<string> Columns { get; } =
    [
        "nearby_fail_12m_1km", "nearby_fail_12m_2km", "nearby_fail_6m_1km", "nearby_fail_3m_1km", "nearby_fail_3m_2km",
        "nearby_fail_2m_1km", "nearby_fail_2m_2km", "nearby_bad_12m_1km", "zip_fail_12m", "zip_fail_24m",
    ];

    /// <summary>
    /// w(d) for d = -3..3 (index d + 3): the kernel along one axis, in thousandths (the SQL's array literal).
    /// </summary>
    public static IReadOnlyList<int> Taps { get; } = [11, 135, 607, 1000, 607, 135, 11];

    /// <summary>The kernel weight (in millionths) of a cell offset.</summary>
    public static int Weight(int dx, int dy) => Math.Abs(dx) > 3 || Math.Abs(dy) > 3 ? 0 : Taps[dx + 3] * Taps[dy + 3];

    public const string Sql = """
        create temp table feature_bounds on commit drop as
        select distinct (a.as_of_date - make_interval(months => m))::date as bound
        from feature_as_of a cross join unnest(array[0, 2, 3, 6, 12, 24]) as m;
        analyze feature_bounds;

        -- Each day from the first window edge to the run date, and the bucket (the latest edge on or before it) it
        -- falls in.
        create temp table feature_day_buckets on commit drop as
        select d.day::date as day, max(b.bound) over (order by d.day rows unbounded preceding) as bucket
        from generate_series((select min(bound) from feature_bounds), @date::date, interval '1 day') as d(day)
        left join feature_bounds b on b.bound = d.day::date;

        -- Pass/fail inspections per grid cell and bucket (grid 1: 1 km cells, grid 2: 2 km cells).
        create temp table feature_cells on commit drop as
        select g.grid, db.bucket, g.x, g.y, count(*)::float8 as outcomes,
               (count(*) filter (where e.failed))::float8 as fails,
               (count(*) filter (where e.bad))::float8 as bads
        from feature_events e
        join feature_day_buckets db on db.day = e.inspection_date
        cross join lateral (values (1, e.x1, e.y1), (2, e.x2, e.y2)) as g(grid, x, y)
        where e.decided and e.x1 is not null and e.y1 is not null
        group by 1, 2, 3, 4;
        analyze feature_cells;

        create temp table feature_query_cells on commit drop as
        select distinct 1 as grid, x1 as x, y1 as y from feature_own where x1 is not null and y1 is not null
        union
        select distinct 2, x2, y2 from feature_own where x2 is not null and y2 is not null;
        analyze feature_query_cells;

        -- The kernel, one axis at a time: along x for every cell, then along y into the cells establishments are in.
        create temp table feature_along_x on commit drop as
        select c.grid, c.bucket, c.x + t.d as x, c.y,
               sum(c.outcomes * t.w) as outcomes, sum(c.fails * t.w) as fails, sum(c.bads * t.w) as bads
        from feature_cells c
        cross join (select i - 4 as d, w
                    from unnest('{11,135,607,1000,607,135,11}'::int[]) with ordinality as t(w, i)) t
        group by 1, 2, 3, 4;
        analyze feature_along_x;

        create temp table feature_kernel_sums on commit drop as
        select q.grid, x.bucket, q.x, q.y,
               sum(x.outcomes * q.w) as outcomes, sum(x.fails * q.w) as fails, sum(x.bads * q.w) as bads
        from (select q.grid, q.x, q.y, q.y - t.d as source_y, t.w
              from feature_query_cells q
              cross join (select i - 4 as d, w
                          from unnest('{11,135,607,1000,607,135,11}'::int[]) with ordinality as t(w, i)) t) q
        join feature_along_x x on x.grid = q.grid and x.x = q.x and x.y = q.source_y
        group by 1, 2, 3, 4;
        analyze feature_kernel_sums;

        -- Per establishment cell and window edge: the kernel sums of everything before the edge.
        create temp table feature_kernel_before on commit drop as
        select q.grid, q.x, q.y, b.bound,
               coalesce(sum(k.outcomes) over before, 0) as outcomes,
               coalesce(sum(k.fails) over before, 0) as fails,
               coalesce(sum(k.bads) over before, 0) as bads
        from feature_query_cells q
        cross join feature_bounds b
        left join feature_kernel_sums k on k.grid = q.grid and k.x = q.x and k.y = q.y and k.bucket = b.bound
        window before as (partition by q.grid, q.x, q.y order by b.bound
                          rows between unbounded preceding and 1 preceding);
        -- looked up once per (as-of date, cell) and window edge: without an index the planner, misjudging how few
        -- cells are asked, scans the table for each (minutes at a million inspections)
        create index on feature_kernel_before (grid, x, y, bound);
        analyze feature_kernel_before;

        create temp table feature_zip_before on commit drop as
        with zips as (
            select zip, db.bucket, count(*)::int as outcomes, (count(*) filter (where e.failed))::int as fails
            from feature_events e join feature_day_buckets db on db.day = e.inspection_date
            where e.decided and e.zip is not null
            group by 1, 2
        )
        select q.zip, b.bound, coalesce(sum(z.outcomes) over before, 0) as outcomes,
               coalesce(sum(z.fails) over before, 0) as fails
        from (select distinct zip from feature_own where zip is not null) q
        cross join feature_bounds b
        left join zips z on z.zip = q.zip and z.bucket = b.bound
        window before as (partition by q.zip order by b.bound rows between unbounded preceding and 1 preceding);
        create index on feature_zip_before (zip, bound);
        analyze feature_zip_before;

        -- Window sums of all licences per (as-of date, cell establishments are in), both grids in one row (a 2 km cell
        -- is a function of the 1 km cell): the kernel sums before the as-of date minus those before the window's start.
        create temp table feature_place_windows on commit drop as
        select q.as_of_date, q.x1, q.y1, q.x2, q.y2,
               a0.outcomes - a12.outcomes as o12_1, a0.fails - a12.fails as f12_1, a0.bads - a12.bads as b12_1,
               a0.outcomes - a6.outcomes as o6_1, a0.fails - a6.fails as f6_1,
               a0.outcomes - a3.outcomes as o3_1, a0.fails - a3.fails as f3_1,
               a0.outcomes - a2.outcomes as o2_1, a0.fails - a2.fails as f2_1,
               b0.outcomes - b12.outcomes as o12_2, b0.fails - b12.fails as f12_2,
               b0.outcomes - b3.outcomes as o3_2, b0.fails - b3.fails as f3_2,
               b0.outcomes - b2.outcomes as o2_2, b0.fails - b2.fails as f2_2
        from (select distinct as_of_date, x1, y1, x2, y2 from feature_own where x1 is not null and y1 is not null) q
        join feature_kernel_before a0 on a0.grid = 1 and a0.x = q.x1 and a0.y = q.y1 and a0.bound = q.as_of_date
        join feature_kernel_before a2 on a2.grid = 1 and a2.x = q.x1 and a2.y = q.y1
                                     and a2.bound = (q.as_of_date - interval '2 months')::date
        join feature_kernel_before a3 on a3.grid = 1 and a3.x = q.x1 and a3.y = q.y1
                                     and a3.bound = (q.as_of_date - interval '3 months')::date
        join feature_kernel_before a6 on a6.grid = 1 and a6.x = q.x1 and a6.y = q.y1
                                     and a6.bound = (q.as_of_date - interval '6 months')::date
        join feature_kernel_before a12 on a12.grid = 1 and a12.x = q.x1 and a12.y = q.y1
                                      and a12.bound = (q.as_of_date - interval '12 months')::date
        join feature_kernel_before b0 on b0.grid = 2 and b0.x = q.x2 and b0.y = q.y2 and b0.bound = q.as_of_date
        join feature_kernel_before b2 on b2.grid = 2 and b2.x = q.x2 and b2.y = q.y2
                                     and b2.bound = (q.as_of_date - interval '2 months')::date
        join feature_kernel_before b3 on b3.grid = 2 and b3.x = q.x2 and b3.y = q.y2
                                     and b3.bound = (q.as_of_date - interval '3 months')::date
        join feature_kernel_before b12 on b12.grid = 2 and b12.x = q.x2 and b12.y = q.y2
                                      and b12.bound = (q.as_of_date - interval '12 months')::date;
        analyze feature_place_windows;

        -- The same per (ZIP code, as-of date): pass/fail inspections and fails of the 12 and 24 months before it.
        create temp table feature_zip_windows on commit drop as
        select q.zip, q.as_of_date, z0.outcomes - z12.outcomes as o12, z0.fails - z12.fails as f12,
               z0.outcomes - z24.outcomes as o24, z0.fails - z24.fails as f24
        from (select distinct zip, as_of_date from feature_own where zip is not null) q
        join feature_zip_before z0 on z0.zip = q.zip and z0.bound = q.as_of_date
        join feature_zip_before z12 on z12.zip = q.zip and z12.bound = (q.as_of_date - interval '12 months')::date
        join feature_zip_before z24 on z24.zip = q.zip and z24.bound = (q.as_of_date - interval '24 months')::date;
        analyze feature_zip_windows;

        create temp table feature_place_block on commit drop as
        with own as materialized (
            -- the establishment's own pass/fail inspections in each window, weighted as the kernel weighs them
            select o.pair,
                   coalesce(sum(k1.w) filter (where h.inspection_date >= m.m12), 0) as o12_1,
                   coalesce(sum(k1.w) filter (where h.inspection_date >= m.m12 and h.failed), 0) as f12_1,
                   coalesce(sum(k1.w) filter (where h.inspection_date >= m.m12 and h.bad), 0) as b12_1,
                   coalesce(sum(k1.w) filter (where h.inspection_date >= m.m6), 0) as o6_1,
                   coalesce(sum(k1.w) filter (where h.inspection_date >= m.m6 and h.failed), 0) as f6_1,
                   coalesce(sum(k1.w) filter (where h.inspection_date >= m.m3), 0) as o3_1,
                   coalesce(sum(k1.w) filter (where h.inspection_date >= m.m3 and h.failed), 0) as f3_1,
                   coalesce(sum(k1.w) filter (where h.inspection_date >= m.m2), 0) as o2_1,
                   coalesce(sum(k1.w) filter (where h.inspection_date >= m.m2 and h.failed), 0) as f2_1,
                   coalesce(sum(k2.w) filter (where h.inspection_date >= m.m12), 0) as o12_2,
                   coalesce(sum(k2.w) filter (where h.inspection_date >= m.m12 and h.failed), 0) as f12_2,
                   coalesce(sum(k2.w) filter (where h.inspection_date >= m.m3), 0) as o3_2,
                   coalesce(sum(k2.w) filter (where h.inspection_date >= m.m3 and h.failed), 0) as f3_2,
                   coalesce(sum(k2.w) filter (where h.inspection_date >= m.m2), 0) as o2_2,
                   coalesce(sum(k2.w) filter (where h.inspection_date >= m.m2 and h.failed), 0) as f2_2,
                   count(*) filter (where h.zip = o.zip and h.inspection_date >= m.m12) as zo12,
                   count(*) filter (where h.zip = o.zip and h.inspection_date >= m.m12 and h.failed) as zf12,
                   count(*) filter (where h.zip = o.zip) as zo24,
                   count(*) filter (where h.zip = o.zip and h.failed) as zf24
            from feature_own o
            cross join lateral (select (o.as_of_date - interval '2 months')::date as m2,
                                       (o.as_of_date - interval '3 months')::date as m3,
                                       (o.as_of_date - interval '6 months')::date as m6,
                                       (o.as_of_date - interval '12 months')::date as m12,
                                       (o.as_of_date - interval '24 months')::date as m24) m
            join feature_events h
              on h.license = o.license and h.position <= o.last_position and h.inspection_date >= m.m24 and h.decided
            cross join lateral (select coalesce(('{11,135,607,1000,607,135,11}'::int[])[h.x1 - o.x1 + 4], 0)
                                     * coalesce(('{11,135,607,1000,607,135,11}'::int[])[h.y1 - o.y1 + 4], 0) as w) k1
            cross join lateral (select coalesce(('{11,135,607,1000,607,135,11}'::int[])[h.x2 - o.x2 + 4], 0)
                                     * coalesce(('{11,135,607,1000,607,135,11}'::int[])[h.y2 - o.y2 + 4], 0) as w) k2
            group by 1
        )
        select o.pair,
               (((coalesce(c.f12_1, 0) - coalesce(w.f12_1, 0)) / 1e6 + 2 * p.fail_12m)
                / ((coalesce(c.o12_1, 0) - coalesce(w.o12_1, 0)) / 1e6 + 2))::real as nearby_fail_12m_1km,
               (((coalesce(c.f12_2, 0) - coalesce(w.f12_2, 0)) / 1e6 + 2 * p.fail_12m)
                / ((coalesce(c.o12_2, 0) - coalesce(w.o12_2, 0)) / 1e6 + 2))::real as nearby_fail_12m_2km,
               (((coalesce(c.f6_1, 0) - coalesce(w.f6_1, 0)) / 1e6 + 2 * p.fail_6m)
                / ((coalesce(c.o6_1, 0) - coalesce(w.o6_1, 0)) / 1e6 + 2))::real as nearby_fail_6m_1km,
               (((coalesce(c.f3_1, 0) - coalesce(w.f3_1, 0)) / 1e6 + 2 * p.fail_3m)
                / ((coalesce(c.o3_1, 0) - coalesce(w.o3_1, 0)) / 1e6 + 2))::real as nearby_fail_3m_1km,
               (((coalesce(c.f3_2, 0) - coalesce(w.f3_2, 0)) / 1e6 + 2 * p.fail_3m)
                / ((coalesce(c.o3_2, 0) - coalesce(w.o3_2, 0)) / 1e6 + 2))::real as nearby_fail_3m_2km,
               (((coalesce(c.f2_1, 0) - coalesce(w.f2_1, 0)) / 1e6 + 2 * p.fail_2m)
                / ((coalesce(c.o2_1, 0) - coalesce(w.o2_1, 0)) / 1e6 + 2))::real as nearby_fail_2m_1km,
               (((coalesce(c.f2_2, 0) - coalesce(w.f2_2, 0)) / 1e6 + 2 * p.fail_2m)
                / ((coalesce(c.o2_2, 0) - coalesce(w.o2_2, 0)) / 1e6 + 2))::real as nearby_fail_2m_2km,
               (((coalesce(c.b12_1, 0) - coalesce(w.b12_1, 0)) / 1e6 + 2 * p.bad_12m)
                / ((coalesce(c.o12_1, 0) - coalesce(w.o12_1, 0)) / 1e6 + 2))::real as nearby_bad_12m_1km,
               ((coalesce(z.f12, 0) - coalesce(w.zf12, 0) + 20 * p.fail_12m)
                / (coalesce(z.o12, 0) - coalesce(w.zo12, 0) + 20))::real as zip_fail_12m,
               ((coalesce(z.f24, 0) - coalesce(w.zf24, 0) + 20 * p.fail_24m)
                / (coalesce(z.o24, 0) - coalesce(w.zo24, 0) + 20))::real as zip_fail_24m
        from feature_own o
        join feature_priors p on p.as_of_date = o.as_of_date
        left join own w using (pair)
        left join feature_place_windows c
          on c.as_of_date = o.as_of_date and c.x1 = o.x1 and c.y1 = o.y1 and c.x2 = o.x2 and c.y2 = o.y2
        left join feature_zip_windows z on z.zip = o.zip and z.as_of_date = o.as_of_date;
        """;
}
