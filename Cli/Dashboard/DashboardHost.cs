using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Inspections.Database;
using Inspections.Hosting;
using Inspections.Monitoring;
using Inspections.Pipeline;
using Prometheus;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Npgsql;

namespace Inspections.Dashboard;

/// <summary>The <c>Dashboard</c> section of appsettings.json.</summary>
internal sealed class DashboardSettings
{
    /// <summary>Where Kestrel listens; loopback only: people reach it through SSH port forwarding.</summary>
    public string Urls { get; set; } = "";

    /// <summary>How many runs of the date shown the run history section lists, newest first.</summary>
    public int RecentRuns { get; set; }

    /// <summary>
    /// The API keys accepted, name to SHA-256, as <c>Api:Keys</c>; with any, every page needs one but <c>/health</c>.
    /// </summary>
    public Dictionary<string, string> Keys { get; set; } = [];

    /// <summary>How many runs "all runs" lists, newest first.</summary>
    public int AllRuns { get; set; }

    /// <summary>
    /// Bias audit groups smaller than this are too small to say anything: shown muted, never highlighted.
    /// </summary>
    public int BiasMinGroupSize { get; set; }

    /// <summary>
    /// The margins below validation the performance charts draw (the <c>Monitoring</c> section, not this one).
    /// </summary>
    public MonitoringSettings Monitoring { get; set; } = new();
}

/// <summary>
/// Builds the dashboard's web app (the serve-dashboard verb runs it; tests host the same factory).
/// It only reads: give it a read-only data source.
/// </summary>
internal static class DashboardHost
{
    public const string ApplicationName = "inspections-dashboard";

    public const string KeySetting = "Dashboard:Keys";

    /// <summary>
    /// A browser cannot add a header to a page it opens, but it shows its own login prompt for a Basic challenge and
    /// then sends what was typed in a header with every request (never in the URL, so never in a log): the user name
    /// is free, the password is the key. Scripts send the key as for the API.
    /// </summary>
    private static readonly string[] Challenges =
    [
        $"Basic realm=\"{ApplicationName}\", charset=\"UTF-8\"",
        $"Bearer realm=\"{ApplicationName}\"",
    ];

