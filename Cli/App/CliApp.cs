using System.CommandLine;
using Inspections.Api;
using Inspections.Cleaning;
using Inspections.Dashboard;
using Inspections.Database;
using Inspections.Features;
using Inspections.Hosting;
using Inspections.Ingest;
using Inspections.Monitoring;
using Inspections.Pipeline;
using Inspections.Prediction;
using Inspections.Serving;
using Inspections.Training;

namespace Inspections.App;

/// <summary>
/// The composition root: builds the root command with every verb, wired to the pipeline's DAG
/// (<see cref="Dag"/>), and runs a command line. <c>Program</c> and the tests both come through here;
/// nothing else in the product refers to this folder.
/// </summary>
internal static class CliApp
{
    public static RootCommand CreateRoot(CliContext cli)
    {
        var root = new RootCommand(
            "Predicts which Chicago food establishments will fail their next health inspection: " +
            "a pipeline of idempotent tasks over PostgreSQL, from the City's open data to an HTTP API and a dashboard.");
        root.Add(cli.Connection);
        root.Add(cli.Verbose);
        // In the order people meet them: the pipeline's verbs, its state, the database, the servers.
        root.Add(IngestCommand.Create(cli, Dag.Ingest));
        root.Add(CleanCommand.Create(cli, Dag.Clean));
        root.Add(FeaturesCommand.Create(cli, Dag.Features));
        root.Add(TrainCommand.Create(cli, Dag.Bias));
        root.Add(PredictCommand.Create(cli, Dag.Predict));
        root.Add(StoreApiCommand.Create(cli, Dag.StoreApi));
        root.Add(MonitorCommand.Create(cli, Dag.Monitor));
        root.Add(RunCommand.Create(cli));
        root.Add(StatusCommand.Create(cli, Dag.Definition));
        root.Add(RunsCommand.Create(cli));
        root.Add(DagCommand.Create(cli, Dag.Definition));
        root.Add(DbCommand.Create(cli));
        root.Add(ServeApiCommand.Create(cli));
        root.Add(ServeDashboardCommand.Create(cli, Dag.Walker));
        root.Add(GenerateSampleCommand.Create(cli));
        return root;
    }

    public static async Task<int> InvokeAsync(string[] args, Terminal terminal,
        IReadOnlyDictionary<string, string?>? configOverrides = null, CancellationToken ct = default)
    {
        var cli = new CliContext(terminal, configOverrides ?? new Dictionary<string, string?>());
        var parseResult = CreateRoot(cli).Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors) terminal.Error.WriteLine($"error: {error.Message}");
            terminal.Error.WriteLine("Run 'inspections --help' for usage.");
            return ExitCodes.UsageError;
        }

        try
        {
            var invocation = new InvocationConfiguration
            {
                Output = terminal.Out,
                Error = terminal.Error,
                EnableDefaultExceptionHandler = false,
            };
            return await parseResult.InvokeAsync(invocation, ct);
        }
        catch (UserException e)
        {
            terminal.Error.WriteLine($"error: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            terminal.Error.WriteLine("error: cancelled");
            return ExitCodes.Unexpected;
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            terminal.Error.WriteLine($"error: database unavailable: {DatabaseErrors.Describe(e)}");
            return ExitCodes.DatabaseUnavailable;
        }
        catch (Exception e)
        {
            terminal.Error.WriteLine($"error: unexpected {e.GetType().Name}: {e.Message} (this is a bug; details follow)");
            terminal.Error.WriteLine(e.ToString());
            return ExitCodes.Unexpected;
        }
    }
}
