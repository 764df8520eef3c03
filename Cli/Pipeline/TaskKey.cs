using System.Text;

namespace Inspections.Pipeline;

/// <summary>
/// The stable identity of a task instance: <c>name(k1=v1, k2=v2; check.x=y)</c>, parameters sorted
/// ordinally, then this task's check overrides. An instance is complete when a metadata row carries its key.
/// </summary>
internal static class TaskKey
{
    public static string For(PipelineTask task, CheckOverrides overrides)
    {
        var key = new StringBuilder(Describe(task));
        var own = overrides.For(task.Name);
        if (own.Count > 0)
        {
            key.Length--; // reopen the parenthesis
            key.Append("; ")
                .AppendJoin(", ", own.OrderBy(o => o.Key, StringComparer.Ordinal)
                    .Select(o => $"check.{o.Key}={o.Value}"))
                .Append(')');
        }
        return key.ToString();
    }

    public static string Describe(PipelineTask task) =>
        $"{task.Name}({string.Join(", ", Pairs(task.Parameters))})";

    /// <summary>The parameters as <c>name=value</c>, ordered by name.</summary>
    private static IEnumerable<string> Pairs(IReadOnlyDictionary<string, string> parameters) =>
        parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}");
}