    /// <param name="dag">The task instances of the DAG for a run date, with their states.</param>
    public static WebApplication Create(
        string urls,
        NpgsqlDataSource dataSource,
        Func<DateOnly, CancellationToken, Task<IReadOnlyList<DagNode>>> dag,
        DashboardSettings settings,
        ILoggerFactory logs)
    {
        var builder = WebHostDefaults.CreateBuilder(ApplicationName, urls, ApiKeys.From(settings.Keys, KeySetting),
            KeySetting, logs);
        // The page is Razor components rendered on the server (RazorComponentResult); they encode text with
        // PageEncoder.
        builder.Services.AddRazorComponents();
        builder.Services.AddSingleton<HtmlEncoder, PageEncoder>();
        var app = builder.Build();
        app.UseWebHostDefaults(DatabaseErrors.IsUnavailable, Challenges, path => path == "/health");
        // A database that is down is the server's state, not a bug: a page that says so, and the next request tries
        // again. The reader logged why, once per outage; the exception handler would log every request.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception e) when (DatabaseErrors.IsUnavailable(e) && !context.Response.HasStarted)
            {
                context.Response.Clear();
                context.Response.Headers.RetryAfter = "60";
                await new RazorComponentResult<UnavailablePage>
                {
                    StatusCode = StatusCodes.Status503ServiceUnavailable,
                }.ExecuteAsync(context);
            }
        });

        var log = logs.CreateLogger("Dashboard");
        if (!DashboardCharts.FontInstalled())
            log.LogWarning(
                "font '{Font}' is not installed: charts will have no text " +
                "(install the Debian package fonts-dejavu-core)",
                DashboardCharts.FontFamily);
        app.MapDashboard(new DashboardReader(dataSource, dag, settings, log));
        app.MapGet("/health", () => TypedResults.Text("up"));
        AddMonitoredMetrics(app.Services.GetRequiredService<HttpMetrics>(), dataSource, log);
        return app;
    }

    /// <summary>
    /// What the dashboard shows first, read at each scrape: the latest monitored date with its model and drift status
    /// (an info series), its PSI, and whether the database answered the scrape.
    /// </summary>
    private static void AddMonitoredMetrics(HttpMetrics metrics, NpgsqlDataSource dataSource, ILogger log)
    {
        var info = metrics.Factory.CreateGauge("inspections_dashboard_monitored_info",
            "1 for the latest monitored date, its model and its drift status (ok, warn, alert).",
            ["monitor_date", "model_id", "status"]);
        var psi = metrics.Factory.CreateGauge("inspections_dashboard_monitored_psi",
            "PSI of the latest monitored date's scores against the reference.");
        var up = metrics.Factory.CreateGauge("inspections_dashboard_database_up",
            "1 when the database answered this scrape, else 0.");
        string[]? shown = null;
        var gate = new SemaphoreSlim(1, 1);
        metrics.Registry.AddBeforeCollectCallback(async ct =>
        {
            await gate.WaitAsync(ct);
            try
            {
                string[]? now = null;
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(ct);
                    var latest = (await DriftHistory.AllAsync(connection, ct)).LastOrDefault();
                    if (latest is not null)
                    {
                        now = [Dates.Text(latest.MonitorDate), latest.ModelId, latest.Status];
                        psi.Set(latest.Psi);
                    }
                    up.Set(1);
                }
                catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
                {
                    // The page says so, and the reader logs it once per outage; the scrape says it with
                    // database_up 0.
                    up.Set(0);
                    now = shown;
                }
                if (shown is not null && (now is null || !shown.SequenceEqual(now))) info.RemoveLabelled(shown);
                if (now is not null) info.WithLabels(now).Set(1);
                shown = now;
            }
            finally
            {
                gate.Release();
            }
        });
    }

    public const string StylesheetPath = "/dashboard.css";

    // Embedded, so the page looks the same wherever the executable runs from; its hash is its ETag.
    private static readonly byte[] Stylesheet = ReadStylesheet();
    private static readonly EntityTagHeaderValue StylesheetTag =
        new($"\"{Convert.ToHexStringLower(SHA256.HashData(Stylesheet))[..16]}\"");

    public static RouteGroupBuilder MapDashboard(this IEndpointRouteBuilder routes, DashboardReader reader)
    {
        var group = routes.MapGroup("");
        // ?runs=all lists every run instead of the date's.
        group.MapGet("/", async (string? date, string? runs, CancellationToken ct) =>
        {
            var (status, view) = await reader.PageAsync(date, runs == "all", ct);
            return new RazorComponentResult<DashboardPage>(
                new Dictionary<string, object?> { [nameof(DashboardPage.View)] = view })
            {
                StatusCode = status,
            };
        });
        group.MapGet(StylesheetPath,
            () => TypedResults.Bytes(Stylesheet, "text/css; charset=utf-8", entityTag: StylesheetTag));
        group.MapGet("/charts/scores.svg",
            (string? date, CancellationToken ct) => reader.ScoresChartAsync(date, png: false, ct));
        group.MapGet("/charts/scores.png",
            (string? date, CancellationToken ct) => reader.ScoresChartAsync(date, png: true, ct));
        group.MapGet("/charts/drift.svg",
            (string? date, CancellationToken ct) => reader.DriftChartAsync(date, png: false, ct));
        group.MapGet("/charts/drift.png",
            (string? date, CancellationToken ct) => reader.DriftChartAsync(date, png: true, ct));
        group.MapGet("/charts/dag.svg", (string? date, CancellationToken ct) => reader.DagChartAsync(date, ct));
        return group;
    }

    private static byte[] ReadStylesheet()
    {
        using var stream = typeof(DashboardHost).Assembly.GetManifestResourceStream("dashboard.css")
            ?? throw new InvalidOperationException("the build did not embed dashboard.css");
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return bytes.ToArray();
    }
}
