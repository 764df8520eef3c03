using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace Inspections.Features;

/// <summary>
/// What each stored as-of date was computed from (<c>features.inputs</c>): a fingerprint of the clean inspections its
/// rows read and the hash of the feature definition. A snapshot of as-of date T reads the inspections dated before
/// T + the label window (its features those before T, its label those in the window); a fold cohort's row those
/// before T. Same fingerprint and definition: recomputing gives the stored rows again, so the features task skips it.
/// </summary>
/// <remarks>
/// The fingerprint is the count and the sum of a 64-bit hash of every column a feature or label reads, over the
/// inspections before the cutoff: a record added, removed or corrected before it changes it (a collision needs two
/// different sets of records whose hash sums agree to the last bit). A weekly run so computes the newly closed
/// as-of date, if any, and the cohort; a late or corrected record, every date it can reach.
/// </remarks>
internal static class FeatureInputs
{
    /// <summary>The dates to compute again, with the fingerprints to record once they are.</summary>
    public sealed record Stale(IReadOnlyList<DateOnly> Snapshots, IReadOnlyList<DateOnly> FoldCohorts,
        IReadOnlyList<(string Kind, DateOnly AsOfDate, string Fingerprint)> Current, string Definition);

    /// <summary>
    /// The hash of everything that decides a stored value: the feature SQL and the settings it reads.
    /// </summary>
    public static string Definition(FeatureSettings settings)
    {
        var text = $"{FeatureQuery.Definition}\nwindow={settings.LabelWindowDays}\nactive={settings.ActiveWithinDays}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    public static async Task<Stale> StaleAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        DateOnly runDate,
        IReadOnlyList<DateOnly> snapshotDates,
        IReadOnlyList<DateOnly> foldDates,
        FeatureSettings settings,
        CancellationToken ct)
    {
        var definition = Definition(settings);
        var parameters = new
        {
            date = runDate,
            window = settings.LabelWindowDays,
            snapshots = snapshotDates.ToArray(),
            folds = foldDates.ToArray(),
            definition,
        };
        var rows = (await connection.QueryAsync<(string Kind, DateOnly AsOfDate, string Fingerprint, bool Changed)>(
            new CommandDefinition(Fingerprints, parameters, transaction, cancellationToken: ct, commandTimeout: 0)))
            .AsList();
        var changed = rows.Where(r => r.Changed).ToList();
        return new Stale(
            [.. changed.Where(r => r.Kind == "snapshots").Select(r => r.AsOfDate).Order()],
            [.. changed.Where(r => r.Kind == "fold_cohort").Select(r => r.AsOfDate).Order()],
            [.. changed.Select(r => (r.Kind, r.AsOfDate, r.Fingerprint))],
            definition);
    }

    /// <summary>
    /// Records the fingerprints of the dates just computed (in the run's transaction, with their rows).
    /// </summary>
    public static Task RecordAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        DateOnly runDate,
        Stale stale,
        CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into features.inputs (kind, as_of_date, fingerprint, definition, computed_on)
            select k, d, f, @definition, @date
            from unnest(@kinds::text[], @dates::date[], @fingerprints::text[]) as c(k, d, f)
            on conflict (kind, as_of_date) do update
            set fingerprint = excluded.fingerprint, definition = excluded.definition, computed_on = excluded.computed_on
            """, new
        {
            kinds = stale.Current.Select(c => c.Kind).ToArray(),
            dates = stale.Current.Select(c => c.AsOfDate).ToArray(),
            fingerprints = stale.Current.Select(c => c.Fingerprint).ToArray(),
            definition = stale.Definition,
            date = runDate,
        }, transaction, cancellationToken: ct));

    // Per day, then cumulated to each cutoff: one pass over the inspections before the run date. Every column of
    // clean.inspections feature_events, the labels or the cohort's activity reads is in the hash.
    private const string Fingerprints = """
        with days as (
            select inspection_date as day, count(*) as n,
                   sum(hashtextextended(concat_ws('|', inspection_id, license, name, zip, latitude, longitude,
                       facility_group, risk_level, inspection_date, outcome, passed_with_conditions, closes_business,
                       violations_total, violations_critical, violations_serious, is_complaint, is_reinspection),
                       0)) as h
            from clean.inspections where inspection_date < @date group by 1
        ), asked as (
            select 'snapshots' as kind, d as as_of_date, d + @window as cutoff from unnest(@snapshots::date[]) as d
            union all
            select 'fold_cohort', d, d from unnest(@folds::date[]) as d
        ), current as (
            select a.kind, a.as_of_date, coalesce(sum(d.n), 0) || ':' || coalesce(sum(d.h), 0) as fingerprint
            from asked a left join days d on d.day < a.cutoff
            group by 1, 2
        )
        select c.kind, c.as_of_date, c.fingerprint,
               i.fingerprint is distinct from c.fingerprint or i.definition is distinct from @definition as changed
        from current c
        left join features.inputs i using (kind, as_of_date)
        """;
}
