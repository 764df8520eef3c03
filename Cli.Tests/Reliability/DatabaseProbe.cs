using Dapper;
using Inspections.Tests.Infrastructure;
using Npgsql;

namespace Inspections.Tests.Reliability;

/// <summary>
/// Looks at a database from the outside: what every table holds, and the sessions of other processes.
/// </summary>
internal static class DatabaseProbe
{
    /// <summary>The run history: a failed run adds to it, and should.</summary>
    public static readonly string[] History = ["pipeline.task_runs", "pipeline.check_results"];

    /// <summary>Per table, its row count and a hash of all its rows: equal fingerprints mean equal contents.</summary>
    public static async Task<string> FingerprintAsync(NpgsqlDataSource dataSource, params string[] except)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var tables = (await connection.QueryAsync<string>(TestDatabase.PipelineTablesSql)).ToList();
        tables.Count.ShouldBeGreaterThanOrEqualTo(20);
        var lines = new List<string>();
        foreach (var table in tables.Except(except))
        {
            // Table names come from the catalog, never from input.
            var row = await connection.QuerySingleAsync<(long Rows, string? Hash)>(
                $"select count(*), md5(string_agg(t::text, '|' order by t::text)) from {table} t");
            lines.Add($"{table}: {row.Rows} rows, {row.Hash ?? "-"}");
        }
        return string.Join('\n', lines);
    }

    public static async Task<long> CountAsync(NpgsqlDataSource dataSource, string sql, object? parameters = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    /// <summary>Metadata rows and succeeded runs of one task instance, by task name and run date.</summary>
    public static async Task<(long Metadata, long Succeeded)> RecordsOfAsync(
        NpgsqlDataSource dataSource, string task, string date) => (
        await CountAsync(dataSource,
            "select count(*) from pipeline.task_metadata where task = @task and parameters->>'date' = @date",
            new { task, date }),
        await CountAsync(dataSource,
            "select count(*) from pipeline.task_runs where task = @task and parameters->>'date' = @date " +
            "and state = 'succeeded'", new { task, date }));

    /// <summary>
    /// Waits until the server has ended the session <paramref name="pid"/> (a killed client's session ends when the
    /// server notices).
    /// </summary>
    public static async Task WaitForSessionToEndAsync(NpgsqlDataSource dataSource, int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (await CountAsync(dataSource, "select count(*) from pg_stat_activity where pid = @pid", new { pid }) > 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"session {pid} still open after {timeout.TotalSeconds} s");
            await Task.Delay(50);
        }
    }
}
