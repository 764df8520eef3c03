namespace Inspections.Pipeline;

/// <summary>
/// The DAG as the engine's verbs see it: its stages in order, and the instance of a stage for a date and
/// source (with its upstream). The composition root (<c>App/Dag</c>) wires the stages; the engine only walks them.
/// </summary>
internal sealed record DagDefinition(IReadOnlyList<string> Stages, Func<string, DateOnly, string, PipelineTask> For)
{
    /// <summary>
    /// The last stage, whose instance needs every other (what <c>status</c> and <c>run</c> default to).
    /// </summary>
    public string Last => Stages[^1];
}
