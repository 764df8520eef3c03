using System.Net;
using System.Text.Json;

namespace Inspections.Tests.Dashboard;

/// <summary>The dashboard reads <c>?date=</c> with the CLI's date parser, so a bad date gets the CLI's words.</summary>
public sealed class DashboardDateTests(EmptyDashboard server) : IClassFixture<EmptyDashboard>
{
    [Fact]
    public async Task An_impossible_date_gets_a_400_page_in_the_words_of_the_CLI()
    {
        using var response = await server.Client.GetAsync("/?date=2014-02-30");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync())
            .ShouldContain("2014-02-30&#39; is not a date: February 2014 has 28 days.", Case.Sensitive);
    }

    [Fact]
    public async Task A_chart_of_an_impossible_date_is_a_problem_in_the_same_words()
    {
        using var response = await server.Client.GetAsync("/charts/dag.svg?date=2014-13-01");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        json.RootElement.GetProperty("detail").GetString()
            .ShouldBe("'2014-13-01' is not a date: there is no month 13.");
    }
}
