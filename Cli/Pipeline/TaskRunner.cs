using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Dapper;
using Inspections.Database;
using Inspections.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Inspections.Pipeline;

internal enum TaskState
{
    /// <summary>Ran now and committed.</summary>
    Ran,
    /// <summary>A successful run was already recorded for its key: nothing ran, nothing was written.</summary>
    AlreadyComplete,
    /// <summary>A check failed: rolled back, the failure recorded in the run history.</summary>
    CheckFailed,
    /// <summary>The body threw: rolled back, the error recorded in the run history.</summary>
    Failed,
    /// <summary>Not attempted because something upstream (or earlier) failed.</summary>
    NotRun,
}

internal sealed record TaskOutcome(
    PipelineTask Task,
    string Key,
    TaskState State,
    TimeSpan Duration,
    long RowsWritten,
    IReadOnlyList<CheckResult> Checks,
    string? Error);

/// <summary>
/// Runs a task instance and whatever it needs, Luigi-style but never silently: complete instances
/// are skipped, missing upstream ones run first in dependency order, the first failure stops the DAG.
/// Each run is one repeatable-read transaction (body, checks, metadata); a per-task advisory lock makes a second
/// process asking for the same task wait, then find the instance complete or run its own.
/// </summary>
internal sealed class TaskRunner(
    NpgsqlDataSource dataSource,
    AppSettings settings,
    CheckOverrides overrides,
    Terminal terminal,
    ILoggerFactory logs)
{
    private readonly ILogger _log = logs.CreateLogger("Pipeline");
    private readonly Dictionary<string, TaskOutcome> _outcomes = new(StringComparer.Ordinal);
    private readonly List<TaskOutcome> _order = [];
    private bool _stopped;

    /// <summary>
    /// Runs <paramref name="target"/> and its missing upstream; <paramref name="force"/> re-runs the target itself.
    /// </summary>
    public async Task<RunReport> RunAsync(PipelineTask target, bool force, CancellationToken ct)
    {
        await VisitAsync(target, force, ct);
        return new RunReport(_order);
    }

    private async Task<TaskOutcome> VisitAsync(PipelineTask task, bool force, CancellationToken ct)
    {
        var key = TaskKey.For(task, overrides);
        if (_outcomes.TryGetValue(key, out var seen)) return seen;

        if (!force && await IsCompleteAsync(key, ct))
            return Record(new(task, key, TaskState.AlreadyComplete, TimeSpan.Zero, 0, [], null));

        IReadOnlyList<PipelineTask> upstream;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            upstream = await task.RequiresAsync(connection, ct);
        }

        var blocked = false;
        foreach (var requirement in upstream)
        {
            var outcome = await VisitAsync(requirement, force: false, ct);
            blocked |= outcome.State is TaskState.CheckFailed or TaskState.Failed or TaskState.NotRun;
        }
        if (blocked || _stopped) return Record(new(task, key, TaskState.NotRun, TimeSpan.Zero, 0, [], null));

        var result = await ExecuteAsync(task, key, force, ct);
        _stopped |= result.State is TaskState.CheckFailed or TaskState.Failed;
        return Record(result);
    }

    private TaskOutcome Record(TaskOutcome outcome)
    {
        _outcomes[outcome.Key] = outcome;
        _order.Add(outcome);
        terminal.Out.WriteLine(RunReport.Line(outcome));
        return outcome;
    }

    private async Task<bool> IsCompleteAsync(string key, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await IsCompleteAsync(connection, null, key, ct);
    }

    private static Task<bool> IsCompleteAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? tx,
        string key,
        CancellationToken ct) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from pipeline.task_metadata where task_key = @key)",
            new { key }, tx, cancellationToken: ct));

    private async Task<TaskOutcome> ExecuteAsync(PipelineTask task, string key, bool force, CancellationToken ct)
    {
        var runId = Guid.NewGuid();
        var startedAt = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        await using var connection = await dataSource.OpenConnectionAsync(ct);

        // One run of a task (any instance) at a time, across processes. Instances of one task share tables across
        // dates (raw, clean, snapshots), so two dates at once must take turns; and a second request for this very
        // instance waits here, then finds it complete. The lock is the session's, taken before the transaction begins,
        // so the transaction's one snapshot (repeatable read) is taken once the lock is ours: every statement of the
        // run reads the same committed data, what the run it waited for wrote included, and nothing another task
        // commits meanwhile.
        var taskLock = new { key = "task:" + task.Name };
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "select pg_try_advisory_lock(hashtextextended(@key, 0))", taskLock, cancellationToken: ct)))
        {
            _log.LogInformation("Waiting for another process's {Task} run to finish", task.Name);
            // No command timeout: the other run takes as long as it takes (a cancelled wait or a lost session holds
            // nothing).
            await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_lock(hashtextextended(@key, 0))",
                taskLock, cancellationToken: ct, commandTimeout: 0));
        }
        try
        {
            return await ExecuteLockedAsync(connection, task, key, runId, startedAt, clock, force, ct);
        }
        finally
        {
            try
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "select pg_advisory_unlock(hashtextextended(@key, 0))",
                    taskLock, cancellationToken: CancellationToken.None));
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The session is gone (the server stopped): its locks went with it.
                _log.LogDebug("Releasing the {Task} lock: {Error}", task.Name, e.Message);
            }
        }
    }

    private async Task<TaskOutcome> ExecuteLockedAsync(
        NpgsqlConnection connection,
        PipelineTask task,
        string key,
        Guid runId,
        DateTime startedAt,
        Stopwatch clock,
        bool force,
        CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        if (!force && await IsCompleteAsync(connection, tx, key, ct))
        {
            _log.LogInformation("{Key} was completed by another process while this one waited", key);
            return new(task, key, TaskState.AlreadyComplete, clock.Elapsed, 0, [], null);
        }

        var checks = default(CheckSet);
        var result = default(TaskResult);
        try
        {
            await TerminalProgress.ShowAsync(terminal, key, async report =>
            {
                var context = new TaskContext(runId, connection, tx, settings, logs.CreateLogger(task.Name),
                    report is null ? TaskProgress.Silent : new TaskProgress(report));
                result = await task.RunThenCheckAsync(context,
                    figures => checks = new CheckSet(
                        task.Name, settings.Configuration, overrides.For(task.Name), task.Parameters, figures),
                    ct);
            });
        }
        catch (Exception e) when (!DatabaseErrors.IsUnavailable(e)
                                  && e is not OperationCanceledException
                                  && e is not UserException)
        {
            await tx.RollbackAsync(CancellationToken.None);
            var error = $"{e.GetType().Name}: {e.Message}";
            var report = FailureReport.ForException(task, key, e);
            _log.LogDebug("{Key} threw: {Exception}", key, e.ToString());
            terminal.Error.Write(report);
            await RecordFailureAsync(task, key, runId, startedAt, error, report, checks?.Results ?? [], ct);
            return new(task, key, TaskState.Failed, clock.Elapsed, 0, checks?.Results ?? [], error);
        }
        catch (UserException e)
        {
            // A problem the user can fix (the portal down, an unreadable file): CliApp prints its one line and
            // exit code; the run history still shows that the task failed and why.
            await tx.RollbackAsync(CancellationToken.None);
            await RecordFailureAsync(task, key, runId, startedAt, e.Message, $"ERROR: {key}\n  {e.Message}\n",
                checks?.Results ?? [], ct);
            throw;
        }

        if (!checks!.AllPassed)
        {
            await tx.RollbackAsync(CancellationToken.None);
            var failed = checks.Results.Where(r => !r.Passed).ToList();
            var report = FailureReport.ForChecks(task, key, failed, checks.Results.Count);
            terminal.Error.Write(report);
            var error = $"check failed: {string.Join(", ", failed.Select(f => f.Name))}";
            await RecordFailureAsync(task, key, runId, startedAt, error, report, checks.Results, ct);
            return new(task, key, TaskState.CheckFailed, clock.Elapsed, 0, checks.Results, error);
        }

        var finishedAt = DateTime.UtcNow;
        await InsertRunAsync(connection, tx, task, key, runId, "succeeded", startedAt, finishedAt, null, null,
            checks.Results, ct);
        await connection.ExecuteAsync(new CommandDefinition(InsertMetadata, new
        {
            runId,
            task = task.Name,
            key,
            parameters = Json(task.Parameters),
            startedAt,
            finishedAt,
            durationMs = clock.Elapsed.TotalMilliseconds,
            rows = result!.RowsWritten,
            host = Environment.MachineName,
            osUser = Environment.UserName,
            version = Product.Version,
            commit = Product.Commit,
            figures = Json(result.Figures()),
        }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return new(task, key, TaskState.Ran, clock.Elapsed, result.RowsWritten, checks.Results, null);
    }

    /// <summary>The failure goes to the history in its own transaction: the run's own was rolled back.</summary>
    private async Task RecordFailureAsync(
        PipelineTask task,
        string key,
        Guid runId,
        DateTime startedAt,
        string error,
        string report,
        IReadOnlyList<CheckResult> checks,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await InsertRunAsync(connection, tx, task, key, runId, "failed", startedAt, DateTime.UtcNow, error, report,
            checks, ct);
        await tx.CommitAsync(ct);
    }

    private static async Task InsertRunAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction tx,
        PipelineTask task,
        string key,
        Guid runId,
        string state,
        DateTime startedAt,
        DateTime finishedAt,
        string? error,
        string? report,
        IReadOnlyList<CheckResult> checks,
        CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition(InsertRun, new
        {
            runId,
            task = task.Name,
            key,
            parameters = Json(task.Parameters),
            state,
            startedAt,
            finishedAt,
            error,
            report,
        }, tx, cancellationToken: ct));
        foreach (var check in checks)
        {
            await connection.ExecuteAsync(new CommandDefinition(InsertCheck, new
            {
                runId,
                name = check.Name,
                passed = check.Passed,
                assertion = check.Assertion,
                expected = check.Expected,
                actual = check.Actual,
                note = check.Note,
                locals = Json(check.Locals),
                offending = Json(check.OffendingKeys),
            }, tx, cancellationToken: ct));
        }
    }

    private static string Json(object value) => JsonSerializer.Serialize(value, JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private const string InsertRun = """
        insert into pipeline.task_runs (run_id, task, task_key, parameters, state, started_at, finished_at, error,
            failure_report)
        values (@runId, @task, @key, @parameters::jsonb, @state, @startedAt, @finishedAt, @error, @report)
        """;

    private const string InsertCheck = """
        insert into pipeline.check_results (run_id, check_name, passed, assertion, expected, actual, note, locals,
            offending_keys)
        values (@runId, @name, @passed, @assertion, @expected, @actual, @note, @locals::jsonb, @offending::jsonb)
        """;

    private const string InsertMetadata = """
        insert into pipeline.task_metadata (run_id, task, task_key, parameters, started_at, finished_at, duration_ms,
            rows_written, host, os_user, product_version, product_commit, figures)
        values (@runId, @task, @key, @parameters::jsonb, @startedAt, @finishedAt, @durationMs,
            @rows, @host, @osUser, @version, @commit, @figures::jsonb)
        """;
}

/// <summary>The product's version and the commit it was built from (recorded in every run's metadata).</summary>
internal static class Product
{
    private static readonly string Informational =
        typeof(Product).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? "0.0.0";

    public static string Version => Informational.Split('+')[0];

    public static string Commit => Informational.Contains('+') ? Informational.Split('+')[1] : "unknown";
}
