using System.Globalization;
using Dapper;
using Npgsql;

namespace Inspections.Features;

/// <summary>
/// The leakage check: recomputes the features of a sample of stored (license, as-of) pairs, from
/// scratch and in plain C#, out of only the inspections dated strictly before the as-of date, and
/// lists the pairs whose stored features differ. Half the sample are pairs whose establishment was
/// inspected on the as-of date or within the following days: where a leak would show first.
/// </summary>
internal static class FeatureLeakage
{
    private sealed record Inspection(
        string License, long InspectionId, DateOnly InspectionDate, string FacilityGroup, string RiskLevel, string? Zip,
        string Outcome, bool PassedWithConditions, int ViolationsTotal, int ViolationsCritical, int ViolationsSerious,
        bool IsComplaint, bool IsReinspection);

    private sealed record Stored(
        string Table, DateOnly AsOfDate, string License, string FacilityGroup, string RiskLevel, string? Zip,
        float DaysSinceLastInspection, float DaysSinceFirstInspection, float InspectionsBefore, float FailsBefore,
        float FailShareBefore, float LastResultFail, float LastResultConditions, float ViolationsAtLast,
        float CriticalAtLast, float SeriousAtLast, float ComplaintsBefore, float ReinspectionsBefore);

    public sealed record Result(int Checked, IReadOnlyList<string> Mismatches);

