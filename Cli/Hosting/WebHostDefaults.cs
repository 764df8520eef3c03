using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Inspections.Hosting;

/// <summary>
/// What the two web hosts (serve-api, serve-dashboard) share: how they are built, log, listen and answer errors.
/// Both listen on loopback and are reached through SSH port forwarding, or through a proxy on the same machine.
/// </summary>
internal static class WebHostDefaults
{
    /// <param name="applicationName">What OpenAPI and the host call the app (without it: "testhost" under the tests).</param>
    /// <param name="logs">The verb's logger factory: the host logs the way every command does, one line on stderr.</param>
    public static WebApplicationBuilder CreateBuilder(string applicationName, string urls, ILoggerFactory logs)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = applicationName,
            // Never Development, whatever the machine's environment variables say: that would send stack traces to clients.
            EnvironmentName = "Production",
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Every endpoint is a GET: nothing reads a body. Request lines and headers keep Kestrel's limits (8 KiB, 32 KiB).
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            // A client that takes longer than this to send its headers is holding a connection, not asking something.
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            // A 2-core VM: past this, new connections wait in the backlog rather than share the CPU ever thinner.
            kestrel.Limits.MaxConcurrentConnections = 1024;
        });

        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(logs);
        builder.Services.AddProblemDetails();
        // Behind an SSH tunnel requests come from loopback with no forwarding headers; behind a proxy on the same
        // machine (HAProxy terminating TLS) it says who asked and over what. Only loopback proxies are believed (the
        // framework's default KnownProxies/KnownIPNetworks), and only their one hop.
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.ForwardLimit = 1;
        });
        return builder;
    }

    /// <summary>
    /// The start of both hosts' pipelines, after anything that must see the final status (an access log): forwarded
    /// headers, an exception as a 500 problem without a stack trace (503 when <paramref name="unavailable"/> says a
    /// dependency is down: the server's state, not a bug, and the client may retry), and a bare error status as a problem.
    /// </summary>
    public static WebApplication UseWebHostDefaults(this WebApplication app, Func<Exception, bool> unavailable)
    {
        app.UseForwardedHeaders();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => unavailable(e) ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        return app;
    }
}
