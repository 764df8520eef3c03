using Npgsql;

namespace Inspections.Pipeline;

/// <summary>
/// One task of the DAG, as an instance: a name plus the parameters that identify it. The engine
/// (<see cref="TaskRunner"/>) knows nothing of any stage; a stage derives from <see cref="PipelineTask{TResult}"/>.
/// </summary>
internal abstract class PipelineTask
{
    /// <summary>
    /// The stage name, kebab-case: <c>ingest</c>, <c>store-api</c>. Also the section under <c>Checks:</c>.
    /// </summary>
    public abstract string Name { get; }

    /// <summary>The parameters that identify this instance (dates as yyyy-MM-dd). Order does not matter.</summary>
    public abstract IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>The upstream instances this one needs. May read the database (e.g. which model exists).</summary>
    public virtual Task<IReadOnlyList<PipelineTask>> RequiresAsync(NpgsqlConnection connection, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<PipelineTask>>([]);

    /// <summary>
    /// The body, then its checks over a <see cref="CheckSet"/> that <paramref name="checksFor"/> makes from the body's
    /// figures; the result is what the run's metadata keeps.
    /// </summary>
    internal abstract Task<TaskResult> RunThenCheckAsync(
        TaskContext context,
        Func<IReadOnlyDictionary<string, object?>, CheckSet> checksFor,
        CancellationToken ct);

    public override string ToString() => TaskKey.Describe(this);
}

/// <summary>A task whose body returns a typed <typeparamref name="TResult"/>, which its checks receive.</summary>
/// <remarks>
/// Contract for implementers:
/// <list type="bullet">
/// <item><see cref="RunAsync"/> writes only through the context's connection inside its transaction, and first
/// deletes what an earlier run of the same instance wrote (so <c>--force</c> replaces outputs atomically).</item>
/// <item><see cref="CheckAsync"/> reads what the body wrote (same transaction) and asserts through the
/// <see cref="CheckSet"/>; a failed check rolls the whole run back.</item>
/// <item>The result's properties become the run's metadata figures and the locals printed when a check fails.</item>
/// </list>
/// </remarks>
internal abstract class PipelineTask<TResult> : PipelineTask where TResult : TaskResult
{
    /// <summary>The body: writes this instance's outputs inside the run's transaction and says what it wrote.</summary>
    public abstract Task<TResult> RunAsync(TaskContext context, CancellationToken ct);

    /// <summary>The data checks over what the body wrote. Every check runs; any failure rolls back the run.</summary>
    public abstract Task CheckAsync(TaskContext context, TResult result, CheckSet checks, CancellationToken ct);

    internal sealed override async Task<TaskResult> RunThenCheckAsync(TaskContext context,
        Func<IReadOnlyDictionary<string, object?>, CheckSet> checksFor, CancellationToken ct)
    {
        var result = await RunAsync(context, ct);
        await CheckAsync(context, result, checksFor(result.Figures()), ct);
        return result;
    }
}
