using System.CommandLine;
using Dapper;
using Inspections.Database;
using Inspections.Hosting;
using Inspections.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Inspections.Dashboard;

/// <summary><c>inspections serve-dashboard [--urls URL]</c>: the monitoring dashboard, until Ctrl+C.</summary>
internal static class ServeDashboardCommand
{
    /// <param name="dag">Reads the DAG of a run date from the database; by default, the task instances that ran for it.</param>
    public static Command Create(CliContext cli,
        Func<NpgsqlDataSource, Func<DateOnly, CancellationToken, Task<IReadOnlyList<DagNode>>>>? dag = null)
    {
        var urls = new Option<string?>("--urls")
        {
            Description = "Where to listen, e.g. http://127.0.0.1:8050; default: Dashboard:Urls",
        };
        var command = new Command("serve-dashboard", "Serve the monitoring dashboard (score distributions, drift, DAG, runs, model card, bias audit)") { urls };
        command.SetAction(async (parseResult, ct) =>
        {
            var settings = cli.LoadSettings(parseResult);
            var dashboard = settings.Bind<DashboardSettings>("Dashboard");
            using var logs = cli.CreateLoggerFactory(parseResult);
            await using var dataSource = await DatabaseConnector.OpenAsync(settings, logs, ct, readOnly: true);
            var readDag = (dag ?? RanForDate)(dataSource);
            var listenOn = parseResult.GetValue(urls) is { Length: > 0 } given ? given : dashboard.Urls;
            await using var app = DashboardHost.Create(listenOn, dataSource, readDag, dashboard, logs);
            try
            {
                await app.StartAsync(ct);
            }
            catch (IOException e)
            {
                throw new UserException(ExitCodes.UsageError, $"cannot listen on {listenOn}: {e.Message}", e);
            }
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            cli.Terminal.Out.WriteLine($"Dashboard listening on {string.Join(", ", addresses)} (Ctrl+C stops it)");
            await app.WaitForShutdownAsync(ct);
            return ExitCodes.Success;
        });
        return command;
    }

    private const string RunsOfDate = """
        select distinct on (r.task_key) r.task_key as Key, r.task as Task, r.state as State, r.finished_at as FinishedAt,
               exists (select 1 from pipeline.task_metadata m where m.task_key = r.task_key) as Complete
        from pipeline.task_runs r
        where r.parameters ->> 'date' = @date
        order by r.task_key, r.started_at desc
        """;

    private sealed record RanRow(string Key, string Task, string State, DateTime FinishedAt, bool Complete);

    /// <summary>The task instances that ran for a date (no edges: the run history does not record them).</summary>
    private static Func<DateOnly, CancellationToken, Task<IReadOnlyList<DagNode>>> RanForDate(NpgsqlDataSource dataSource) =>
        async (date, ct) =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var rows = await connection.QueryAsync<RanRow>(new CommandDefinition(RunsOfDate,
                new { date = date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) }, cancellationToken: ct));
            return rows.OrderBy(r => r.FinishedAt)
                .Select(r => new DagNode(r.Key, r.Task, r.Complete ? DagState.Complete : r.State == "failed" ? DagState.Failed : DagState.NotRun,
                    [], DateTime.SpecifyKind(r.FinishedAt, DateTimeKind.Utc)))
                .ToList();
        };
}
