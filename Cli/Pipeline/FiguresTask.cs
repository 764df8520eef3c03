namespace Inspections.Pipeline;

/// <summary>
/// A task still written against the figures dictionary of <see cref="TaskContext"/> rather than a typed
/// result: kept only until the stages being reworked (features, train, select, bias) move to
/// <see cref="PipelineTask{TResult}"/>.
/// </summary>
internal abstract class FiguresTask : PipelineTask
{
    public abstract Task RunAsync(TaskContext context, CancellationToken ct);

    public abstract Task CheckAsync(TaskContext context, CheckSet checks, CancellationToken ct);

    internal sealed override async Task<TaskResult> RunThenCheckAsync(TaskContext context,
        Func<IReadOnlyDictionary<string, object?>, CheckSet> checksFor, CancellationToken ct)
    {
        await RunAsync(context, ct);
        await CheckAsync(context, checksFor(context.Figures), ct);
        return new FiguresResult(context.Figures, context.RowsWritten);
    }

    private sealed record FiguresResult(IReadOnlyDictionary<string, object?> Values, long Rows) : TaskResult
    {
        public override long RowsWritten => Rows;

        public override IReadOnlyDictionary<string, object?> Figures() => Values;
    }
}
