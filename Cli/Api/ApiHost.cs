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
    /// <summary>Where Kestrel listens, <c>;</c>-separated. Loopback by default: people come in through SSH port forwarding.</summary>
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

    /// <summary>Seconds between two checks for a newer prediction day to hold in memory: how far the API may lag a store-api commit.</summary>
    public double RefreshSeconds { get; set; }
}

/// <summary>
/// Builds the HTTP API: the serve-api verb runs it, the tests host the same app on a free port.
/// The data source belongs to the caller (one per process, read-only); the web host only borrows it.
/// </summary>
internal static class ApiHost
{
    public const string ApplicationName = "inspections";

    public const string Title = "Chicago food inspection risk API";

    public static WebApplication Create(AppSettings settings, NpgsqlDataSource dataSource, ILoggerFactory logs, string urls)
    {
        var api = settings.Bind<ApiSettings>("Api");
        var builder = WebHostDefaults.CreateBuilder(ApplicationName, urls, logs);
        builder.Services.AddSingleton(dataSource);
        builder.Services.AddSingleton(api);
        builder.Services.AddSingleton<ServedDayCache>();
        builder.Services.AddHostedService(s => s.GetRequiredService<ServedDayCache>());

        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJson.Default);
            // Numbers are numbers: the web default also reads them from strings, which OpenAPI then documents as "number or string".
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        builder.Services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = Title;
                document.Info.Description =
                    "Scores of the probability that each Chicago food establishment fails its next health inspection, " +
                    "as stored by the pipeline's store-api task. Errors are RFC 9457 problem details.";
                return Task.CompletedTask;
            });
            o.AddSchemaTransformer((schema, context, _) => ApiParameters.DescribeAsync(schema, context, api));
        });

        var app = builder.Build();
        app.UseMiddleware<AccessLog>();
        app.UseWebHostDefaults(DatabaseErrors.IsUnavailable);

        app.MapOpenApi();
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("/openapi/v1.json", "v1");
            o.RoutePrefix = "swagger";
            o.DocumentTitle = Title;
        });
        app.MapGet("/", () => TypedResults.Redirect("/swagger")).ExcludeFromDescription();

        app.MapEstablishments();
        app.MapPredictions();
        app.MapModels();
        app.MapPerformance();
        app.MapHealth();
        return app;
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
