using System.Text.Json;
using Inspections.Cleaning;
using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Api;

/// <summary>What the OpenAPI document tells a client beyond paths and parameters (ApiTests checks those).</summary>
public sealed class OpenApiDocumentTests(KeyedApi api) : IClassFixture<KeyedApi>
{
    private async Task<JsonElement> DocumentAsync()
    {
        var (response, document) = await api.Server.GetJsonAsync("/openapi/v1.json");
        response.EnsureSuccessStatusCode();
        return document;
    }

    private static string[] Enum(JsonElement schemas, string schema, string property) =>
        [
            .. schemas.GetProperty(schema).GetProperty("properties").GetProperty(property).GetProperty("enum")
                .EnumerateArray().Select(v => v.GetString()!),
        ];

    [Fact]
    public async Task Every_property_of_every_schema_has_a_description_and_no_schema_is_a_bare_JsonElement()
    {
        var schemas = (await DocumentAsync()).GetProperty("components").GetProperty("schemas");

        schemas.PropertyNames().ShouldNotContain("JsonElement");
        var properties = schemas.EnumerateObject()
            .SelectMany(s => s.Value.TryGetProperty("properties", out var p)
                ? p.EnumerateObject().Select(x => (Name: $"{s.Name}.{x.Name}", x.Value))
                : [])
            .ToList();
        properties.Count.ShouldBeGreaterThan(40);
        properties
            .Where(p => !p.Value.TryGetProperty("description", out var d) || string.IsNullOrWhiteSpace(d.GetString()))
            .Select(p => p.Name).ShouldBeEmpty();
    }

    [Fact]
    public async Task Labels_risk_levels_facility_groups_and_algorithms_are_enumerations_of_what_the_pipeline_writes()
    {
        var schemas = (await DocumentAsync()).GetProperty("components").GetProperty("schemas");

        Enum(schemas, "EstablishmentPrediction", "label").ShouldBe(["fail", "pass"]);
        Enum(schemas, "PredictionItem", "label").ShouldBe(["fail", "pass"]);
        Enum(schemas, "EstablishmentPrediction", "riskLevel").ShouldBe(["high", "medium", "low", "all", "unknown"]);
        // The Cleaning stage's groups, then what it writes for a type no rule matches and for an empty one.
        Enum(schemas, "EstablishmentPrediction", "facilityGroup")
            .ShouldBe([.. FacilityGroups.Groups, "other", "unknown"]);
        Enum(schemas, "ModelCard", "algorithm").ShouldBe(["logistic", "fasttree", "lightgbm", "baseline-risk"]);
    }

    [Fact]
    public async Task The_examples_are_a_license_and_a_date_of_the_bundled_sample()
    {
        var paths = (await DocumentAsync()).GetProperty("paths");
        var parameters = paths.GetProperty("/establishments/{licenseId}/prediction").GetProperty("get")
            .GetProperty("parameters").EnumerateArray()
            .ToDictionary(
                p => p.GetProperty("name").GetString()!,
                p => p.GetProperty("schema").GetProperty("examples")[0].GetString()!);

        parameters["date"].ShouldBe("2014-09-01"); // scripts/demo.sh's date
        var license = parameters["licenseId"];
        var rows = File.ReadLines(SampleData.Csv).Where(l => l.Split(',').Contains(license)).ToList();
        rows.ShouldNotBeEmpty($"the example license {license} is not in the sample the demo predicts");
    }

    [Fact]
    public async Task Operations_that_need_a_key_say_so_and_document_401_and_every_operation_on_database_documents_503()
    {
        var document = await DocumentAsync();
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        schemes.GetProperty("bearer").GetProperty("scheme").GetString().ShouldBe("bearer");
        schemes.GetProperty("apiKey").GetProperty("name").GetString().ShouldBe("X-Api-Key");

        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            var get = path.Value.GetProperty("get");
            var responses = get.GetProperty("responses").PropertyNames();
            var open = path.Name is "/health" or "/ready";
            get.TryGetProperty("security", out _).ShouldBe(!open, path.Name);
            responses.Contains("401").ShouldBe(!open, path.Name);
            responses.Contains("503").ShouldBe(path.Name != "/health", path.Name);
        }
    }
}
