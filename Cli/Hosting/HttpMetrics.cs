using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Inspections.Hosting;

/// <summary>
/// A server's Prometheus metrics: its own registry (so two hosts in one process, as in the tests, never mix counts),
/// the process's CPU, memory and GC figures, and every request counted and timed by route template, method and status.
/// Each server adds its own gauges (what it serves) to <see cref="Factory"/>.
/// </summary>
internal sealed class HttpMetrics
{
    public const string Path = "/metrics";

    // From 0.25 ms (a prediction served from memory) to 10 s (a page the database is slow to give).
    private static readonly double[] Buckets =
        [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

    private static readonly string[] Labels = ["route", "method", "status"];

    private readonly Counter _requests;
    private readonly Histogram _duration;

    // The children of one label set, found without allocating: the label values are interned strings (route
    // templates, method names, status codes), so the key compares by value at the cost of three string hashes.
    private readonly ConcurrentDictionary<
        (string Route, string Method, int Status),
        (Counter.Child Count, Histogram.Child Duration)> _children = new();

    static HttpMetrics() =>
        // The library's process-wide default registry would also listen to every .NET meter, which costs each request
        // time in ASP.NET's own instruments. Nothing here uses that registry.
        Metrics.SuppressDefaultMetrics();

    public HttpMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        Factory = Metrics.WithCustomRegistry(Registry);
        DotNetStats.Register(Registry);
        _requests = Factory.CreateCounter("http_requests_total",
            "HTTP requests answered, by route template, method and status.", Labels);
        _duration = Factory.CreateHistogram("http_request_duration_seconds",
            "Time from a request's arrival to its last byte, by route template, method and status.",
            Labels, new HistogramConfiguration { Buckets = Buckets });
    }

    public CollectorRegistry Registry { get; }

    public IMetricFactory Factory { get; }

    /// <summary>
    /// The middleware, outermost but for the access log: it sees the final status, 401s and 500s included.
    /// </summary>
    public RequestDelegate Middleware(RequestDelegate next) => async context =>
    {
        var started = Stopwatch.GetTimestamp();
        var status = 0;
        try
        {
            await next(context);
            status = context.Response.StatusCode;
        }
        catch
        {
            status = StatusCodes.Status500InternalServerError;
            throw;
        }
        finally
        {
            Observe(context, status, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    };

    private void Observe(HttpContext context, int status, double seconds)
    {
        // The template, never the path: one series per route, however many licenses are asked for. A request no
        // route matched (a 404 for an unknown path, a rejected key) is "unmatched".
        var route = context.GetEndpoint() is RouteEndpoint endpoint
            ? endpoint.RoutePattern.RawText ?? "unmatched"
            : "unmatched";
        var key = (route, Method(context.Request.Method), status);
        if (!_children.TryGetValue(key, out var children))
        {
            string[] values = [route, key.Item2, status.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            children = _children.GetOrAdd(key, (_requests.WithLabels(values), _duration.WithLabels(values)));
        }
        children.Count.Inc();
        children.Duration.Observe(seconds);
    }

    /// <summary>The method's canonical name, or OTHER: a client inventing methods must not invent series.</summary>
    private static string Method(string method) =>
        HttpMethods.IsGet(method) ? HttpMethods.Get
        : HttpMethods.IsHead(method) ? HttpMethods.Head
        : HttpMethods.IsPost(method) ? HttpMethods.Post
        : HttpMethods.IsPut(method) ? HttpMethods.Put
        : HttpMethods.IsDelete(method) ? HttpMethods.Delete
        : HttpMethods.IsOptions(method) ? HttpMethods.Options
        : HttpMethods.IsPatch(method) ? HttpMethods.Patch
        : "OTHER";
}
