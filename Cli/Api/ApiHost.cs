using System.Text.Json;
using System.Text.Json.Serialization;
using Inspections.Database;
using Inspections.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Inspections.Api;

/// <summary>The <c>Api</c> section of appsettings.json.</summary>
internal sealed class ApiSettings
{
    /// <summary>
    /// Where Kestrel listens, <c>;</c>-separated. Loopback by default: people come in through SSH port forwarding.
    /// </summary>
    public string Urls { get; set; } = "";

    /// <summary>Page size of <c>GET /predictions</c> when the caller gives no <c>limit</c>.</summary>
    public int DefaultPageSize { get; set; }

    /// <summary>The largest <c>limit</c> accepted; a larger one is a 400, not a silent cap.</summary>
    public int MaxPageSize { get; set; }

    /// <summary>
    /// Npgsql keywords for the API's data source. Multiplexing pipelines many requests' queries over a few
    /// connections instead of one busy PostgreSQL backend per concurrent request; auto-prepare skips re-planning.
    /// </summary>
    public string DatabaseOptions { get; set; } = "";

    /// <summary>
    /// Seconds between two checks for a newer prediction day to hold in memory: how far the API may lag a store-api
    /// commit.
    /// </summary>
    public double RefreshSeconds { get; set; }

    /// <summary>
    /// The API keys accepted, name to SHA-256 (<c>inspections api-key new NAME</c> prints both). With none, the API
    /// listens on loopback only and asks for no key; with any, every request but <see cref="ApiHost.IsOpen"/>'s needs
    /// one.
    /// </summary>
    public Dictionary<string, string> Keys { get; set; } = [];

    /// <summary>
    /// How many prediction items the cache of older days' pages holds (about 200 bytes each), least recently used out
    /// first.
    /// </summary>
    public int CachedPageItems { get; set; }

    /// <summary>
    /// On a hot standby: how many seconds behind its primary it may be and still be ready (<c>/ready</c>); 0 turns the
    /// check off.
    /// </summary>
    public double MaxReplicationLagSeconds { get; set; }
}

/// <summary>
/// Builds the HTTP API: the serve-api verb runs it, the tests host the same app on a free port.
/// The data source belongs to the caller (one per process, read-only); the web host only borrows it.
/// </summary>
internal static class ApiHost
{
    public const string ApplicationName = "inspections";

    public const string Title = "Chicago food inspection risk API";

    public const string KeySetting = "Api:Keys";

    /// <summary>
    /// What answers without a key when keys are configured: liveness and readiness (probes and load balancers carry
    /// no key; they tell only that the API is up and the latest prediction date), and the API's own documentation,
    /// whose Swagger UI then sends the key given in its Authorize dialog. Predictions, the model card and
    /// <c>/metrics</c> need a key.
    /// </summary>
    public static bool IsOpen(PathString path) =>
        path == "/health" || path == "/ready" || path == "/"
        || path.StartsWithSegments("/swagger") || path.StartsWithSegments("/openapi");

    public static WebApplication Create(
        AppSettings settings,
        NpgsqlDataSource dataSource,
        ILoggerFactory logs,
        string urls)
    {
        var api = settings.Bind<ApiSettings>("Api");
        var keys = ApiKeys.From(api.Keys, KeySetting);
        var builder = WebHostDefaults.CreateBuilder(ApplicationName, urls, keys, KeySetting, logs);
        builder.Services.AddSingleton(dataSource);
        builder.Services.AddSingleton(api);
        builder.Services.AddSingleton<ServedDayCache>();
        builder.Services.AddHostedService(s => s.GetRequiredService<ServedDayCache>());

        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJson.Default);
            // Numbers are numbers: the web default also reads them from strings, which OpenAPI then documents as
            // "number or string".
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        builder.Services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = Title;
                document.Info.Description =
                    "Scores of the probability that each Chicago food establishment fails its next health " +
                    "inspection, as stored by the pipeline's store-api task. Errors are RFC 9457 problem details. " +
                    "When the server has API keys configured, every operation but /health and /ready needs one " +
                    "(Authorize, above).";
                return Task.CompletedTask;
            });
            o.AddSchemaTransformer((schema, context, _) => ApiParameters.DescribeAsync(schema, context, api));
            ApiDocument.Configure(o);
        });

        var app = builder.Build();
        app.UseMiddleware<AccessLog>();
        app.UseWebHostDefaults(DatabaseErrors.IsUnavailable, [$"Bearer realm=\"{ApplicationName}\""], IsOpen);
        AddServedDayMetrics(
            app.Services.GetRequiredService<HttpMetrics>(),
            app.Services.GetRequiredService<ServedDayCache>());

        app.MapOpenApi();
        // Only on its own paths: Swagger UI's middleware matches every request's path against two regular expressions
        // before passing it on, which costs each prediction it is not about.
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/swagger"), swagger => swagger.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("/openapi/v1.json", "v1");
            o.RoutePrefix = "swagger";
            o.DocumentTitle = Title;
        }));
        app.MapGet("/", () => TypedResults.Redirect("/swagger")).ExcludeFromDescription();

        app.MapEstablishments();
        app.MapPredictions();
        app.MapModels();
        app.MapPerformance();
        app.MapHealth();
        return app;
    }

    /// <summary>
    /// What the API serves from memory, read at each scrape: the day and its model as an info series (one, or none
    /// while nothing is served from memory), the day as a timestamp (an alert can say "older than 8 days") and its
    /// size.
    /// </summary>
    private static void AddServedDayMetrics(HttpMetrics metrics, ServedDayCache cache)
    {
        var info = metrics.Factory.CreateGauge("inspections_api_served_day_info",
            "1 for the prediction day the API serves from memory and the model that scored it.",
            ["prediction_date", "model_id"]);
        var date = metrics.Factory.CreateGauge("inspections_api_served_prediction_date_seconds",
            "The prediction date served from memory, as the Unix time of its midnight UTC; 0 while none is.");
        var establishments = metrics.Factory.CreateGauge("inspections_api_served_establishments",
            "Establishments in the prediction day served from memory; 0 while none is.");
        string[]? shown = null;
        var gate = new Lock();
        metrics.Registry.AddBeforeCollectCallback(() =>
        {
            var day = cache.Current;
            string[]? now = day is null ? null : [Dates.Text(day.Date), day.ModelId];
            lock (gate)
            {
                if (shown is not null && (now is null || !shown.SequenceEqual(now))) info.RemoveLabelled(shown);
                if (now is not null) info.WithLabels(now).Set(1);
                shown = now;
            }
            date.Set(day is null
                ? 0
                : new DateTimeOffset(day.Date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeSeconds());
            establishments.Set(day?.Establishments ?? 0);
        });
    }
}

/// <summary>Source-generated JSON for every response body: no reflection per request.</summary>
[JsonSerializable(typeof(EstablishmentPrediction))]
[JsonSerializable(typeof(PredictionPage))]
[JsonSerializable(typeof(IReadOnlyList<PredictionDay>))]
[JsonSerializable(typeof(ModelCard))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(HealthStatus))]
[JsonSerializable(typeof(Readiness))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict)]
internal sealed partial class ApiJson : JsonSerializerContext;
