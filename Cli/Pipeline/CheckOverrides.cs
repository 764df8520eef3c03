using System.Globalization;
using Inspections.Hosting;
using Microsoft.Extensions.Configuration;

namespace Inspections.Pipeline;

/// <summary>
/// Check thresholds overridden for one run with <c>--check task.name=value</c>. An override is part of
/// its task's identity, so a run with a different threshold is a different instance.
/// </summary>
internal sealed class CheckOverrides
{
    private readonly Dictionary<string, Dictionary<string, double>> _byTask;

    private CheckOverrides(Dictionary<string, Dictionary<string, double>> byTask) => _byTask = byTask;

    public static CheckOverrides None { get; } = new([]);

    public IReadOnlyDictionary<string, double> For(string task) =>
        _byTask.TryGetValue(task, out var own) ? own : new Dictionary<string, double>();

    /// <summary>
    /// Parses <c>task.name=value</c> items; each must name a check configured under <c>Checks:task:name</c>.
    /// </summary>
    public static CheckOverrides Parse(IEnumerable<string> items, IConfiguration configuration)
    {
        var byTask = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var equals = item.IndexOf('=');
            var dot = equals > 0 ? item.LastIndexOf('.', equals) : -1;
            if (dot <= 0 || dot == equals - 1)
                throw new UserException(ExitCodes.UsageError,
                    $"--check '{item}' is not of the form task.check=value (e.g. predict.max_score=1)");
            var (task, name, text) = (item[..dot], item[(dot + 1)..equals], item[(equals + 1)..]);
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                throw new UserException(ExitCodes.UsageError, $"--check '{item}': '{text}' is not a number");
            if (configuration[$"Checks:{task}:{name}"] is null)
            {
                var known = configuration.GetSection("Checks").GetChildren()
                    .SelectMany(t => t.GetChildren().Select(c => $"{t.Key}.{c.Key}"));
                throw new UserException(ExitCodes.UsageError,
                    $"--check '{item}': no check threshold {task}.{name} is configured " +
                    $"(known: {string.Join(", ", known)})");
            }
            if (!byTask.TryGetValue(task, out var own)) byTask[task] = own = new(StringComparer.Ordinal);
            own[name] = value;
        }
        return new CheckOverrides(byTask);
    }
}
