using System.Net;

namespace Inspections.Tests.Api;

/// <summary>
/// Parameters are bound as types: a bad one is a 400 naming it, in the words the CLI uses for the same mistake.
/// </summary>
public sealed class ApiParameterTests(SeededApi api) : IClassFixture<SeededApi>
{
    private ApiServer Server => api.Server;

    [Theory]
    [InlineData("/predictions?date=2014-02-30", "'2014-02-30' is not a date: February 2014 has 28 days.")]
    [InlineData(
        "/establishments/2294381/prediction?date=2024-13-01", "'2024-13-01' is not a date: there is no month 13.")]
    [InlineData("/predictions?date=05/08/2024", "'05/08/2024' is not a date of the form yyyy-MM-dd.")]
    public async Task A_bad_date_gets_the_words_of_the_CLI_s_date_parser(string path, string detail)
    {
        var result = await Server.GetJsonAsync(path);

        result.ShouldBeProblem(400);
        result.Json.GetProperty("detail").GetString().ShouldBe(detail);
    }

    [Theory]
    [InlineData("/establishments/x1/prediction", "licenseId")]
    [InlineData("/establishments/1/prediction?date=tomorrow", "date")]
    [InlineData("/predictions", "date")]
    [InlineData("/predictions?date=2024-05-08&label=Fail", "label")]
    [InlineData("/predictions?date=2024-05-08&limit=1001", "limit")]
    [InlineData("/predictions?date=2024-05-08&offset=%2B1", "offset")]
    public async Task A_bad_parameter_is_named_in_the_problem_s_errors(string path, string parameter)
    {
        var result = await Server.GetJsonAsync(path);

        result.ShouldBeProblem(400);
        var errors = result.Json.GetProperty("errors");
        errors.PropertyNames().ShouldBe([parameter]);
        errors.GetProperty(parameter)[0].GetString().ShouldBe(result.Json.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_date_quoted_back_is_cut_to_forty_characters()
    {
        var result = await Server.GetJsonAsync("/predictions?date=" + new string('7', 4000));

        result.ShouldBeProblem(400);
        result.Json.GetProperty("detail").GetString()
            .ShouldBe($"'{new string('7', 40)}…' is not a date of the form yyyy-MM-dd.");
    }

    [Fact]
    public async Task A_well_formed_request_still_binds_every_parameter()
    {
        var (response, json) = await Server.GetJsonAsync("/predictions?date=2024-05-01&label=fail&limit=1&offset=0");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        json.GetProperty("label").GetString().ShouldBe("fail");
        json.GetProperty("limit").GetInt32().ShouldBe(1);
        json.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("license").GetString())
            .ShouldBe(["1000001"]);
    }
}
