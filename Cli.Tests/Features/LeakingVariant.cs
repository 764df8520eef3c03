using Dapper;
using Inspections.Features;
using Npgsql;

namespace Inspections.Tests.Features;

/// <summary>
/// A deliberately leaking definition of the name and place blocks: each snapshot of <c>asOf</c> gets the values the
/// production SQL gives the next day, which count the inspections of the as-of date itself (the label's among them).
/// Only the <c>columns</c> given (a block's) leak, so a test sees the block it means.
/// </summary>
internal static class LeakingVariant
{
    public static async Task StoreNextDaysFeaturesAsync(
        NpgsqlDataSource dataSource,
        DateOnly runDate,
        DateOnly asOf,
        IReadOnlyList<string> columns)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var settings = new FeatureSettings { ActiveWithinDays = 730, LabelWindowDays = 60 };
        await FeatureQuery.ComputeAsync(
            connection, transaction, [asOf.AddDays(1)], [], runDate, settings, CancellationToken.None);
        // Column names come from the blocks' lists, never from input.
        var set = string.Join(", ", columns.Select(c => $"{c} = f.{c}"));
        var updated = await connection.ExecuteAsync(
            $"update features.snapshots s set {set} from feature_rows f " +
            "where s.as_of_date = @asOf and f.as_of_date = @nextDay and f.license = s.license",
            new { asOf, nextDay = asOf.AddDays(1) }, transaction);
        if (updated == 0)
            throw new InvalidOperationException($"the leaking variant changed no snapshot of {asOf:yyyy-MM-dd}");
        await transaction.CommitAsync();
    }

    /// <summary>
    /// The leakage check as the features task of <paramref name="runDate"/> runs it, over every stored snapshot date.
    /// </summary>
    public static async Task<FeatureLeakage.Result> CheckAsync(
        NpgsqlConnection connection,
        DateOnly runDate,
        int sampleSize = 50)
    {
        var snapshotDates =
            (await connection.QueryAsync<DateOnly>("select distinct as_of_date from features.snapshots")).ToList();
        if (snapshotDates.Count == 0)
            throw new InvalidOperationException("no snapshot is stored: the leakage check would check nothing");
        return await FeatureLeakage.FindMismatchesAsync(
            connection, null, runDate, snapshotDates, sampleSize, CancellationToken.None);
    }
}
