using System.Text;
using System.Text.RegularExpressions;

namespace Inspections.Features;

/// <summary>
/// The name block: what other licences under the establishment's name have done. Chains and franchises
/// share kitchens, suppliers and habits, and one owner's places are often named alike, so the inspections of
/// other licences with the same name, and with each word of the name, say something the establishment's own
/// short history cannot.
/// </summary>
/// <remarks>
/// Per (as-of date T, licence L), L's name being the key (<see cref="Key"/>) of its last inspection before T, from
/// inspections before T, p being the city-wide fail share of the 12 months before T (<see cref="PlaceFeatures"/>):
/// <list type="bullet">
/// <item><c>name_licences</c>: other licences that had L's name key; <c>name_outcomes</c>: the pass/fail inspections
/// under that key of licences other than L; <c>name_fail_rate</c>: (their fails + 5 p) / (their pass/fail inspections
/// + 5). Without a key: 0, 0, p.</item>
/// <item>Per word w of L's key of three letters or more: (fails + 20 p) / (pass/fail inspections + 20) over the
/// inspections of other licences whose key has w; <c>name_word_min_rate</c>, <c>name_word_max_rate</c> (p without
/// words) and <c>name_word_excess</c>, the sum of (rate - p) over the words in their ordinal order (0 without).</item>
/// </list>
/// Set-wise (<see cref="Sql"/>): totals of all licences come from counts per (key, as-of position) and one running sum
/// per key over the positions, kept where asked; L's own inspections are then taken out of them: the running counts of
/// <c>feature_own</c> when all of L's inspections so far had one name key (98.7% of pairs at a million inspections),
/// else its counts per key (<c>feature_own_names</c>). <see cref="Key"/> is the same normalisation in C#, for the
/// leakage check's second opinion. (The same features of the first two words of the name scored no better on the
/// validation folds.)
/// </remarks>
internal static partial class NameFeatures
{
    public static IReadOnlyList<string> Columns { get; } =
    [
        "name_licences", "name_outcomes", "name_fail_rate", "name_word_min_rate", "name_word_max_rate",
        "name_word_excess",
    ];

    private static readonly HashSet<string> DroppedWords =
        ["INC", "LLC", "CORP", "CORPORATION", "CO", "LTD", "THE", "OF", "AND", "L", "C", "I"];

    [GeneratedRegex("#[0-9]+")]
    private static partial Regex NumberSign();

    /// <summary>
    /// A name's key: upper case (ASCII letters only), '&amp;' read as AND, '#' numbers dropped, every character but
    /// A-Z and space dropped, then the words INC, LLC, CORP, CORPORATION, CO, LTD, THE, OF, AND, L, C and I dropped
    /// ("McDonald's #123" -> "MCDONALDS"). Empty when nothing is left: no key.
    /// </summary>
    public static string Key(string? name)
    {
        if (name is null) return "";
        var upper = new StringBuilder(name.Length);
        foreach (var c in name) upper.Append(c is >= 'a' and <= 'z' ? (char)(c - 32) : c);
        var text = NumberSign().Replace(upper.ToString().Replace("&", " AND "), "");
        var letters = new StringBuilder(text.Length);
        foreach (var c in text)
            if (c is >= 'A' and <= 'Z' or ' ') letters.Append(c);
        return string.Join(' ', letters.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(w => !DroppedWords.Contains(w)));
    }

