using System.CommandLine;
using System.CommandLine.Help;
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
            "a pipeline of idempotent tasks over PostgreSQL, from the City's open data to an HTTP API " +
            "and a dashboard.");
        root.Add(cli.Connection);
        root.Add(cli.Verbose);
        // In the order people meet them: the pipeline's verbs, its state, the database, the servers.
        root.Add(IngestCommand.Create(cli, Dag.Ingest));
        root.Add(CleanCommand.Create(cli, Dag.Clean));
        root.Add(FeaturesCommand.Create(cli, Dag.Features));
        root.Add(TrainCommand.Create(cli, Dag.Bias));
        root.Add(PredictCommand.Create(cli, Dag.Predict));
        root.Add(StoreApiCommand.Create(cli, Dag.StoreApi));
        root.Add(EvaluateCommand.Create(cli, Dag.Evaluate));
        root.Add(MonitorCommand.Create(cli, Dag.Monitor));
        root.Add(RunCommand.Create(cli));
        root.Add(StatusCommand.Create(cli, Dag.Definition));
        root.Add(RunsCommand.Create(cli));
        root.Add(ModelsCommand.Create(cli));
        root.Add(DagCommand.Create(cli, Dag.Definition));
        root.Add(DbCommand.Create(cli));
        root.Add(ServeApiCommand.Create(cli));
        root.Add(ServeDashboardCommand.Create(cli, Dag.Walker));
        root.Add(ApiKeyCommand.Create(cli));
        root.Add(GenerateSampleCommand.Create(cli));
        return root;
    }

    /// <summary>Parses and runs a command line; every non-zero exit ends with a line naming its code.</summary>
    public static async Task<int> InvokeAsync(string[] args, Terminal terminal,
        IReadOnlyDictionary<string, string?>? configOverrides = null, CancellationToken ct = default)
    {
        var code = await RunAsync(args, terminal, configOverrides, ct);
        // Cron logs and scripts read the last line: say what the code means there, once, whatever printed before.
        if (code != ExitCodes.Success) terminal.Error.WriteLine($"exit code {code} ({ExitCodes.Name(code)})");
        return code;
    }

    private static async Task<int> RunAsync(
        string[] args,
        Terminal terminal,
        IReadOnlyDictionary<string, string?>? configOverrides,
        CancellationToken ct)
    {
        var cli = new CliContext(terminal, configOverrides ?? new Dictionary<string, string?>());
        var root = CreateRoot(cli);
        var parseResult = root.Parse(args);
        if (parseResult.Action is HelpAction && terminal.Unstamped is { } plain) terminal = plain;
        if (parseResult.Errors.Count > 0)
        {
            foreach (var line in ParseErrors(root, parseResult)) terminal.Error.WriteLine($"error: {line}");
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
            terminal.Error.WriteLine(
                $"error: unexpected {e.GetType().Name}: {e.Message} (this is a bug; details follow)");
            terminal.Error.WriteLine(e.ToString());
            return ExitCodes.Unexpected;
        }
    }

    /// <summary>
    /// The parser's errors, except that a mistyped verb is one line with the verb it most likely meant
    /// (the parser would also say a command is required, which is the same mistake).
    /// </summary>
    private static IEnumerable<string> ParseErrors(RootCommand root, ParseResult parseResult)
    {
        var verbs = root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
        if (parseResult.CommandResult.Command == root
            && parseResult.UnmatchedTokens is [var first, ..]
            && !first.StartsWith('-'))
        {
            var closest = verbs.OrderBy(v => Distance(v, first)).First();
            yield return Distance(closest, first) <= 2
                ? $"'{first}' is not a verb; did you mean '{closest}'?"
                : $"'{first}' is not a verb: {string.Join(", ", verbs)}";
            yield break;
        }
        foreach (var error in parseResult.Errors) yield return error.Message;
    }

    /// <summary>Edits (insert, delete, replace, swap two neighbours) from one word to the other.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
