using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Inspections.Hosting;
using Inspections.Tests.Api;

namespace Inspections.Tests.Dashboard;

/// <summary>The seeded dashboard with one API key configured, on real Kestrel.</summary>
public sealed class KeyedDashboard : DashboardServer
{
    public static readonly string Key = ApiKeys.NewKey();

    protected override bool Seeded => true;

    protected override Dictionary<string, string> Keys => new() { ["alice"] = ApiKeys.Hash(Key) };
}

public sealed class DashboardSecurityTests(KeyedDashboard dashboard) : IClassFixture<KeyedDashboard>
{
    private static HttpRequestMessage Get(string path, AuthenticationHeaderValue? authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = authorization;
        return request;
    }

    private static AuthenticationHeaderValue Basic(string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice:{password}")));

    [Theory]
    [InlineData("/")]
    [InlineData("/dashboard.css")]
    [InlineData("/charts/scores.svg")]
    [InlineData("/metrics")]
    public async Task Without_a_key_a_page_is_a_401_whose_first_challenge_makes_a_browser_prompt_for_it(string path)
    {
        var response = await dashboard.Client.SendAsync(Get(path, null));

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.ContentType().MediaType.ShouldBe("application/problem+json");
        var challenges = response.Headers.WwwAuthenticate.ToList();
        challenges.Select(c => c.Scheme).ShouldBe(["Basic", "Bearer"]);
        challenges[0].Parameter.ShouldNotBeNull().ShouldContain("realm=\"inspections-dashboard\"");
        response.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
    }

    [Fact]
    public async Task The_key_opens_the_page_as_a_basic_password_or_a_bearer_token_and_a_wrong_one_does_not()
    {
        (await dashboard.Client.SendAsync(Get("/", Basic(KeyedDashboard.Key)))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await dashboard.Client.SendAsync(Get("/", new("Bearer", KeyedDashboard.Key)))).StatusCode
            .ShouldBe(HttpStatusCode.OK);
        (await dashboard.Client.SendAsync(Get("/", Basic(KeyedDashboard.Key + "x")))).StatusCode
            .ShouldBe(HttpStatusCode.Unauthorized);
        (await dashboard.Client.SendAsync(Get("/", new("Basic", "not base64!")))).StatusCode
            .ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Health_answers_without_a_key_and_head_answers_like_get()
    {
        (await dashboard.Client.SendAsync(Get("/health", null))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var head = await dashboard.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/")
        {
            Headers = { Authorization = Basic(KeyedDashboard.Key) },
        });
        head.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await head.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task Metrics_count_pages_by_route_and_say_which_date_and_model_were_monitored_last()
    {
        (await dashboard.Client.SendAsync(Get("/charts/drift.svg", Basic(KeyedDashboard.Key)))).StatusCode
            .ShouldBe(HttpStatusCode.OK);

        var response = await dashboard.Client.SendAsync(Get("/metrics", new("Bearer", KeyedDashboard.Key)));
        var text = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        text.ShouldContain("""http_requests_total{route="/charts/drift.svg",method="GET",status="200"}""");
        text.ShouldContain(
            """http_request_duration_seconds_count{route="/charts/drift.svg",method="GET",status="200"}""");
        text.ShouldContain(
            $$"""inspections_dashboard_monitored_info{monitor_date="2024-01-21",""" +
            $$"""model_id="{{DashboardSeed.ModelId}}",status="alert"} 1""");
        text.ShouldContain("inspections_dashboard_monitored_psi 0.318");
        text.ShouldContain("inspections_dashboard_database_up 1");
    }
}
