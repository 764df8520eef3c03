using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Inspections.Api;

/// <summary>
/// One information line per request (method, path, status, elapsed ms), outermost, so it sees the final status.
/// </summary>
internal sealed partial class AccessLog(RequestDelegate next, ILoggerFactory logs)
{
    private readonly ILogger _log = logs.CreateLogger("Api.Access");

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            // The path as sent (escaped): a decoded path could carry a line break into the log.
            Request(
                _log,
                context.Request.Method,
                context.Request.Path.ToUriComponent(),
                context.Request.QueryString.Value ?? "",
                context.Response.StatusCode,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path}{Query} {Status} {ElapsedMs:0.0} ms")]
    private static partial void Request(
        ILogger logger,
        string method,
        string path,
        string query,
        int status,
        double elapsedMs);
}
