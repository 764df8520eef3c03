using System.Text;

namespace Inspections.Pipeline;

/// <summary>
/// The context printed when a run fails, in the spirit of marbles: which instance and check, the
/// assertion with expected and actual values, the locals (parameters and figures), the note filled
/// in, and the keys of the offending rows. The same text is stored with the failed run.
/// </summary>
internal static class FailureReport
{
    public static string ForChecks(PipelineTask task, string key, IReadOnlyList<CheckResult> failed, int checkCount)
    {
        var text = new StringBuilder();
        foreach (var check in failed)
        {
            text.AppendLine($"FAIL: {check.Name} ({key})");
            text.AppendLine($"  Assertion: {check.Assertion}");
            text.AppendLine($"  Expected:  {check.Expected}");
            text.AppendLine($"  Actual:    {check.Actual}");
            text.AppendLine("  Locals:");
            var width = check.Locals.Keys.DefaultIfEmpty("").Max(k => k.Length);
            foreach (var (name, value) in check.Locals)
                text.AppendLine($"    {name.PadRight(width)} = {CheckSet.Format(value)}");
            text.AppendLine($"  Note:      {check.Note}");
            if (check.OffendingKeys.Count > 0)
                text.AppendLine(
                    $"  Offending rows (first {check.OffendingKeys.Count}): {string.Join(", ", check.OffendingKeys)}");
        }
        text.AppendLine($"  => {failed.Count} of {checkCount} checks failed for {task.Name}: " +
            "the run was rolled back, no metadata was written.");
        return text.ToString();
    }

    public static string ForException(PipelineTask task, string key, Exception e) =>
        $"""
        ERROR: {key}
          {e.GetType().Name}: {e.Message}
          => {task.Name} threw: the run was rolled back, no metadata was written. {StackTraceHint}

        """;

    private const string StackTraceHint = "Run with --verbose for the stack trace.";
}
