using System.CommandLine;
using Inspections.Database;

namespace Inspections.Hosting;

/// <summary>Builds the root command and runs a command line; <c>Program</c> and the tests both come through here.</summary>
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
        root.Add(Ingest.IngestCommand.Create(cli));
        root.Add(Cleaning.CleanCommand.Create(cli));
        root.Add(Features.FeaturesCommand.Create(cli));
        root.Add(Training.TrainCommand.Create(cli));
        root.Add(Prediction.PredictCommand.Create(cli));
        root.Add(Serving.StoreApiCommand.Create(cli));
        root.Add(Monitoring.MonitorCommand.Create(cli));
        root.Add(Pipeline.RunCommand.Create(cli));
        root.Add(Pipeline.StatusCommand.Create(cli));
        root.Add(Pipeline.RunsCommand.Create(cli));
        root.Add(Pipeline.DagCommand.Create(cli));
        root.Add(DbCommand.Create(cli));
        root.Add(Api.ServeApiCommand.Create(cli));
        root.Add(Dashboard.ServeDashboardCommand.Create(cli));
        root.Add(Ingest.GenerateSampleCommand.Create(cli));
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
