using System.Diagnostics;
using Dapper;
using Inspections.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Inspections.Pipeline;

/// <summary>
/// What a task body gets: its transaction, configuration, a logger, progress, and a few helpers that run
/// SQL inside the transaction (each statement's rows and time are logged at debug level).
/// </summary>
internal sealed class TaskContext(
    Guid runId,
    NpgsqlConnection connection,
    NpgsqlTransaction transaction,
    AppSettings settings,
    ILogger log,
    TaskProgress progress)
{
    /// <summary>
    /// Identifies this run in the history; outputs may carry it (e.g. raw rows keep the ingest run that brought them).
    /// </summary>
    public Guid RunId { get; } = runId;

    public NpgsqlConnection Connection { get; } = connection;

    /// <summary>
    /// Everything the body writes goes through this transaction; it commits only when every check passes.
    /// </summary>
    public NpgsqlTransaction Transaction { get; } = transaction;

    public AppSettings Settings { get; } = settings;

    public ILogger Log { get; } = log;

    /// <summary>Reports progress (a live bar on a terminal, nothing in cron logs).</summary>
    public TaskProgress Progress { get; } = progress;

    /// <summary>Runs a statement (or several, separated by semicolons); the rows it affected.</summary>
    public Task<int> ExecuteAsync(string sql, object? parameters, CancellationToken ct) =>
        Timed(sql, () => Connection.ExecuteAsync(Command(sql, parameters, ct)));

    /// <summary>The first column of the first row, or default when there is none.</summary>
    public Task<T?> ScalarAsync<T>(string sql, object? parameters, CancellationToken ct) =>
        Timed(sql, () => Connection.ExecuteScalarAsync<T>(Command(sql, parameters, ct)));

    public Task<T> SingleAsync<T>(string sql, object? parameters, CancellationToken ct) =>
        Timed(sql, () => Connection.QuerySingleAsync<T>(Command(sql, parameters, ct)));

    public Task<T?> SingleOrDefaultAsync<T>(string sql, object? parameters, CancellationToken ct) =>
        Timed(sql, () => Connection.QuerySingleOrDefaultAsync<T>(Command(sql, parameters, ct)));

    public Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? parameters, CancellationToken ct) =>
        Timed(sql, async () =>
            (IReadOnlyList<T>)(await Connection.QueryAsync<T>(Command(sql, parameters, ct))).AsList());

    // No command timeout: a task's statement takes as long as its data needs (a million rows' features run for
    // minutes), and the run's transaction and cancellation bound it.
    private CommandDefinition Command(string sql, object? parameters, CancellationToken ct) =>
        new(sql, parameters, Transaction, cancellationToken: ct, commandTimeout: 0);

    private async Task<T> Timed<T>(string sql, Func<Task<T>> run)
    {
        if (!Log.IsEnabled(LogLevel.Debug)) return await run();
        var clock = Stopwatch.StartNew();
        var result = await run();
        Log.LogDebug("{Ms} ms: {Sql}", clock.ElapsedMilliseconds, sql.AsSpan().Trim().ToString().Split('\n')[0]);
        return result;
    }
}
