using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Inspections.Hosting;

/// <summary>
/// What the two web hosts (serve-api, serve-dashboard) share: how they are built, log, listen and answer errors.
/// Both listen on loopback and are reached through SSH port forwarding, or through a proxy on the same machine;
/// a server with API keys configured may listen on the network, and then asks every request for a key.
/// </summary>
internal static class WebHostDefaults
{
    /// <param name="applicationName">What OpenAPI and the host call the app (without it: "testhost" under the
    /// tests).</param>
    /// <param name="urls">Where to listen; refused (a usage error) when it does not parse, or is off loopback
    /// without keys.</param>
    /// <param name="keySetting">Where <paramref name="keys"/> come from (<c>Api:Keys</c>), for that message.</param>
    /// <param name="logs">The verb's logger factory: the host logs the way every command does, one line on
    /// stderr.</param>
    public static WebApplicationBuilder CreateBuilder(
        string applicationName,
        string urls,
        ApiKeys keys,
        string keySetting,
        ILoggerFactory logs)
    {
        ListenUrls.Check(urls, keys, keySetting);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = applicationName,
            // Never Development, whatever the machine's environment variables say: that would send stack traces to
            // clients.
            EnvironmentName = "Production",
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Every endpoint is a GET: nothing reads a body. Request lines and headers keep Kestrel's limits
            // (8 KiB, 32 KiB).
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            // A client that takes longer than this to send its headers is holding a connection, not asking something.
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            // A 2-core VM: past this, new connections wait in the backlog rather than share the CPU ever thinner.
            kestrel.Limits.MaxConcurrentConnections = 1024;
        });

        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(logs);
        builder.Services.AddProblemDetails();
        // ASP.NET's default writes '<' and '>' as they are (UnsafeRelaxedJsonEscaping): a name such as "<script>" would
        // reach a client that sniffs or embeds the JSON unescaped. This escapes the HTML-sensitive characters and keeps
        // other text (é, ñ) readable.
        builder.Services.ConfigureHttpJsonOptions(o =>
            o.SerializerOptions.Encoder = JavaScriptEncoder.Create(UnicodeRanges.All));
        builder.Services.AddSingleton(keys);
        builder.Services.AddSingleton<HttpMetrics>();
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
    /// The start of both hosts' pipelines, after anything that must see the final status (an access log): request
    /// metrics, <c>nosniff</c>, forwarded headers, an exception as a 500 problem without a stack trace (503 when
    /// <paramref name="unavailable"/> says a dependency is down: the server's state, not a bug, and the client may
    /// retry), a bare error status as a problem, HEAD answered as GET, routing, then the API key check and
    /// <c>/metrics</c>.
    /// </summary>
    /// <param name="challenges">The 401's <c>WWW-Authenticate</c> values (see
    /// <see cref="ApiKeyAuthentication"/>).</param>
    /// <param name="open">The paths answered without a key when keys are configured.</param>
    public static WebApplication UseWebHostDefaults(this WebApplication app, Func<Exception, bool> unavailable,
        string[] challenges, Func<PathString, bool> open)
    {
        var metrics = app.Services.GetRequiredService<HttpMetrics>();
        app.Use(metrics.Middleware);
        app.Use(static (context, next) =>
        {
            // Here rather than at once: the exception handler clears the headers of a response it replaces.
            context.Response.OnStarting(static state =>
            {
                ((HttpResponse)state).Headers.XContentTypeOptions = "nosniff";
                return Task.CompletedTask;
            }, context.Response);
            return next(context);
        });
        app.UseForwardedHeaders();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => unavailable(e)
                ? StatusCodes.Status503ServiceUnavailable
                : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        app.Use(AnswerHeadAsGet);
        app.UseRouting();
        var keys = app.Services.GetRequiredService<ApiKeys>();
        if (keys.Count > 0) app.UseMiddleware<ApiKeyAuthentication>(keys, challenges, open);
        app.MapMetrics(HttpMetrics.Path, metrics.Registry).ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// Every GET route answers HEAD (the routes are mapped for GET only, so routing alone would say 405). The handler
    /// runs as for GET; Kestrel still knows the request was a HEAD and sends the status and headers without the body.
    /// The method is HEAD again before the access log and the metrics read it.
    /// </summary>
    private static async Task AnswerHeadAsGet(HttpContext context, RequestDelegate next)
    {
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await next(context);
            return;
        }
        context.Request.Method = HttpMethods.Get;
        try
        {
            await next(context);
        }
        finally
        {
            context.Request.Method = HttpMethods.Head;
        }
    }

    /// <summary>
    /// One warning line when a server runs as root: a flaw in it, or in a library, would then own the machine.
    /// </summary>
    public static void WarnIfRoot(ILoggerFactory logs, string verb)
    {
        if (Environment.IsPrivilegedProcess)
            logs.CreateLogger("Hosting").LogWarning(
                "{Verb} is running as root: run it as an unprivileged user " +
                "(the units in deploy/ run it as 'inspections')",
                verb);
    }
}
