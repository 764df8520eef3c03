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
            new { date = runDate, half = Math.Max(1, sampleSize / 2) }, transaction, cancellationToken: ct))).AsList();
        var licenses = sample.Select(s => s.License).Distinct().ToArray();
        var inspections = (await connection.QueryAsync<Inspection>(new CommandDefinition("""
                select license, inspection_id as InspectionId, inspection_date as InspectionDate, facility_group as FacilityGroup,
                       risk_level as RiskLevel, zip, outcome, passed_with_conditions as PassedWithConditions,
                       violations_total as ViolationsTotal, violations_critical as ViolationsCritical,
                       violations_serious as ViolationsSerious, is_complaint as IsComplaint, is_reinspection as IsReinspection
                from clean.inspections where license = any(@licenses) order by license, inspection_date, inspection_id
                """, new { licenses }, transaction, cancellationToken: ct)))
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

    // Half: pairs whose establishment has an inspection in the first days from the as-of date; half: any pair.
    // Drawn from the cohort of the run date and from the snapshots, in a fixed pseudo-random order.
    private const string Sample = """
        with stored as (
            select 'cohort' as "table", c.as_of_date, c.license, c.facility_group, c.risk_level, c.zip,
                   c.days_since_last_inspection, c.days_since_first_inspection, c.inspections_before, c.fails_before,
                   c.fail_share_before, c.last_result_fail, c.last_result_conditions, c.violations_at_last,
                   c.critical_at_last, c.serious_at_last, c.complaints_before, c.reinspections_before
            from features.cohort c where c.as_of_date = @date
            union all
            select 'snapshots', s.as_of_date, s.license, s.facility_group, s.risk_level, s.zip,
                   s.days_since_last_inspection, s.days_since_first_inspection, s.inspections_before, s.fails_before,
                   s.fail_share_before, s.last_result_fail, s.last_result_conditions, s.violations_at_last,
                   s.critical_at_last, s.serious_at_last, s.complaints_before, s.reinspections_before
            from features.snapshots s
        ), near as (
            select st.* from stored st
            where exists (select 1 from clean.inspections i
                          where i.license = st.license and i.inspection_date >= st.as_of_date and i.inspection_date < st.as_of_date + 7)
            order by md5(st.license || st.as_of_date) limit @half
        ), any_pair as (
            select * from stored order by md5(license || as_of_date || 'x') limit @half
        )
        select "table", as_of_date as AsOfDate, license, facility_group as FacilityGroup, risk_level as RiskLevel, zip,
               days_since_last_inspection as DaysSinceLastInspection, days_since_first_inspection as DaysSinceFirstInspection,
               inspections_before as InspectionsBefore, fails_before as FailsBefore, fail_share_before as FailShareBefore,
               last_result_fail as LastResultFail, last_result_conditions as LastResultConditions,
               violations_at_last as ViolationsAtLast, critical_at_last as CriticalAtLast, serious_at_last as SeriousAtLast,
               complaints_before as ComplaintsBefore, reinspections_before as ReinspectionsBefore
        from (select * from near union select * from any_pair) pairs
        """;
}