    /// <summary>The distinct words of three letters or more of a key, in ordinal order.</summary>
    public static IReadOnlyList<string> Words(string key) =>
        key.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w.Length >= 3)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

    public const string Sql = """
        -- Each day up to the run date, and the position of the first as-of date after it: an inspection that day
        -- counts toward that as-of date and every later one.
        create temp table feature_day_positions on commit drop as
        select d.day::date as day,
               (count(a.as_of_date) over (order by d.day rows unbounded preceding) + 1)::int as position
        from generate_series((select min(inspection_date) from feature_events), @date::date, interval '1 day') as d(day)
        left join feature_as_of a on a.as_of_date = d.day::date;
        analyze feature_day_positions;

        create temp table feature_name_counts on commit drop as
        select e.name_id, p.position, count(*)::int as outcomes, (count(*) filter (where e.failed))::int as fails
        from feature_events e join feature_day_positions p on p.day = e.inspection_date
        where e.decided and e.name_id is not null
        group by 1, 2;
        analyze feature_name_counts;

        -- Totals before each as-of position a key is asked at. Kind 1: a name key, 2: a word.
        create temp table feature_name_totals on commit drop as
        with counts as (
            select 1 as kind, name_id as key, position, outcomes, fails, 0 as licences from feature_name_counts
            union all
            select 2, w.word_id, c.position, sum(c.outcomes)::int, sum(c.fails)::int, 0
            from feature_name_counts c join feature_name_words w using (name_id) group by 2, 3
            union all
            select 1, f.name_id, p.position, 0, 0, count(*)::int
            from (select name_id, min(inspection_date) as day from feature_events
                  where name_id is not null group by license, name_id) f
            join feature_day_positions p using (day) group by 2, 3
        ), asked_names as materialized (
            select distinct o.name_id, a.position
            from feature_own o join feature_as_of a using (as_of_date) where o.name_id is not null
        ), asked as (
            select 1 as kind, name_id as key, position from asked_names
            union all
            select distinct 2, w.word_id, n.position from asked_names n join feature_name_words w using (name_id)
        ), stream as (
            select kind, key, position, 0 as asked, outcomes, fails, licences from counts
            union all
            select kind, key, position, 1, 0, 0, 0 from asked
        ), running as (
            select kind, key, position, asked,
                   sum(outcomes) over upto as outcomes, sum(fails) over upto as fails,
                   sum(licences) over upto as licences
            from stream
            -- the counts of a position are of inspections before its as-of date: they sort before the question
            window upto as (partition by kind, key order by position, asked rows unbounded preceding)
        )
        select kind, key, position, outcomes, fails, licences from running where asked = 1;
        create index on feature_name_totals (kind, key, position);
        analyze feature_name_totals;

        create temp table feature_name_block on commit drop as
        with own_words as materialized (
            -- the own pass/fail inspections per word, of the pairs whose licence had more than one name key
            select b.pair, w.word_id, sum(b.outcomes)::int as outcomes, sum(b.fails)::int as fails
            from feature_own_names b join feature_name_words w using (name_id) group by 1, 2
        ), pairs as materialized (
            -- the own pass/fail inspections under the pair's name key
            select o.pair, o.name_id, o.one_name, a.position, p.fail_12m as prior,
                   case when o.one_name then o.own_name_outcomes else coalesce(b.outcomes, 0) end as own_outcomes,
                   case when o.one_name then o.own_name_fails else coalesce(b.fails, 0) end as own_fails
            from feature_own o
            join feature_as_of a using (as_of_date)
            join feature_priors p using (as_of_date)
            left join feature_own_names b on b.pair = o.pair and b.name_id = o.name_id
        ), word_rates as (
            select q.pair, w.word_id, q.prior,
                   (t.fails - case when q.one_name then q.own_fails else coalesce(ow.fails, 0) end + 20 * q.prior)
                   / (t.outcomes - case when q.one_name then q.own_outcomes else coalesce(ow.outcomes, 0) end + 20)
                   as rate
            from pairs q
            join feature_name_words w on w.name_id = q.name_id
            join feature_name_totals t on t.kind = 2 and t.key = w.word_id and t.position = q.position
            left join own_words ow on ow.pair = q.pair and ow.word_id = w.word_id
        ), words as (
            select pair, min(rate) as min_rate, max(rate) as max_rate, sum(rate - prior order by word_id) as excess
            from word_rates group by 1
        )
        select q.pair,
               coalesce(n.licences - 1, 0)::real as name_licences,
               coalesce(n.outcomes - q.own_outcomes, 0)::real as name_outcomes,
               ((coalesce(n.fails - q.own_fails, 0) + 5 * q.prior)
                / (coalesce(n.outcomes - q.own_outcomes, 0) + 5))::real as name_fail_rate,
               coalesce(w.min_rate, q.prior)::real as name_word_min_rate,
               coalesce(w.max_rate, q.prior)::real as name_word_max_rate,
               coalesce(w.excess, 0)::real as name_word_excess
        from pairs q
        left join feature_name_totals n on n.kind = 1 and n.key = q.name_id and n.position = q.position
        left join words w using (pair);
        """;
}
