using System.CommandLine;
using Dapper;
using Inspections.Database;
using Inspections.Hosting;

namespace Inspections.Pipeline;

/// <summary>
/// <c>inspections runs [--limit N]</c>: the run history, newest first, with metadata and check results.
/// </summary>
internal static class RunsCommand
{
    public static Command Create(CliContext cli)
    {
        var limit = new Option<int>("--limit")
        {
            Description = "How many runs to show, newest first",
            DefaultValueFactory = _ => 20,
        };
        // Only a number that parsed is range-checked: reading the value of one that did not throws (the parser
        // reports it).
        limit.Validators.Add(r =>
        {
            if (r.Tokens is [var token] && int.TryParse(token.Value, out var n) && n is < 1 or > 10_000)
                r.AddError("--limit must be between 1 and 10000");
        });
        var task = new Option<string?>("--task") { Description = "Only runs of this task, e.g. predict" };
        var date = PipelineVerb.DateOption();
        date.Description = "Only runs of the task instances of this run date";
        var state = new Option<string?>("--state") { Description = "Only succeeded or failed runs" };
        state.AcceptOnlyFromAmong("succeeded", "failed");
        var command = new Command("runs",
            "The run history: each run's state, metadata and check results; failures with their context")
        {
            limit, task, date, state,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            var settings = cli.LoadSettings(parseResult);
            using var logs = cli.CreateLoggerFactory(parseResult);
            await using var dataSource = await DatabaseConnector.OpenAsync(settings, logs, ct);
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var filter = new RunHistory.Filter(
                parseResult.GetValue(task), parseResult.GetValue(date), parseResult.GetValue(state));
            var runs = await RunHistory.LatestAsync(connection, filter, parseResult.GetValue(limit), ct);
            Print(cli.Terminal.Out, runs, filter);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Print(TextWriter output, IReadOnlyList<RunHistory.Run> runs, RunHistory.Filter filter)
    {
        if (runs.Count == 0)
        {
            output.WriteLine(filter == RunHistory.Filter.None ? "No runs yet." : "No runs match.");
            return;
        }
        foreach (var run in runs)
        {
            var state = run.State == "succeeded" ? "ok    " : "FAILED";
            output.WriteLine(
                $"{run.StartedAt:yyyy-MM-dd HH:mm:ss}Z {state} {run.TaskKey}  {run.DurationMs / 1000:0.00} s" +
                (run.RowsWritten is { } rows ? $", {rows:N0} rows" : ""));
            output.WriteLine($"    run {run.RunId}" + (run.ProductVersion is null
                ? ""
                : $", {run.Host}, {run.OsUser}, v{run.ProductVersion} ({run.ProductCommit})"));
            if (run.Figures is { Length: > 2 }) output.WriteLine($"    figures: {run.Figures}");
            foreach (var check in run.Checks)
                output.WriteLine($"    {(check.Passed ? "pass" : "FAIL")} {check.Assertion}" +
                    (check.Passed ? "" : $"  ({check.Note})"));
            if (run.State != "succeeded" && run.FailureReport is { } report)
                foreach (var line in report.TrimEnd().Split('\n')) output.WriteLine($"    | {line}");
        }
    }
}

/// <summary>Reads the run history (the runs verb and the dashboard share it).</summary>
internal static class RunHistory
{
    public sealed record CheckRow(Guid RunId, string CheckName, bool Passed, string Assertion, string Note);

    public sealed class Run
    {
        public Guid RunId { get; init; }
        public string Task { get; init; } = "";
        public string TaskKey { get; init; } = "";
        public string Parameters { get; init; } = "";
        public string State { get; init; } = "";
        public DateTime StartedAt { get; init; }
        public DateTime FinishedAt { get; init; }
        public double DurationMs => (FinishedAt - StartedAt).TotalMilliseconds;
        public string? Error { get; init; }
        public string? FailureReport { get; init; }
        public long? RowsWritten { get; init; }
        public string? Host { get; init; }
        public string? OsUser { get; init; }
        public string? ProductVersion { get; init; }
        public string? ProductCommit { get; init; }
        public string? Figures { get; init; }
        public List<CheckRow> Checks { get; } = [];
    }

    /// <summary>Which runs to read; a null field does not filter.</summary>
    public sealed record Filter(string? Task, DateOnly? Date, string? State)
    {
        public static Filter None { get; } = new(null, null, null);
    }

    private const string LatestRuns = """
        select r.run_id as RunId, r.task as Task, r.task_key as TaskKey, r.parameters::text as Parameters,
               r.state as State, r.started_at as StartedAt, r.finished_at as FinishedAt, r.error as Error,
               r.failure_report as FailureReport,
               m.rows_written as RowsWritten, m.host as Host, m.os_user as OsUser, m.product_version as ProductVersion,
               m.product_commit as ProductCommit, m.figures::text as Figures
        from pipeline.task_runs r
        left join pipeline.task_metadata m on m.run_id = r.run_id
        where (@task::text is null or r.task = @task)
          and (@date::text is null or r.parameters ->> 'date' = @date)
          and (@state::text is null or r.state = @state)
        order by r.started_at desc, r.finished_at desc
        limit @limit
        """;

    private const string ChecksOfRuns = """
        select run_id as RunId, check_name as CheckName, passed as Passed, assertion as Assertion, note as Note
        from pipeline.check_results where run_id = any(@ids) order by check_name
        """;

    public static Task<IReadOnlyList<Run>> LatestAsync(
        Npgsql.NpgsqlConnection connection,
        int limit,
        CancellationToken ct) =>
        LatestAsync(connection, Filter.None, limit, ct);

    public static async Task<IReadOnlyList<Run>> LatestAsync(
        Npgsql.NpgsqlConnection connection,
        Filter filter,
        int limit,
        CancellationToken ct)
    {
        var parameters = new
        {
            limit,
            task = filter.Task,
            date = filter.Date is { } d ? Dates.Text(d) : null,
            state = filter.State,
        };
        var runs = (await connection.QueryAsync<Run>(
            new CommandDefinition(LatestRuns, parameters, cancellationToken: ct))).ToList();
        var byId = runs.ToDictionary(r => r.RunId);
        var checks = await connection.QueryAsync<CheckRow>(
            new CommandDefinition(ChecksOfRuns, new { ids = byId.Keys.ToArray() }, cancellationToken: ct));
        foreach (var check in checks) byId[check.RunId].Checks.Add(check);
        return runs;
    }
}
