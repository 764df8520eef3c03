namespace Inspections.Pipeline;

/// <summary>
/// Progress of the running task, reported to whatever displays it (a live bar on a terminal, see
/// <c>Hosting/TerminalProgress</c>); silent otherwise, so cron logs get one line per task.
/// </summary>
internal sealed class TaskProgress(Action<double, double?, string?>? report)
{
    public static TaskProgress Silent { get; } = new(null);

    /// <param name="done">Units done so far (rows, pages, folds).</param>
    /// <param name="total">Units expected, when known.</param>
    /// <param name="what">What is being counted, e.g. "rows" or "models x folds".</param>
    public void Report(double done, double? total = null, string? what = null) => report?.Invoke(done, total, what);
}
