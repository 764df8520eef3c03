using System.Net;
using System.Net.Http.Headers;

namespace Inspections.Tests.Dashboard;

/// <summary>The page's stylesheet is a file of its own, served by the dashboard and linked from every page.</summary>
public sealed class DashboardStylesheetTests(EmptyDashboard server) : IClassFixture<EmptyDashboard>
{
    [Fact]
    public async Task The_stylesheet_is_served_with_an_etag_and_not_sent_again_when_unchanged()
    {
        using var response = await server.Client.GetAsync("/dashboard.css");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/css");
        (await response.Content.ReadAsStringAsync()).ShouldContain(".status.alert {", Case.Sensitive);
        var tag = response.Headers.ETag.ShouldNotBeNull();

        using var again = new HttpRequestMessage(HttpMethod.Get, "/dashboard.css");
        again.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(tag.Tag));
        using var cached = await server.Client.SendAsync(again);
        cached.StatusCode.ShouldBe(HttpStatusCode.NotModified);
    }

    [Fact]
    public async Task The_page_links_the_stylesheet_and_inlines_no_style()
    {
        var html = await server.Client.GetStringAsync("/");

        html.ShouldContain("""<link rel="stylesheet" href="/dashboard.css" />""", Case.Sensitive);
        html.ShouldNotContain("<style");
    }
}
