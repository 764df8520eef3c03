using System.CommandLine;
using Inspections.Database;
using Inspections.Hosting;
using Inspections.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Inspections.Dashboard;

/// <summary><c>inspections serve-dashboard [--urls URL]</c>: the monitoring dashboard, until Ctrl+C.</summary>
internal static class ServeDashboardCommand
{
    /// <param name="dag">
    /// Reads the DAG of a run date from the database (the composition root wires the pipeline's).
    /// </param>
    public static Command Create(
        CliContext cli,
        Func<NpgsqlDataSource, AppSettings, Func<DateOnly, CancellationToken, Task<IReadOnlyList<DagNode>>>> dag)
    {
        var urls = new Option<string?>("--urls")
        {
            Description = "Where to listen, e.g. http://127.0.0.1:8050; default: Dashboard:Urls",
        };
        var command = new Command("serve-dashboard",
            "Serve the monitoring dashboard (score distributions, drift, DAG, runs, model card, bias audit)")
        {
            urls,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            var settings = cli.LoadSettings(parseResult);
            var dashboard = settings.Bind<DashboardSettings>("Dashboard");
            dashboard.Monitoring = Monitoring.MonitoringSettings.From(settings);
            var listenOn = parseResult.GetValue(urls) is { Length: > 0 } given ? given : dashboard.Urls;
            // Before the database: a bad --urls, or the network without keys, is the user's to fix whatever the
            // database says.
            ListenUrls.Check(listenOn, ApiKeys.From(dashboard.Keys, DashboardHost.KeySetting),
                DashboardHost.KeySetting);
            using var logs = cli.CreateLoggerFactory(parseResult);
            WebHostDefaults.WarnIfRoot(logs, "serve-dashboard");
            await using var dataSource = await DatabaseConnector.OpenAsync(settings, logs, ct, DatabaseRole.Dashboard);
            var readDag = dag(dataSource, settings);
            await using var app = DashboardHost.Create(listenOn, dataSource, readDag, dashboard, logs);
            try
            {
                await app.StartAsync(ct);
            }
            catch (IOException e)
            {
                throw new UserException(ExitCodes.UsageError, $"cannot listen on {listenOn}: {e.Message}", e);
            }
            var addresses = app.Services.GetRequiredService<IServer>()
                .Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var keys = app.Services.GetRequiredService<ApiKeys>();
            cli.Terminal.Out.WriteLine(
                $"Dashboard listening on {string.Join(", ", addresses)} (metrics at {HttpMetrics.Path}; " +
                $"{(keys.Count == 0
                    ? "no API keys: loopback only"
                    : $"API keys required: {string.Join(", ", keys.Names)}")}); Ctrl+C stops it");
            await app.WaitForShutdownAsync(ct);
            return ExitCodes.Success;
        });
        return command;
    }
}
