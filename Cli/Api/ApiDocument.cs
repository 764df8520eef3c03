using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using Inspections.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Inspections.Api;

/// <summary>
/// The values the API writes in its enumerated fields, as the pipeline stores them (see the Cleaning stage).
/// </summary>
internal static class ApiValues
{
    public const string Fail = "fail";
    public const string Pass = "pass";

    public const string High = "high";
    public const string Medium = "medium";
    public const string Low = "low";
    public const string All = "all";
    public const string Unknown = "unknown";

    public const string Daycare = "daycare";
    public const string School = "school";
    public const string HospitalCare = "hospital-care";
    public const string Mobile = "mobile";
    public const string Bakery = "bakery";
    public const string Restaurant = "restaurant";
    public const string Grocery = "grocery";
    public const string LiquorTavern = "liquor-tavern";
    public const string Other = "other";

    /// <summary>
    /// An establishment and a date the demo (<c>scripts/demo.sh</c>, the bundled sample) predicts: Swagger UI's
    /// examples.
    /// </summary>
    public const string ExampleLicense = "1971420";
    public const string ExampleDate = "2014-09-01";
}

/// <summary>
/// What the OpenAPI document says beyond what the framework infers from the handlers: the enumerations of
/// <see cref="AllowedValuesAttribute"/>, free-form JSON inline rather than a stray <c>JsonElement</c> schema, the
/// API key schemes, and the statuses every operation may answer besides its own (401 without a key, 503 while the
/// database is down).
/// </summary>
internal static class ApiDocument
{
    // The framework's problem types carry no descriptions: RFC 9457's, in a sentence each.
    private static readonly Dictionary<string, string> ProblemFields = new()
    {
        ["type"] = "A URI naming the kind of problem (here, the RFC 9110 section of the status).",
        ["title"] = "A short summary of the kind of problem, the same for every occurrence.",
        ["status"] = "The HTTP status code, repeated.",
        ["detail"] = "What went wrong with this request, for a person to read.",
        ["instance"] = "A URI naming this occurrence; unused.",
        ["errors"] = "Each parameter that was wrong, with why.",
    };

    private const string Bearer = "bearer";
    private const string ApiKeyHeader = "apiKey";

    public static void Configure(OpenApiOptions options)
    {
        // JsonElement is any JSON (the model card's hyper-parameters and fold metrics): described where it is used.
        options.CreateSchemaReferenceId = type =>
            type.Type == typeof(JsonElement) ? null : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (context.JsonPropertyInfo?.AttributeProvider?.GetCustomAttributes(
                    typeof(AllowedValuesAttribute), inherit: false) is [AllowedValuesAttribute allowed, ..])
                schema.Enum = [.. allowed.Values.Select(v => v is string text ? JsonValue.Create(text) : null!)];
            if (typeof(ProblemDetails).IsAssignableFrom(context.JsonTypeInfo.Type)
                && schema.Properties is { } properties)
                foreach (var (name, property) in properties)
                    if (property is OpenApiSchema described && ProblemFields.TryGetValue(name, out var description))
                        described.Description = description;
            return Task.CompletedTask;
        });
        options.AddDocumentTransformer((document, _, _) =>
        {
            AddKeySchemes(document);
            AddCommonResponses(document);
            return Task.CompletedTask;
        });
    }

    private static void AddKeySchemes(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            [Bearer] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key (`inspections api-key new NAME`) as `Authorization: Bearer KEY`. " +
                    "Needed only when the server has keys configured (Api:Keys).",
            },
            [ApiKeyHeader] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = "X-Api-Key",
                Description = "The same API key as an `X-Api-Key` header.",
            },
        };
    }

    private static void AddCommonResponses(OpenApiDocument document)
    {
        foreach (var (path, item) in document.Paths)
        {
            foreach (var operation in item.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
            {
                operation.Responses ??= new OpenApiResponses();
                if (!ApiHost.IsOpen(new PathString(path)))
                {
                    operation.Security =
                    [
                        new() { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] },
                        new() { [new OpenApiSecuritySchemeReference(ApiKeyHeader, document)] = [] },
                    ];
                    operation.Responses.TryAdd("401", Problem(document,
                        "The server has API keys configured and the request carries none, or a wrong one (" +
                        ApiKeyAuthentication.Detail + ")"));
                }
                if (path != "/health")
                    operation.Responses.TryAdd("503",
                        Problem(document, "The database is unavailable; try again later."));
            }
        }
    }

    private static OpenApiResponse Problem(OpenApiDocument document, string description) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/problem+json"] = new()
            {
                Schema = new OpenApiSchemaReference(nameof(ProblemDetails), document),
            },
        },
    };
}
