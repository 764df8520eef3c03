using System.CommandLine;
using Inspections.Database;
using Inspections.Hosting;

namespace Inspections.Pipeline;

/// <summary><c>inspections dag [--date D] --svg FILE</c>: the DAG as a picture, nodes coloured by state.</summary>
internal static class DagCommand
{
    public static Command Create(CliContext cli, DagDefinition dag)
    {
        var options = new DagOptions(dag);
        var svg = new Option<FileInfo>("--svg") { Description = "The SVG file to write", Required = true };
        var command = new Command("dag",
            "Draw the DAG for a date as an SVG picture: green complete, red failed, grey not run")
        {
            svg,
        };
        options.AddTo(command);
        command.SetAction(async (parseResult, ct) =>
        {
            var settings = cli.LoadSettings(parseResult);
            using var logs = cli.CreateLoggerFactory(parseResult);
            var file = parseResult.GetValue(svg)!;
            if (file.Directory is { Exists: false } folder)
                throw new UserException(ExitCodes.UsageError, $"--svg: the folder {folder.FullName} does not exist");
            await using var dataSource = await DatabaseConnector.OpenAsync(settings, logs, ct);
            var (target, overrides) = await options.TargetAsync(parseResult, settings, dataSource, ct);
            var nodes = await DagInspector.LoadAsync(dataSource, target, overrides, ct);
            await File.WriteAllTextAsync(file.FullName, DagSvg.Render(nodes), ct);
            cli.Terminal.Out.WriteLine($"Wrote {file.FullName}: {nodes.Count} tasks, " +
                $"{nodes.Count(n => n.State == DagState.Complete)} complete, " +
                $"{nodes.Count(n => n.State == DagState.Failed)} failed, " +
                $"{nodes.Count(n => n.State == DagState.NotRun)} not run.");
            return ExitCodes.Success;
        });
        return command;
    }
}
