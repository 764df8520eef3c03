using System.Globalization;
using Npgsql;

namespace Inspections.Features;

/// <summary>
/// The leakage check: recomputes every feature of a sample of stored (license, as-of) pairs, from
/// scratch and in plain C#, out of only the inspections dated strictly before the as-of date, and
/// lists the pairs whose stored features differ. Half the sample are pairs whose establishment was
/// inspected on the as-of date or within the following days: where a leak would show first. The own-history
/// features come from the licence's inspections; the name and place blocks, which read every other licence,
/// from <see cref="FeatureRecomputation"/> over all inspections before the run date.
/// </summary>
internal static class FeatureLeakage
{
    private sealed record Stored(
        string Table,
        DateOnly AsOfDate,
        string License,
        IReadOnlyDictionary<string, object?> Values)
    {
        public double Number(string column) => Convert.ToDouble(Values[column], CultureInfo.InvariantCulture);

        public string? Text(string column) => Values[column] as string;
    }

    private sealed record Inspection(
        string License, long InspectionId, DateOnly InspectionDate, string FacilityGroup, string RiskLevel, string? Zip,
        string Outcome, bool PassedWithConditions, int ViolationsTotal, int ViolationsCritical, int ViolationsSerious,
        bool IsComplaint, bool IsReinspection);

    public sealed record Result(int Checked, IReadOnlyList<string> Mismatches);


