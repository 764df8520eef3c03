using System.CommandLine;
using System.Globalization;
using Inspections.Database;
using Inspections.Hosting;
using Npgsql;

namespace Inspections.Pipeline;

/// <summary>What a pipeline verb was asked for (run date, source), with what it runs on.</summary>
internal sealed record PipelineRequest(DateOnly Date, string Source, AppSettings Settings, NpgsqlDataSource DataSource, ParseResult ParseResult);

/// <summary>
/// The options every pipeline verb shares (<c>--date</c>, <c>--source</c>, <c>--check</c>, <c>--force</c>)
/// and the way it runs: open the database, run the target task and what it needs, print the
/// lines and the DAG's colour, return the exit code.
/// </summary>
internal static class PipelineVerb
{
    public static Option<DateOnly> DateOption() => new("--date")
    {
        Description = "The run date, yyyy-MM-dd (Chicago local date); default: today. A past date replays history up to it; a future one is refused",
        DefaultValueFactory = _ => ChicagoToday(),
        CustomParser = result =>
        {
            var date = ParseDate(result.Tokens.Single().Value, result);
            // Nothing can be dated after today: a future run date would only fail tasks later, on a check.
            var today = ChicagoToday();
            if (date > today)
                result.AddError($"--date {date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} is in the future (today in Chicago is {today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)})");
            return date;
        },
    };

    public static DateOnly ParseDate(string text, System.CommandLine.Parsing.ArgumentResult? result = null)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)) return date;
        var message = $"'{text}' is not a date of the form yyyy-MM-dd";
        if (result is null) throw new UserException(ExitCodes.UsageError, message);
        result.AddError(message);
        return default;
    }

    public static DateOnly ChicagoToday()
    {
        try
        {
            var chicago = TimeZoneInfo.FindSystemTimeZoneById("America/Chicago");
            return DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, chicago));
        }
        catch (TimeZoneNotFoundException)
        {
            return DateOnly.FromDateTime(DateTime.UtcNow);
        }
    }

    public static Command Create(CliContext cli, string name, string description,
        Func<PipelineRequest, PipelineTask> target,
        Func<PipelineRequest, RunReport, CancellationToken, Task<int>>? afterRun = null,
        params Option[] extraOptions)
    {
        var date = DateOption();
        var source = new Option<string?>("--source")
        {
            Description = "Where inspections come from: socrata (the live portal), a portal CSV export, or a saved SODA JSON file; default: the source the database holds, else Ingest:Source",
        };
        var check = new Option<string[]>("--check")
        {
            Description = "Override a check threshold for this run, task.check=value (repeatable), e.g. predict.max_score=1",
            AllowMultipleArgumentsPerToken = false,
        };
        var force = new Option<bool>("--force") { Description = "Run the target task again even if complete (its upstream is not re-run)" };
        var command = new Command(name, description) { date, source, check, force };
        foreach (var option in extraOptions) command.Add(option);

        command.SetAction(async (parseResult, ct) =>
        {
            var settings = cli.LoadSettings(parseResult);
            var overrides = CheckOverrides.Parse(parseResult.GetValue(check) ?? [], settings.Configuration);
            var runDate = parseResult.GetValue(date);
            using var logs = cli.CreateLoggerFactory(parseResult);
            // A batch job's statements take as long as the data needs (a million rows, a lock another run holds);
            // cancellation (Ctrl+C, SIGTERM) still stops them.
            await using var dataSource = await DatabaseConnector.OpenAsync(settings, logs, ct, connectionOptions: "Command Timeout=0");
            var runSource = DatabaseSource.Choose(parseResult.GetValue(source), await DatabaseSource.ReadAsync(dataSource, ct), settings);
            var request = new PipelineRequest(runDate, runSource, settings, dataSource, parseResult);
            var runner = new TaskRunner(dataSource, settings, overrides, cli.Terminal, logs);
            var report = await runner.RunAsync(target(request), parseResult.GetValue(force), ct);
            cli.Terminal.Out.WriteLine(report.Summary());
            if (!report.IsGreen || afterRun is null) return report.ExitCode;
            return await afterRun(request, report, ct);
        });
        return command;
    }

    /// <summary>"socrata", or a file that must exist (stored as a full path: it is part of the task's identity).</summary>
    public static string ResolveSource(string source)
    {
        if (source == "socrata") return source;
        var path = Path.GetFullPath(source);
        if (!File.Exists(path))
            throw new UserException(ExitCodes.UsageError, $"--source '{source}': no such file (give a portal CSV export, a saved SODA JSON file, or socrata)");
        return path;
    }
}
