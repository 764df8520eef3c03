using Dapper;
using Inspections.Tests.Infrastructure;
using Npgsql;

namespace Inspections.Tests.Reliability;

/// <summary>
/// Holds a SHARE lock on <c>pipeline.task_runs</c>, so a task run can do its whole body and its checks in
/// its transaction but blocks when it records itself, just before its commit. A process caught there has
/// written every row it will write, none committed: the moment when a kill would leave the most behind
/// if a run were not one transaction. No sleeps: the gate waits for the server to report the blocked session.
/// A test may ask instead for a run caught in the middle of its body, and then gets that or a failure, never the gate.
/// </summary>
internal sealed class CommitGate : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private NpgsqlTransaction? _transaction;

    private CommitGate(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    public static async Task<CommitGate> CloseAsync(NpgsqlDataSource dataSource)
    {
        var connection = await dataSource.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(
            "lock table pipeline.task_runs in share mode", connection, transaction);
        await command.ExecuteNonQueryAsync();
        return new CommitGate(connection, transaction);
    }

    /// <summary>
    /// The server process id of <paramref name="process"/>'s run once it is blocked at the gate, or, given
    /// <paramref name="inBody"/>, a condition on <c>pg_stat_activity a</c> that places the run in the middle of its
    /// body, once its session (holding the run's advisory lock) matches that condition. A run that reaches the gate
    /// without matching it throws: a condition that no longer matches what the task runs (a renamed table, a reworded
    /// statement) would otherwise have every such test kill at the commit, and pass having tested less.
    /// </summary>
    public async Task<int> WaitForRunAsync(
        NpgsqlDataSource dataSource, CliProcess process, TimeSpan timeout, string? inBody = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        var inBodySql = inBody ?? "false";
        var sql = $"""
            select a.pid, ({inBodySql}) as in_body from pg_stat_activity a
            where a.datname = current_database() and a.application_name = 'inspections'
              and exists (select 1 from pg_locks l where l.pid = a.pid and l.locktype = 'advisory' and l.granted)
              and ((a.backend_xid is not null and exists (select 1 from pg_locks l where l.pid = a.pid and not l.granted
                                                          and l.relation = 'pipeline.task_runs'::regclass))
                   or ({inBodySql}))
            order by in_body desc, a.pid
            limit 1
            """;
        while (true)
        {
            await using (var connection = await dataSource.OpenConnectionAsync())
            {
                var (pid, caughtInBody) = await connection.QueryFirstOrDefaultAsync<(int, bool)>(sql);
                if (pid > 0 && (inBody is null || caughtInBody)) return pid;
                if (pid > 0)
                    throw new InvalidOperationException(
                        $"the run reached its commit without matching the body condition `{inBody}`\n{process}");
            }
            if (process.HasExited)
                throw new InvalidOperationException($"the process ended before its run blocked at commit\n{process}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no run blocked at commit within {timeout.TotalSeconds} s\n{process}");
            // A body condition may hold for a few tens of milliseconds (the COPY of the sample's 13,000 rows): look
            // again at once.
            await Task.Delay(inBody is null ? 20 : 1);
        }
    }

    public async Task OpenAsync()
    {
        if (_transaction is not { } transaction) return;
        _transaction = null;
        await using (transaction) await transaction.RollbackAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await OpenAsync();
        await _connection.DisposeAsync();
    }
}