    /// <summary>
    /// Checks a sample of the run date's cohort and of the snapshots of <paramref name="snapshotDates"/>: the pairs the
    /// run wrote, all of them dated no later than the run date, so every inspection their features may read is in view.
    /// </summary>
    public static async Task<Result> FindMismatchesAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? transaction,
        DateOnly runDate,
        IReadOnlyCollection<DateOnly> snapshotDates,
        int sampleSize,
        CancellationToken ct)
    {
        var sample = await ReadSampleAsync(
            connection, transaction, runDate, snapshotDates, Math.Max(1, sampleSize / 2), ct);
        var licenses = sample.Select(s => s.License).Distinct().ToArray();
        var inspections = (await ReadInspectionsAsync(connection, transaction, licenses, ct)).ToLookup(i => i.License);

        var mismatches = new List<string>();
        var pairs = new List<(DateOnly, string)>();
        foreach (var stored in sample)
        {
            var difference = CompareOwn(stored,
                inspections[stored.License].Where(i => i.InspectionDate < stored.AsOfDate).ToList());
            if (difference is not null)
                mismatches.Add($"{stored.Table} {stored.License}@{stored.AsOfDate:yyyy-MM-dd}: {difference}");
            else pairs.Add((stored.AsOfDate, stored.License));
        }

        if (pairs.Count > 0)
        {
            var events = await FeatureEvents.ReadAsync(connection, transaction, runDate, ct);
            var recomputed = FeatureRecomputation.Compute(events, pairs);
            foreach (var stored in sample)
            {
                if (!recomputed.TryGetValue((stored.AsOfDate, stored.License), out var expected)) continue;
                var difference = FeatureSet.Neighbourhood
                    .Select(c => Difference(c, stored.Number(c), expected[c]))
                    .FirstOrDefault(d => d is not null);
                if (difference is not null)
                    mismatches.Add($"{stored.Table} {stored.License}@{stored.AsOfDate:yyyy-MM-dd}: {difference}");
            }
        }
        return new Result(sample.Count, mismatches);
    }

    /// <summary>The first own-history feature that differs from its recomputation, or null when all agree.</summary>
    private static string? CompareOwn(Stored s, List<Inspection> before)
    {
        if (before.Count == 0) return "stored, but the establishment has no inspection before the as-of date";
        var last = before[^1];
        var lastPassFail = before.LastOrDefault(i => i.Outcome != "none");
        var passFails = before.Count(i => i.Outcome != "none");
        var fails = before.Count(i => i.Outcome == "fail");
        (string Name, double Expected)[] numbers =
        [
            ("days_since_last_inspection", s.AsOfDate.DayNumber - last.InspectionDate.DayNumber),
            ("days_since_first_inspection", s.AsOfDate.DayNumber - before[0].InspectionDate.DayNumber),
            ("inspections_before", before.Count),
            ("fails_before", fails),
            ("fail_share_before", passFails == 0 ? 0 : (double)fails / passFails),
            ("last_result_fail", lastPassFail?.Outcome == "fail" ? 1 : 0),
            ("last_result_conditions", lastPassFail?.PassedWithConditions == true ? 1 : 0),
            ("violations_at_last", lastPassFail?.ViolationsTotal ?? 0),
            ("critical_at_last", lastPassFail?.ViolationsCritical ?? 0),
            ("serious_at_last", lastPassFail?.ViolationsSerious ?? 0),
            ("complaints_before", before.Count(i => i.IsComplaint)),
            ("reinspections_before", before.Count(i => i.IsReinspection)),
            ("conditions_before", before.Count(i => i.Outcome != "none" && i.PassedWithConditions)),
        ];
        foreach (var (name, expected) in numbers)
            if (Difference(name, s.Number(name), expected) is { } difference) return difference;
        if (s.Text("facility_group") != last.FacilityGroup)
            return $"facility_group stored {s.Text("facility_group")}, recomputed {last.FacilityGroup}";
        if (s.Text("risk_level") != last.RiskLevel)
            return $"risk_level stored {s.Text("risk_level")}, recomputed {last.RiskLevel}";
        if (s.Text("zip") != last.Zip) return $"zip stored {s.Text("zip")}, recomputed {last.Zip}";
        return null;
    }

    /// <summary>Null when the stored value (a float4) is the recomputed one, to its precision.</summary>
    private static string? Difference(string name, double stored, double expected) =>
        Math.Abs(stored - expected) > 1e-4 * Math.Max(1, Math.Abs(expected))
            ? $"{name} stored {Format(stored)}, recomputed {Format(expected)}"
            : null;

    private static string Format(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    private static async Task<List<Inspection>> ReadInspectionsAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? transaction,
        string[] licenses,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            select license, inspection_id, inspection_date, facility_group, risk_level, zip, outcome,
                   passed_with_conditions, violations_total, violations_critical, violations_serious, is_complaint,
                   is_reinspection
            from clean.inspections where license = any(@licenses) order by license, inspection_date, inspection_id
            """, connection, transaction) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("licenses", licenses);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<Inspection>();
        while (await reader.ReadAsync(ct))
            rows.Add(new Inspection(reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<DateOnly>(2),
                reader.GetString(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetString(6), reader.GetBoolean(7), reader.GetInt32(8), reader.GetInt32(9), reader.GetInt32(10),
                reader.GetBoolean(11), reader.GetBoolean(12)));
        return rows;
    }

    /// <summary>The sampled pairs with every stored column, by name.</summary>
    private static async Task<List<Stored>> ReadSampleAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        DateOnly runDate, IReadOnlyCollection<DateOnly> snapshotDates, int half, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(Sample, connection, transaction) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("date", runDate);
        command.Parameters.AddWithValue("snapshots", snapshotDates.Where(d => d <= runDate).ToArray());
        command.Parameters.AddWithValue("half", half);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var sample = new List<Stored>();
        while (await reader.ReadAsync(ct))
        {
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 1; i < reader.FieldCount; i++)
                values[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            sample.Add(new Stored(reader.GetString(0), reader.GetFieldValue<DateOnly>(reader.GetOrdinal("as_of_date")),
                (string)values["license"]!, values));
        }
        return sample;
    }

    // Half: pairs whose establishment has an inspection in the first week from the as-of date; half: any pair.
    // Drawn from the cohort of the run date and from the snapshots, in a fixed pseudo-random order.
    // Keys are sampled first (narrow rows), then only the sampled rows are read whole.
    private static readonly string Sample = $"""
        with keys as (
            select 'cohort' as "table", as_of_date, license from features.cohort where as_of_date = @date
            union all
            select 'snapshots', as_of_date, license from features.snapshots where as_of_date = any(@snapshots)
        ), near as (
            -- among a bounded pseudo-random draw of pairs, those inspected in the week from the as-of date
            select k.* from (select * from keys order by hashtext(license || as_of_date) limit @half * 50) k
            where exists (select 1 from clean.inspections i
                          where i.license = k.license
                            and i.inspection_date >= k.as_of_date and i.inspection_date < k.as_of_date + 7)
            limit @half
        ), any_pair as (
            select * from keys order by hashtext(license || as_of_date || 'x') limit @half
        ), picked as (
            select * from near union select * from any_pair
        )
        select p."table", {FeatureSet.SqlColumns("c")}
        from picked p join features.cohort c
          on p."table" = 'cohort' and c.as_of_date = p.as_of_date and c.license = p.license
        union all
        select p."table", {FeatureSet.SqlColumns("s")}
        from picked p join features.snapshots s
          on p."table" = 'snapshots' and s.as_of_date = p.as_of_date and s.license = p.license
        """;
}
