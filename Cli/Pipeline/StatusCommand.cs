using System.CommandLine;
using Inspections.Database;
using Inspections.Hosting;
using Npgsql;

namespace Inspections.Pipeline;

/// <summary>
/// <c>inspections status [--date D]</c>: the DAG for a date as a tree, each instance's state and last run.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(CliContext cli, DagDefinition dag)
    {
        var options = new DagOptions(dag);
        var command = new Command("status",
            "Show the DAG for a date as a tree: each task instance's state (complete, failed, not run) " +
            "and last run; exit code 0 when " +
            $"green, {ExitCodes.TaskFailed} when red, {ExitCodes.Incomplete} when some instance has not run");
        options.AddTo(command);
        command.SetAction(async (parseResult, ct) =>
        {
            var settings = cli.LoadSettings(parseResult);
            using var logs = cli.CreateLoggerFactory(parseResult);
            await using var dataSource = await DatabaseConnector.OpenAsync(settings, logs, ct);
            var (target, overrides) = await options.TargetAsync(parseResult, settings, dataSource, ct);
            var nodes = await DagInspector.LoadAsync(dataSource, target, overrides, ct);
            Print(cli.Terminal.Out, nodes);
            return ExitCode(nodes);
        });
        return command;
    }

    /// <summary>
    /// For scripts and cron: green is 0, red (some instance's latest run failed) is TaskFailed, else Incomplete.
    /// </summary>
    public static int ExitCode(IReadOnlyList<DagNode> nodes) =>
        nodes.Any(n => n.State == DagState.Failed) ? ExitCodes.TaskFailed
        : nodes.Any(n => n.State == DagState.NotRun) ? ExitCodes.Incomplete
        : ExitCodes.Success;

    public static void Print(TextWriter output, IReadOnlyList<DagNode> nodes)
    {
        var byKey = nodes.ToDictionary(n => n.Key);
        var colour = nodes.All(n => n.State == DagState.Complete) ? "green"
            : nodes.Any(n => n.State == DagState.Failed) ? "red" : "incomplete";
        output.WriteLine($"DAG {colour}: {nodes.Count(n => n.State == DagState.Complete)} complete, " +
                         $"{nodes.Count(n => n.State == DagState.Failed)} failed, " +
                         $"{nodes.Count(n => n.State == DagState.NotRun)} not run");
        var width = nodes.Max(n => n.Key.Length) + 2 * nodes.Count;

        var shown = new HashSet<string>(StringComparer.Ordinal);

        // A DAG printed as a tree: an instance needed twice is drawn in full once, then named "(shown above)".
        void Write(DagNode node, string indent, string branch, bool last)
        {
            if (!shown.Add(node.Key))
            {
                output.WriteLine($"{indent}{branch}{node.Key} (shown above)");
                return;
            }
            var label = $"{indent}{branch}{node.Key}";
            var state = node.State switch
            {
                DagState.Complete => "complete",
                DagState.Failed => "FAILED",
                _ => "not run",
            };
            var when = node.LastRunAt is { } at ? $"  last run {at.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z" : "";
            output.WriteLine($"{label.PadRight(Math.Min(width, 110))}  {state,-8}{when}");
            var children = node.UpstreamKeys.Select(k => byKey[k]).ToList();
            var childIndent = indent + (branch.Length == 0 ? "" : last ? "   " : "│  ");
            for (var i = 0; i < children.Count; i++)
                Write(children[i], childIndent, i == children.Count - 1 ? "└─ " : "├─ ",
                    i == children.Count - 1);
        }

        Write(nodes[^1], "", "", true);
    }
}

/// <summary>The options that name a DAG to look at: its date, source, last stage and check overrides.</summary>
internal sealed class DagOptions
{
    private readonly DagDefinition _dag;
    private readonly Option<DateOnly?> _date = PipelineVerb.DateOption();
    private readonly Option<string?> _source = new("--source")
    {
        Description =
            "The source the DAG's tasks were run with; default: the source the database holds, else Ingest:Source",
    };
    private readonly Option<string?> _until;
    private readonly Option<string[]> _check = new("--check")
    {
        Description = "Show the instances run with these check overrides (task.check=value)",
    };

    public DagOptions(DagDefinition dag)
    {
        _dag = dag;
        _until = new("--until")
        {
            Description = $"The last stage to show: {string.Join(", ", dag.Stages)}; default: {dag.Last}",
        };
        _until.AcceptOnlyFromAmong([.. dag.Stages]);
    }

    public void AddTo(Command command)
    {
        command.Add(_date);
        command.Add(_source);
        command.Add(_until);
        command.Add(_check);
    }

    public async Task<(PipelineTask Target, CheckOverrides Overrides)> TargetAsync(
        ParseResult parseResult,
        AppSettings settings,
        NpgsqlDataSource dataSource,
        CancellationToken ct)
    {
        var source = DatabaseSource.Choose(
            parseResult.GetValue(_source), await DatabaseSource.ReadAsync(dataSource, ct), settings);
        var overrides = CheckOverrides.Parse(parseResult.GetValue(_check) ?? [], settings.Configuration);
        return (
            _dag.For(parseResult.GetValue(_until) ?? _dag.Last, PipelineVerb.RunDate(parseResult, _date), source),
            overrides);
    }
}
