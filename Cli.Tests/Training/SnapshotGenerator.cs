using Inspections.Features;
using Inspections.Training;
using Npgsql;
using NpgsqlTypes;

namespace Inspections.Tests.Training;

/// <summary>
/// Deterministic synthetic snapshots with a known signal: each license has a latent risk that drives
/// its prior fails, the violations at its last inspection, whether that last inspection failed, and
/// the label. The City's risk category follows the latent risk only loosely, so a model that reads
/// the history should beat the risk-category baseline.
/// </summary>
internal static class SnapshotGenerator
{
    public static readonly string[] FacilityGroups = ["restaurant", "grocery", "school", "other"];
    public static readonly string[] Areas = ["north", "south", "west", "central"];

    /// <param name="weeks">Weekly as-of dates starting at <paramref name="firstAsOf"/>.</param>
    public static IReadOnlyList<FeatureRow> Generate(int licenses, int weeks, DateOnly firstAsOf, int seed = 7)
    {
        var random = new Random(seed);
        var rows = new List<FeatureRow>();
        var profiles = Enumerable.Range(0, licenses).Select(i =>
        {
            var risk = Normal(random);
            var noisy = risk + 1.2 * Normal(random);
            var level = noisy > 0.4 ? "high" : noisy > -0.6 ? "medium" : random.NextDouble() < 0.9 ? "low" : "unknown";
            return (License: (100000 + i).ToString(), Risk: risk,
                Group: FacilityGroups[random.Next(FacilityGroups.Length)], Level: level,
                Area: Areas[random.Next(Areas.Length)], FirstSeen: 200 + random.Next(2000));
        }).ToList();
        for (var w = 0; w < weeks; w++)
        {
            var asOf = firstAsOf.AddDays(7 * w);
            foreach (var p in profiles)
            {
                var inspections = 1 + random.Next(6) + w / 8;
                var failsBefore = Math.Min(inspections, Poisson(random, Math.Exp(0.2 + 0.8 * p.Risk)));
                var lastFail = random.NextDouble() < Sigmoid(-1.2 + 1.5 * p.Risk) ? 1f : 0f;
                var violations = Poisson(random, Math.Exp(1.0 + 0.5 * p.Risk + 0.3 * lastFail));
                var critical = Math.Min(violations, Poisson(random, Math.Exp(-0.5 + 0.6 * p.Risk)));
                var numeric = new float[FeatureSet.Numeric.Count];
                void Set(string column, double value) => numeric[Index(column)] = (float)value;
                Set("days_since_last_inspection", 30 + random.Next(400));
                Set("days_since_first_inspection", p.FirstSeen + 7 * w);
                Set("inspections_before", inspections);
                Set("fails_before", failsBefore);
                Set("fail_share_before", (double)failsBefore / inspections);
                Set("last_result_fail", lastFail);
                Set("last_result_conditions", lastFail == 0 && random.NextDouble() < 0.2 ? 1 : 0);
                Set("violations_at_last", violations);
                Set("critical_at_last", critical);
                Set("serious_at_last", Math.Max(0, violations - critical - random.Next(3)));
                Set("complaints_before", Poisson(random, 0.3));
                Set("reinspections_before", Math.Min(failsBefore, Poisson(random, 0.5)));
                // About a third of the as-of dates have no pass/fail inspection in the window: no label.
                var inspected = random.NextDouble() < 0.65;
                bool? label = inspected ? random.NextDouble() < Sigmoid(-1.6 + 1.1 * p.Risk + 0.4 * lastFail) : null;
                var categorical = new string[FeatureSet.Categorical.Count];
                categorical[FeatureSet.CategoricalIndex("facility_group")] = p.Group;
                categorical[FeatureSet.CategoricalIndex("risk_level")] = p.Level;
                categorical[FeatureSet.CategoricalIndex("area")] = p.Area;
                rows.Add(new FeatureRow(asOf, p.License, numeric, categorical, label));
            }
        }
        return rows;
    }

    /// <summary>
    /// Inserts rows into features.snapshots (labels, and a label date inside the window) or features.cohort (no
    /// labels).
    /// </summary>
    public static async Task InsertAsync(
        NpgsqlDataSource dataSource,
        string table,
        IEnumerable<FeatureRow> rows,
        int labelWindowDays = 28)
    {
        var labelled = table == FeatureRows.Snapshots;
        var columns = string.Join(", ", FeatureSet.All)
            + (labelled ? ", label_fail, label_inspection_date, label_known_on" : "");
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var writer = await connection.BeginBinaryImportAsync(
            $"copy {table} (as_of_date, license, {columns}) from stdin (format binary)");
        foreach (var row in rows)
        {
            await writer.StartRowAsync();
            await writer.WriteAsync(row.AsOfDate, NpgsqlDbType.Date);
            await writer.WriteAsync(row.License, NpgsqlDbType.Text);
            foreach (var value in row.Numeric) await writer.WriteAsync(value, NpgsqlDbType.Real);
            foreach (var value in row.Categorical) await writer.WriteAsync(value, NpgsqlDbType.Text);
            if (!labelled) continue;
            if (row.LabelFail is { } label)
            {
                await writer.WriteAsync(label, NpgsqlDbType.Boolean);
                await writer.WriteAsync(row.AsOfDate.AddDays(1 + int.Parse(row.License) % labelWindowDays),
                    NpgsqlDbType.Date);
            }
            else
            {
                await writer.WriteNullAsync();
                await writer.WriteNullAsync();
            }
            await writer.WriteAsync(row.AsOfDate.AddDays(labelWindowDays), NpgsqlDbType.Date);
        }
        await writer.CompleteAsync();
    }

    private static int Index(string column)
    {
        for (var i = 0; i < FeatureSet.Numeric.Count; i++)
            if (FeatureSet.Numeric[i] == column) return i;
        throw new ArgumentException(column);
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static int Poisson(Random random, double mean)
    {
        var limit = Math.Exp(-mean);
        var k = 0;
        var product = random.NextDouble();
        while (product > limit) { k++; product *= random.NextDouble(); }
        return k;
    }
}
