using Npgsql;

namespace Inspections.Pipeline;

/// <summary>
/// A pipeline stage's task instance: identified by its run date and source. Its upstream instances
/// are handed in by the composition root (<c>App/Dag</c>), the one place that wires stages together, so a
/// stage never names another stage's class and tests can run a stage over tables they filled themselves.
/// </summary>
internal abstract class StageTask<TResult>(DateOnly date, string source, IReadOnlyList<PipelineTask> upstream)
    : PipelineTask<TResult> where TResult : TaskResult
{
    public DateOnly Date { get; } = date;

    /// <summary><c>socrata</c> or the full path of a file (see <see cref="PipelineVerb.ResolveSource"/>).</summary>
    public string Source { get; } = source;

    public override IReadOnlyDictionary<string, string> Parameters => StageParameters.Of(Date, Source);

    public override Task<IReadOnlyList<PipelineTask>> RequiresAsync(
        NpgsqlConnection connection,
        CancellationToken ct) =>
        Task.FromResult(upstream);
}

internal static class StageParameters
{
    public static IReadOnlyDictionary<string, string> Of(DateOnly date, string source) => new Dictionary<string, string>
    {
        ["date"] = Hosting.Dates.Text(date),
        ["source"] = source,
    };
}
