using Inspections.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Inspections.Pipeline;

/// <summary>What a task body gets: its transaction, configuration, a logger, and where to put its figures.</summary>
internal sealed class TaskContext(
    Guid runId,
    NpgsqlConnection connection,
    NpgsqlTransaction transaction,
    AppSettings settings,
    ILogger log,
    TaskProgress progress)
{
    /// <summary>Identifies this run in the history; outputs may carry it (e.g. raw rows keep the ingest run that brought them).</summary>
    public Guid RunId { get; } = runId;

    public NpgsqlConnection Connection { get; } = connection;

    /// <summary>Everything the body writes goes through this transaction; it commits only when every check passes.</summary>
    public NpgsqlTransaction Transaction { get; } = transaction;

    public AppSettings Settings { get; } = settings;

    public ILogger Log { get; } = log;

    /// <summary>Task-specific figures: stored as the run's metadata and shown as locals when a check fails.</summary>
    public Dictionary<string, object?> Figures { get; } = new(StringComparer.Ordinal);

    /// <summary>Rows the body wrote (the headline figure of the run line and the metadata).</summary>
    public long RowsWritten { get; set; }

    /// <summary>Reports progress (a live bar on a terminal, nothing in cron logs).</summary>
    public TaskProgress Progress { get; } = progress;
}