    public static async Task<Result> FindMismatchesAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        DateOnly runDate, int sampleSize, CancellationToken ct)
    {
        var sample = (await connection.QueryAsync<Stored>(new CommandDefinition(Sample,
            new { date = runDate, half = Math.Max(1, sampleSize / 2) }, transaction, cancellationToken: ct, commandTimeout: 0))).AsList();
        var licenses = sample.Select(s => s.License).Distinct().ToArray();
        var inspections = (await connection.QueryAsync<Inspection>(new CommandDefinition("""
                select license, inspection_id as InspectionId, inspection_date as InspectionDate, facility_group as FacilityGroup,
                       risk_level as RiskLevel, zip, outcome, passed_with_conditions as PassedWithConditions,
                       violations_total as ViolationsTotal, violations_critical as ViolationsCritical,
                       violations_serious as ViolationsSerious, is_complaint as IsComplaint, is_reinspection as IsReinspection
                from clean.inspections where license = any(@licenses) order by license, inspection_date, inspection_id
                """, new { licenses }, transaction, cancellationToken: ct, commandTimeout: 0)))
            .ToLookup(i => i.License);

        var mismatches = new List<string>();
        foreach (var stored in sample)
        {
            var difference = Compare(stored, inspections[stored.License].Where(i => i.InspectionDate < stored.AsOfDate).ToList());
            if (difference is not null) mismatches.Add($"{stored.Table} {stored.License}@{stored.AsOfDate:yyyy-MM-dd}: {difference}");
        }
        return new Result(sample.Count, mismatches);
    }

    /// <summary>The first feature that differs from its recomputation, or null when all agree.</summary>
    private static string? Compare(Stored s, List<Inspection> before)
    {
        if (before.Count == 0) return "stored, but the establishment has no inspection before the as-of date";
        var last = before[^1];
        var lastPassFail = before.LastOrDefault(i => i.Outcome != "none");
        var passFails = before.Count(i => i.Outcome != "none");
        var fails = before.Count(i => i.Outcome == "fail");
        (string Name, double StoredValue, double Expected)[] numbers =
        [
            ("days_since_last_inspection", s.DaysSinceLastInspection, s.AsOfDate.DayNumber - last.InspectionDate.DayNumber),
            ("days_since_first_inspection", s.DaysSinceFirstInspection, s.AsOfDate.DayNumber - before[0].InspectionDate.DayNumber),
            ("inspections_before", s.InspectionsBefore, before.Count),
            ("fails_before", s.FailsBefore, fails),
            ("fail_share_before", s.FailShareBefore, passFails == 0 ? 0 : (double)fails / passFails),
            ("last_result_fail", s.LastResultFail, lastPassFail?.Outcome == "fail" ? 1 : 0),
            ("last_result_conditions", s.LastResultConditions, lastPassFail?.PassedWithConditions == true ? 1 : 0),
            ("violations_at_last", s.ViolationsAtLast, lastPassFail?.ViolationsTotal ?? 0),
            ("critical_at_last", s.CriticalAtLast, lastPassFail?.ViolationsCritical ?? 0),
            ("serious_at_last", s.SeriousAtLast, lastPassFail?.ViolationsSerious ?? 0),
            ("complaints_before", s.ComplaintsBefore, before.Count(i => i.IsComplaint)),
            ("reinspections_before", s.ReinspectionsBefore, before.Count(i => i.IsReinspection)),
        ];
        foreach (var (name, stored, expected) in numbers)
            if (Math.Abs(stored - expected) > 1e-4 * Math.Max(1, Math.Abs(expected)))
                return $"{name} stored {Format(stored)}, recomputed {Format(expected)}";
        if (s.FacilityGroup != last.FacilityGroup) return $"facility_group stored {s.FacilityGroup}, recomputed {last.FacilityGroup}";
        if (s.RiskLevel != last.RiskLevel) return $"risk_level stored {s.RiskLevel}, recomputed {last.RiskLevel}";
        if (s.Zip != last.Zip) return $"zip stored {s.Zip}, recomputed {last.Zip}";
        return null;
    }

    private static string Format(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    // Half: pairs whose establishment has an inspection in the first week from the as-of date; half: any pair.
    // Drawn from the cohort of the run date and from the snapshots, in a fixed pseudo-random order.
    // Keys are sampled first (narrow rows), then only the sampled rows are read whole.
    private const string Sample = """
        with keys as (
            select 'cohort' as "table", as_of_date, license from features.cohort where as_of_date = @date
            union all
            select 'snapshots', as_of_date, license from features.snapshots
        ), near as (
            -- among a bounded pseudo-random draw of pairs, those inspected in the week from the as-of date
            select k.* from (select * from keys order by hashtext(license || as_of_date) limit @half * 50) k
            where exists (select 1 from clean.inspections i
                          where i.license = k.license and i.inspection_date >= k.as_of_date and i.inspection_date < k.as_of_date + 7)
            limit @half
        ), any_pair as (
            select * from keys order by hashtext(license || as_of_date || 'x') limit @half
        ), picked as (
            select * from near union select * from any_pair
        )
        select p."table", c.as_of_date as AsOfDate, c.license, c.facility_group as FacilityGroup, c.risk_level as RiskLevel, c.zip, c.days_since_last_inspection as DaysSinceLastInspection, c.days_since_first_inspection as DaysSinceFirstInspection, c.inspections_before as InspectionsBefore, c.fails_before as FailsBefore, c.fail_share_before as FailShareBefore, c.last_result_fail as LastResultFail, c.last_result_conditions as LastResultConditions, c.violations_at_last as ViolationsAtLast, c.critical_at_last as CriticalAtLast, c.serious_at_last as SeriousAtLast, c.complaints_before as ComplaintsBefore, c.reinspections_before as ReinspectionsBefore
        from picked p join features.cohort c on p."table" = 'cohort' and c.as_of_date = p.as_of_date and c.license = p.license
        union all
        select p."table", s.as_of_date as AsOfDate, s.license, s.facility_group as FacilityGroup, s.risk_level as RiskLevel, s.zip, s.days_since_last_inspection as DaysSinceLastInspection, s.days_since_first_inspection as DaysSinceFirstInspection, s.inspections_before as InspectionsBefore, s.fails_before as FailsBefore, s.fail_share_before as FailShareBefore, s.last_result_fail as LastResultFail, s.last_result_conditions as LastResultConditions, s.violations_at_last as ViolationsAtLast, s.critical_at_last as CriticalAtLast, s.serious_at_last as SeriousAtLast, s.complaints_before as ComplaintsBefore, s.reinspections_before as ReinspectionsBefore
        from picked p join features.snapshots s on p."table" = 'snapshots' and s.as_of_date = p.as_of_date and s.license = p.license
        """;

}
