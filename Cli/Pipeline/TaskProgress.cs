namespace Inspections.Pipeline;

/// <summary>
/// Progress of the running task. On a terminal it drives a Spectre.Console bar; otherwise it does
/// nothing, so cron logs get one line per task and no control characters.
/// </summary>
internal sealed class TaskProgress(Spectre.Console.ProgressTask? bar)
{
    public static TaskProgress Silent { get; } = new(null);

    /// <param name="done">Units done so far (rows, pages, folds).</param>
    /// <param name="total">Units expected, when known.</param>
    /// <param name="what">What is being counted, e.g. "rows" or "models x folds".</param>
    public void Report(double done, double? total = null, string? what = null)
    {
        if (bar is null) return;
        if (total is { } t) bar.MaxValue = Math.Max(t, 1);
        else if (done > bar.MaxValue) bar.MaxValue = done * 2;
        bar.Value = Math.Min(done, bar.MaxValue);
        if (what is not null) bar.Description = what;
    }
}
