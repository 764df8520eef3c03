using System.CommandLine;
using System.Globalization;
using Inspections.Database;
using Inspections.Hosting;
using Npgsql;

namespace Inspections.Pipeline;

/// <summary>What a pipeline verb was asked for (run date, source), with what it runs on.</summary>
internal sealed record PipelineRequest(
    DateOnly Date,
    string Source,
    AppSettings Settings,
    NpgsqlDataSource DataSource,
    ParseResult ParseResult);

/// <summary>
/// The options every pipeline verb shares (<c>--date</c>, <c>--source</c>, <c>--check</c>, <c>--force</c>)
/// and the way it runs: open the database, run the target task and what it needs, print the
/// lines and the DAG's colour, return the exit code.
/// </summary>
internal static class PipelineVerb
{
    /// <summary>
    /// <c>--date</c>, null when not given (read it through <see cref="RunDate"/>): a default value would be printed
    /// in the help in the machine's culture (12/01/2026), and "today" is what the help should say.
    /// </summary>
    public static Option<DateOnly?> DateOption(string name = "--date") => new(name)
    {
        Description = "The run date (Chicago local date); default: today. " +
            "A past date replays history up to it; a future one is refused",
        HelpName = "yyyy-MM-dd",
        CustomParser = result =>
        {
            if (!Dates.TryParse(result.Tokens.Single().Value, out var date, out var problem))
            {
                result.AddError($"{name} {problem}");
                return default;
            }
            // Nothing can be dated after today: a future run date would only fail tasks later, on a check.
            var today = Dates.ChicagoToday();
            if (date > today)
                result.AddError(
                    $"{name} {Dates.Text(date)} is in the future (today in Chicago is {Dates.Text(today)})");
            return date;
        },
    };

    public static DateOnly RunDate(ParseResult parseResult, Option<DateOnly?> option) =>
        parseResult.GetValue(option) ?? Dates.ChicagoToday();

    /// <param name="dates">The run dates to run one after the other, from the command line and its <c>--date</c>
    /// (default: that date alone); the first date that does not exit 0 stops the rest, and its exit code is the
    /// verb's.</param>
    public static Command Create(CliContext cli, string name, string description,
        Func<PipelineRequest, PipelineTask> target,
        Func<PipelineRequest, RunReport, CancellationToken, Task<int>>? afterRun = null,
        Func<ParseResult, DateOnly, IReadOnlyList<DateOnly>>? dates = null,
        params Option[] extraOptions)
    {
        var date = DateOption();
        var source = new Option<string?>("--source")
        {
            Description = "Where inspections come from: socrata (the live portal), a portal CSV export, " +
                "or a saved SODA JSON file; default: the source the database holds, else Ingest:Source",
        };
        var check = new Option<string[]>("--check")
        {
            Description =
                "Override a check threshold for this run, task.check=value (repeatable), e.g. predict.max_score=1",
            AllowMultipleArgumentsPerToken = false,
        };
        var force = new Option<bool>("--force")
        {
            Description = "Run the target task again even if complete (its upstream is not re-run)",
        };
        var command = new Command(name, description) { date, source, check, force };
        foreach (var option in extraOptions) command.Add(option);

        command.SetAction(async (parseResult, ct) =>
        {
            var settings = cli.LoadSettings(parseResult);
            var overrides = CheckOverrides.Parse(parseResult.GetValue(check) ?? [], settings.Configuration);
            var runDates = dates?.Invoke(parseResult, RunDate(parseResult, date)) ?? [RunDate(parseResult, date)];
            using var logs = cli.CreateLoggerFactory(parseResult);
            // A batch job's statements take as long as the data needs (a million rows, a lock another run holds);
            // cancellation (Ctrl+C, SIGTERM) still stops them.
            await using var dataSource =
                await DatabaseConnector.OpenAsync(settings, logs, ct, connectionOptions: "Command Timeout=0");
            var runSource = DatabaseSource.Choose(
                parseResult.GetValue(source), await DatabaseSource.ReadAsync(dataSource, ct), settings);
            for (var i = 0; i < runDates.Count; i++)
            {
                if (runDates.Count > 1)
                    cli.Terminal.Out.WriteLine($"== {Dates.Text(runDates[i])} ({i + 1} of {runDates.Count})");
                var request = new PipelineRequest(runDates[i], runSource, settings, dataSource, parseResult);
                var runner = new TaskRunner(dataSource, settings, overrides, cli.Terminal, logs);
                var report = await runner.RunAsync(target(request), parseResult.GetValue(force), ct);
                cli.Terminal.Out.WriteLine(report.Summary());
                var code = !report.IsGreen || afterRun is null ? report.ExitCode : await afterRun(request, report, ct);
                if (code == ExitCodes.Success) continue;
                if (i + 1 < runDates.Count)
                    cli.Terminal.Out.WriteLine(
                        $"Stopped at {Dates.Text(runDates[i])}: {runDates.Count - i - 1} later dates not run; " +
                        "run the same command again to go on from there (completed dates are skipped).");
                return code;
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// "socrata", or a file that must exist (stored as a full path: it is part of the task's identity).
    /// </summary>
    public static string ResolveSource(string source)
    {
        if (source == "socrata") return source;
        var path = Path.GetFullPath(source);
        if (!File.Exists(path))
            throw new UserException(ExitCodes.UsageError,
                $"--source '{source}': no such file (give a portal CSV export, a saved SODA JSON file, or socrata)");
        return path;
    }
}
