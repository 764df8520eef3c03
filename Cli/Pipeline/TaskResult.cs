using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Inspections.Pipeline;

/// <summary>
/// What a task's body wrote, as a record its checks receive. Its public properties, named in snake_case,
/// are the run's metadata figures (<c>pipeline.task_metadata.figures</c>) and the locals a failed check
/// prints; a property marked <see cref="JsonIgnoreAttribute"/> is for the checks only.
/// </summary>
internal abstract record TaskResult
{
    /// <summary>
    /// Rows the body wrote: the headline figure of the run line and the metadata's <c>rows_written</c>.
    /// </summary>
    [JsonIgnore]
    public abstract long RowsWritten { get; }

    /// <summary>The figures, by snake_case name, in declaration order.</summary>
    public virtual IReadOnlyDictionary<string, object?> Figures()
    {
        var figures = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<JsonIgnoreAttribute>() is not null
                || property.GetIndexParameters().Length > 0)
                continue;
            figures[JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name)] = property.GetValue(this);
        }
        return figures;
    }
}
