using Dapper;
using Npgsql;

namespace Inspections.Features;

/// <summary>
/// The city-wide shares the name and place rates are smoothed toward, per as-of date T: the fail share (and the fail
/// or pass-with-conditions share) of every pass/fail inspection in [T - m months, T), 0 when there was none. The
/// windows (<see cref="PriorWindows"/>) are those of <see cref="FeatureQuery"/>'s <c>feature_priors</c>, read
/// straight from <c>clean.inspections</c>.
/// </summary>
/// <remarks>
/// A smoothed rate minus its share is the establishment's excess over the city: an establishment with no evidence
/// (a name no other licence had, a place with nothing inspected nearby) has an excess of exactly 0 on every date,
/// while its rate moves with the city's. Monitoring compares excesses, so the city's fail share moving a point
/// (which moves every rate alike and changes no ranking) is not taken for drift of every rate feature.
/// </remarks>
internal static class CityShares
{
    /// <summary>
    /// The share each smoothed rate is smoothed toward (<see cref="NameFeatures"/>, <see cref="PlaceFeatures"/>).
    /// </summary>
    public static IReadOnlyDictionary<string, string> ShareOf { get; } =
        new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["name_fail_rate"] = "fail_12m",
            ["name_word_min_rate"] = "fail_12m",
            ["name_word_max_rate"] = "fail_12m",
            ["nearby_fail_12m_1km"] = "fail_12m",
            ["nearby_fail_12m_2km"] = "fail_12m",
            ["nearby_fail_6m_1km"] = "fail_6m",
            ["nearby_fail_3m_1km"] = "fail_3m",
            ["nearby_fail_3m_2km"] = "fail_3m",
            ["nearby_fail_2m_1km"] = "fail_2m",
            ["nearby_fail_2m_2km"] = "fail_2m",
            ["nearby_bad_12m_1km"] = "bad_12m",
            ["zip_fail_12m"] = "fail_12m",
            ["zip_fail_24m"] = "fail_24m",
        };

    /// <summary>
    /// Every share of every date, by date then share name (<c>fail_2m</c> ... <c>fail_24m</c>, <c>bad_12m</c>).
    /// </summary>
    public static async Task<IReadOnlyDictionary<DateOnly, IReadOnlyDictionary<string, double>>> ReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, IEnumerable<DateOnly> dates, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<(DateOnly AsOfDate, string Share, double Value)>(new CommandDefinition(
            Sql, new { dates = dates.Distinct().ToArray() }, transaction, cancellationToken: ct, commandTimeout: 0));
        return rows.GroupBy(r => r.AsOfDate).ToDictionary(
            g => g.Key,
            g => (IReadOnlyDictionary<string, double>)g.ToDictionary(
                r => r.Share, r => r.Value, StringComparer.Ordinal));
    }

    /// <summary>
    /// The one definition of the windows, for the features task's <c>feature_priors</c> and for monitoring: per as-of
    /// date of <paramref name="asOfDates"/> (a relation with an <c>as_of_date</c> column) and window of m months, the
    /// pass/fail inspections, fails and fails-or-conditions of [T - m months, T), summed from a relation
    /// <c>days(day, outcomes, fails, bads)</c>. A name or place rate's prior is the window's fails over its outcomes.
    /// </summary>
    internal static string PriorWindows(string asOfDates) => $"""
        select a.as_of_date, m.months,
               coalesce(sum(d.outcomes), 0)::float8 as outcomes, coalesce(sum(d.fails), 0)::float8 as fails,
               coalesce(sum(d.bads), 0)::float8 as bads
        from {asOfDates} a
        cross join unnest(array[2, 3, 6, 12, 24]) as m(months)
        left join days d on d.day < a.as_of_date
                        and d.day >= (a.as_of_date - make_interval(months => m.months))::date
        group by 1, 2
        """;

    // Per day first (one pass over the pass/fail inspections), then each window as a sum of days.
    private static readonly string Sql = $"""
        with days as (
            select inspection_date as day, count(*) as outcomes, count(*) filter (where outcome = 'fail') as fails,
                   count(*) filter (where outcome = 'fail' or passed_with_conditions) as bads
            from clean.inspections
            where outcome <> 'none' and inspection_date < (select max(d) from unnest(@dates::date[]) as d)
            group by 1
        ), windows as (
            {PriorWindows("(select unnest(@dates::date[]) as as_of_date)")}
        )
        select as_of_date, 'fail_' || months || 'm', coalesce(fails / nullif(outcomes, 0), 0) from windows
        union all
        select as_of_date, 'bad_12m', coalesce(bads / nullif(outcomes, 0), 0) from windows where months = 12
        """;
}
