using Npgsql;

namespace Inspections.Pipeline;

/// <summary>
/// One task of the DAG, as an instance: a name plus the parameters that identify it. The engine
/// (<see cref="TaskRunner"/>) knows nothing of any stage; a stage is a subclass.
/// </summary>
/// <remarks>
/// Contract for implementers:
/// <list type="bullet">
/// <item><see cref="RunAsync"/> writes only through <see cref="TaskContext.Connection"/> inside
/// <see cref="TaskContext.Transaction"/>, and first deletes what an earlier run of the same instance
/// wrote (so <c>--force</c> replaces outputs atomically).</item>
/// <item><see cref="CheckAsync"/> reads what the body wrote (same transaction) and asserts through the
/// <see cref="CheckSet"/>; a failed check rolls the whole run back.</item>
/// <item>Figures put in <see cref="TaskContext.Figures"/> become the run's metadata and the locals
/// printed when a check fails.</item>
/// </list>
/// </remarks>
internal abstract class PipelineTask
{
    /// <summary>The stage name, kebab-case: <c>ingest</c>, <c>store-api</c>. Also the section under <c>Checks:</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The parameters that identify this instance (dates as yyyy-MM-dd). Order does not matter.</summary>
    public abstract IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>The upstream instances this one needs. May read the database (e.g. which model exists).</summary>
    public virtual Task<IReadOnlyList<PipelineTask>> RequiresAsync(NpgsqlConnection connection, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<PipelineTask>>([]);

    /// <summary>The body: writes this instance's outputs inside the run's transaction.</summary>
    public abstract Task RunAsync(TaskContext context, CancellationToken ct);

    /// <summary>The data checks over what the body wrote. Every check runs; any failure rolls back the run.</summary>
    public abstract Task CheckAsync(TaskContext context, CheckSet checks, CancellationToken ct);

    public override string ToString() => TaskKey.Describe(this);
}
