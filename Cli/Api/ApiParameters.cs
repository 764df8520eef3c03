using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Inspections.Api;

/// <summary>
/// The query and route parameters the API shares: how each is parsed, and how the OpenAPI document
/// describes it, side by side. Handlers take them as strings so bad input is a 400 problem that
/// says what was wrong, never a framework binding failure.
/// </summary>
internal sealed class ApiParameters(ApiSettings settings)
{
    /// <summary>A City of Chicago license number as the portal publishes it: digits only, 1 to 10 of them.</summary>
    public const string LicensePattern = "^[0-9]{1,10}$";

    public const string DatePattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";

    public static readonly string[] Labels = ["fail", "pass"];

    public static bool IsLicense(string text) => text.Length is >= 1 and <= 10 && text.All(char.IsAsciiDigit);

    /// <summary>A calendar date written yyyy-MM-dd, or null when absent; false when present but not such a date.</summary>
    public static bool TryParseDate(string? text, out DateOnly? date)
    {
        date = null;
        if (text is null) return true;
        if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)) return false;
        date = value;
        return true;
    }

    /// <summary>A whole number in [min, max], or <paramref name="fallback"/> when absent.</summary>
    public static bool TryParseInt(string? text, int min, int max, int fallback, out int value)
    {
        value = fallback;
        if (text is null) return true;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
    }

    /// <summary>Operation transformer: replaces the plain "string" schema of each known parameter with its real shape.</summary>
    public Task DescribeAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is not OpenApiParameter p) continue;
            (p.Description, p.Schema) = p.Name switch
            {
                "licenseId" => ("The establishment's license number (`License #` on the City's portal): 1 to 10 digits.",
                    new OpenApiSchema { Type = JsonSchemaType.String, Pattern = LicensePattern, MinLength = 1, MaxLength = 10, Examples = [JsonValue.Create("2294381")] }),
                "date" => ("Prediction date, yyyy-MM-dd (Chicago local date).",
                    new OpenApiSchema { Type = JsonSchemaType.String, Format = "date", Pattern = DatePattern }),
                "label" => ("Only the establishments with this label.",
                    new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. Labels.Select(l => (JsonNode)JsonValue.Create(l))] }),
                "limit" => ($"Page size, 1 to {settings.MaxPageSize}.",
                    new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1", Maximum = settings.MaxPageSize.ToString(CultureInfo.InvariantCulture), Default = JsonValue.Create(settings.DefaultPageSize) }),
                "offset" => ("How many items of the ranking to skip.",
                    new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "0", Default = JsonValue.Create(0) }),
                _ => (p.Description, p.Schema),
            };
            // Optional for an establishment (its latest date), required for a day's ranking.
            if (p.Name == "date" && operation.OperationId == "GetPredictions") p.Required = true;
        }
        return Task.CompletedTask;
    }
}
