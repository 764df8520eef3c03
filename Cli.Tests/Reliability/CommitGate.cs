using Inspections.Tests.Infrastructure;
using Npgsql;

namespace Inspections.Tests.Reliability;

/// <summary>
/// Holds a SHARE lock on <c>pipeline.task_runs</c>, so a task run can do its whole body and its checks in
/// its transaction but blocks when it records itself, just before its commit. A process caught there has
/// written every row it will write, none committed: the moment when a kill would leave the most behind
/// if a run were not one transaction. No sleeps: the gate waits for the server to report the blocked session.
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
        await using var command = new NpgsqlCommand("lock table pipeline.task_runs in share mode", connection, transaction);
        await command.ExecuteNonQueryAsync();
        return new CommitGate(connection, transaction);
    }

    /// <summary>The server process id of the session that <paramref name="process"/>'s run is blocked in.</summary>
    public async Task<int> WaitForBlockedRunAsync(NpgsqlDataSource dataSource, CliProcess process, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var pid = await DatabaseProbe.CountAsync(dataSource, """
                select coalesce(min(l.pid), 0) from pg_locks l join pg_stat_activity a on a.pid = l.pid
                where not l.granted and l.relation = 'pipeline.task_runs'::regclass and a.datname = current_database()
                  and a.application_name = 'inspections' and a.backend_xid is not null
                """);
            if (pid > 0) return (int)pid;
            if (process.HasExited) throw new InvalidOperationException($"the process ended before its run blocked at commit\n{process}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no run blocked at commit within {timeout.TotalSeconds} s\n{process}");
            await Task.Delay(50);
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
