using System.Globalization;
using Inspections.Hosting;

namespace Inspections.Pipeline;

/// <summary>What a request for a task did, a line per instance, and the exit code cron sees.</summary>
internal sealed record RunReport(IReadOnlyList<TaskOutcome> Outcomes)
{
    public bool IsGreen => Outcomes.All(o => o.State is TaskState.Ran or TaskState.AlreadyComplete);

    public int ExitCode =>
        Outcomes.Any(o => o.State == TaskState.CheckFailed) ? ExitCodes.CheckFailed
        : Outcomes.Any(o => o.State is TaskState.Failed or TaskState.NotRun) ? ExitCodes.TaskFailed
        : ExitCodes.Success;

    public static string Line(TaskOutcome o) => o.State switch
    {
        TaskState.Ran =>
            $"  ran      {o.Key} in {Seconds(o.Duration)} with " +
            $"{o.RowsWritten.ToString("N0", CultureInfo.InvariantCulture)} rows, {o.Checks.Count} checks passed",
        TaskState.AlreadyComplete => $"  complete {o.Key}: already complete, nothing to do",
        TaskState.CheckFailed => $"  FAILED   {o.Key} after {Seconds(o.Duration)}: {o.Error}",
        TaskState.Failed => $"  FAILED   {o.Key} after {Seconds(o.Duration)}: {o.Error}",
        _ => $"  not run  {o.Key}: upstream failed",
    };

    public string Summary()
    {
        var ran = Outcomes.Count(o => o.State == TaskState.Ran);
        var complete = Outcomes.Count(o => o.State == TaskState.AlreadyComplete);
        if (IsGreen)
            return ran == 0
                ? $"DAG green: everything already complete ({complete} {(complete == 1 ? "task" : "tasks")}), " +
                  "nothing ran."
                : $"DAG green: {ran} ran, {complete} already complete.";
        var failed = Outcomes.First(o => o.State is TaskState.CheckFailed or TaskState.Failed);
        var notRun = Outcomes.Count(o => o.State == TaskState.NotRun);
        var why = failed.State == TaskState.CheckFailed ? "a check failed" : "the task failed";
        return $"DAG red: {failed.Task.Name} failed ({why}); {ran} ran, {complete} already complete, " +
            $"{notRun} not run. Exit code {ExitCode}.";
    }

    private static string Seconds(TimeSpan t) =>
        t.TotalSeconds.ToString(t.TotalSeconds < 10 ? "0.00 's'" : "0.0 's'", CultureInfo.InvariantCulture);
}
