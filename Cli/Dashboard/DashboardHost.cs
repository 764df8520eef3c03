using System.Text;
using Inspections.Database;
using Inspections.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Inspections.Dashboard;

/// <summary>The <c>Dashboard</c> section of appsettings.json.</summary>
internal sealed class DashboardSettings
{
    /// <summary>Where Kestrel listens; loopback only: people reach it through SSH port forwarding.</summary>
    public string Urls { get; set; } = "";

    /// <summary>How many runs the run history section shows, newest first.</summary>
    public int RecentRuns { get; set; }
}

/// <summary>
/// Builds the dashboard's web app (the serve-dashboard verb runs it; tests host the same factory).
/// It only reads: give it a read-only data source.
/// </summary>
internal static class DashboardHost
{
    /// <param name="dag">The task instances of the DAG for a run date, with their states.</param>
    public static WebApplication Create(string urls, NpgsqlDataSource dataSource,
        Func<DateOnly, CancellationToken, Task<IReadOnlyList<DagNode>>> dag, DashboardSettings settings, ILoggerFactory logs)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "inspections-dashboard",
            // Never Development, whatever the machine's environment variables say: that would send stack traces to clients.
            EnvironmentName = "Production",
            Args = [],
        });
        builder.WebHost.UseUrls(urls);
        builder.Services.AddSingleton(logs);
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
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
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "60";
                context.Response.ContentType = "text/html; charset=utf-8";
                await context.Response.WriteAsync(DashboardPage.Unavailable(), context.RequestAborted);
            }
        });

        var log = logs.CreateLogger("Dashboard");
        if (!DashboardCharts.FontInstalled())
            log.LogWarning("font '{Font}' is not installed: charts will have no text (install the Debian package fonts-dejavu-core)",
                DashboardCharts.FontFamily);
        app.MapDashboard(new DashboardReader(dataSource, dag, settings.RecentRuns, log));
        return app;
    }

    public static RouteGroupBuilder MapDashboard(this IEndpointRouteBuilder routes, DashboardReader reader)
    {
        var group = routes.MapGroup("");
        group.MapGet("/", async (string? date, CancellationToken ct) =>
        {
            var (status, html) = await reader.PageAsync(date, ct);
            return TypedResults.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
        });
        group.MapGet("/charts/scores.svg", (string? date, CancellationToken ct) => reader.ScoresChartAsync(date, png: false, ct));
        group.MapGet("/charts/scores.png", (string? date, CancellationToken ct) => reader.ScoresChartAsync(date, png: true, ct));
        group.MapGet("/charts/drift.svg", (string? date, CancellationToken ct) => reader.DriftChartAsync(date, png: false, ct));
        group.MapGet("/charts/drift.png", (string? date, CancellationToken ct) => reader.DriftChartAsync(date, png: true, ct));
        group.MapGet("/charts/dag.svg", (string? date, CancellationToken ct) => reader.DagChartAsync(date, ct));
        return group;
    }
}
