using System.Net;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Inspections.Tests.Dashboard;

public sealed class DashboardHostTests(SeededDashboard server) : IClassFixture<SeededDashboard>
{
    private async Task<(HttpStatusCode Status, string Html)> GetPageAsync(string path)
    {
        using var response = await server.Client.GetAsync(path);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The text of an element with that id, tags stripped.</summary>
    private static string TextOf(string html, string id)
    {
        var match = Regex.Match(html, $"""id="{id}"[^>]*>(.*?)</""", RegexOptions.Singleline);
        match.Success.ShouldBeTrue($"no element with id {id}");
        return Regex.Replace(match.Groups[1].Value, "<[^>]+>", "").Trim();
    }

    [Fact]
    public async Task The_page_shows_the_latest_monitored_date_with_every_section()
    {
        var (status, html) = await GetPageAsync("/");

        status.ShouldBe(HttpStatusCode.OK);
        html.ShouldContain("Score distributions: reference cohort vs. predictions of 2024-01-21");
        TextOf(html, "psi").ShouldBe("0.318");
        TextOf(html, "ks").ShouldBe("0.250");
        TextOf(html, "mean-shift").ShouldBe("+0.120");
        TextOf(html, "fail-share").ShouldBe("27.0%");
        html.ShouldContain("""<p class="status alert">""");
        foreach (var section in new[]
                 {
                     "scores", "drift-over-time", "feature-drift", "performance", "dag", "runs", "model", "bias",
                 })
            html.ShouldContain($"""<section id="{section}">""");
        html.ShouldNotContain("<script");
        server.DagRequests.ShouldContain(new DateOnly(2024, 1, 21));
    }

    [Fact]
    public async Task The_page_embeds_both_charts_and_the_dag_as_inline_svg_with_distinct_ids()
    {
        var (_, html) = await GetPageAsync("/");

        var svgs = Regex.Matches(html, "<svg.*?</svg>", RegexOptions.Singleline)
            .Select(m => XElement.Parse(m.Value))
            .ToList();
        // Scores, drift, shares labelled fail, realised AUC, realised precision, calibration, and the DAG.
        svgs.Count.ShouldBe(7);
        var texts = svgs
            .Select(s => string.Join("\n",
                s.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim())))
            .ToList();
        texts[0].ShouldContain("Reference: the model's scores of the whole cohort on its validation dates (n = 5,000)");
        texts[0].ShouldContain("Current: predictions of 2024-01-21 (n = 4,202)");
        texts[0].ShouldContain("Share of establishments");
        texts[1].ShouldContain("PSI of the scores");
        texts[1].ShouldContain("Alert level (0.25)");
        texts[2].ShouldContain("Labelled fail, predictions");
        texts[3].ShouldContain("ROC AUC, realised vs validation");
        texts[4].ShouldContain("Precision at 10%, realised vs validation");
        texts[5].ShouldContain("Calibration, 2023-11-12");
        texts[6].ShouldContain("predict");
        var ids = svgs
            .SelectMany(s => s.DescendantsAndSelf())
            .Select(e => (string?)e.Attribute("id"))
            .OfType<string>()
            .ToList();
        ids.Count.ShouldBeGreaterThan(0);
        ids.ShouldBeUnique();
    }

    /// <summary>The HTML of the section with that id.</summary>
    private static string Section(string html, string id)
    {
        var section = html[html.IndexOf($"""<section id="{id}">""", StringComparison.Ordinal)..];
        return section[..section.IndexOf("</section>", StringComparison.Ordinal)];
    }

    [Fact]
    public async Task Small_bias_groups_are_muted_with_the_reason_and_never_highlighted()
    {
        var (_, html) = await GetPageAsync("/");
        var rows = Regex.Matches(Section(html, "bias"), "<tr.*?</tr>", RegexOptions.Singleline)
            .Select(m => m.Value)
            .ToList();

        var small = rows.Single(r => r.Contains(DashboardSeed.SmallGroup, StringComparison.Ordinal));
        small.ShouldStartWith("""<tr class="small-group" """);
        small.ShouldContain("too small to judge (n &lt; 30)");
        small.ShouldNotContain("disparity"); // its 2.5x disparity says nothing about 12 establishments
        var grocery = rows.Single(r => r.Contains(">grocery<", StringComparison.Ordinal));
        grocery.ShouldContain("""class="num disparity">"""); // 2,210 establishments at 1.6x: highlighted
        grocery.ShouldNotContain("small-group");
    }

    [Fact]
    public async Task The_page_shows_feature_drift_and_realised_performance_against_validation()
    {
        var (_, html) = await GetPageAsync("/");

        var features = Section(html, "feature-drift");
        foreach (var feature in DashboardSeed.Features) features.ShouldContain($"<td>{feature}</td>");
        // days_since_last_inspection on 2024-01-21: 0.02 + 0.09 x 2.
        features.ShouldContain("<td class=\"num\">0.200</td>");
        var performance = Section(html, "performance");
        performance.ShouldContain("<td>2023-11-12</td>");
        performance.ShouldContain("0.628 (0.695)");
        performance.ShouldContain("""<span class="status-word warn">warn</span>""");
        TextOf(html, "performance-status").ShouldBe("warn");
    }

    [Fact]
    public async Task The_runs_are_those_of_the_date_shown_with_every_run_one_click_away()
    {
        var (_, html) = await GetPageAsync("/?date=2024-01-14");
        var runs = Section(html, "runs");
        runs.ShouldContain("<h2>Runs for 2024-01-14</h2>");
        runs.ShouldContain("No task has run for this date.");
        Regex.Match(runs, """<a id="all-runs" href="([^"]*)">All runs</a>""").Groups[1].Value
            .ShouldBe("/?date=2024-01-14&amp;runs=all", runs);

        var (_, all) = await GetPageAsync("/?date=2024-01-14&runs=all");
        var everything = Section(all, "runs");
        everything.ShouldContain("<h2>All runs</h2>");
        everything.ShouldContain("date=2024-01-21, source=socrata");
    }

    [Fact]
    public async Task The_page_shows_runs_with_the_context_of_a_failed_check()
    {
        var (_, html) = await GetPageAsync("/");

        var runs = html[html.IndexOf("""<section id="runs">""", StringComparison.Ordinal)..];
        runs = runs[..runs.IndexOf("</section>", StringComparison.Ordinal)];
        runs.ShouldContain("date=2024-01-21, source=socrata");
        runs.ShouldContain("2.5 s");
        runs.ShouldContain(">31<");
        runs.ShouldContain("<details><summary>Why it failed: max_score</summary>");
        runs.ShouldContain("Assertion: max score &lt;= 0.5");
    }

    [Fact]
    public async Task The_page_shows_the_model_card_and_highlights_disparities_outside_parity()
    {
        var (_, html) = await GetPageAsync("/");

        html.ShouldContain("lightgbm-2024-01-01-a1b2c3");
        html.ShouldContain("2012-01-01 to 2023-10-01 (48,213 rows)");
        TextOf(html, "threshold").ShouldStartWith("0.313");
        TextOf(html, "model-reason").ShouldBe("pinned by ops at 2024-01-20 08:00Z (inspections models promote)");
        TextOf(html, "model-pin").ShouldStartWith("lightgbm-2024-01-01-a1b2c3, by ops at 2024-01-20 08:00Z");
        html.ShouldContain("<th class=\"num\">roc auc</th>");
        html.ShouldContain(">0.701<");
        var flagged = Regex.Matches(html, """<td class="num disparity">(.*?)</td>""")
            .Select(m => m.Groups[1].Value)
            .ToList();
        // Grocery's predicted positive rate (x1.6) and FPR (x1.5); its FNR at 0.84 is within parity.
        flagged.Count.ShouldBe(2);
        flagged[0].ShouldContain("×1.60");
        flagged[1].ShouldContain("×1.50");
        html.ShouldContain("<small>×0.84</small>");
    }

    [Fact]
    public async Task An_earlier_monitored_date_is_shown_when_asked_for()
    {
        var (status, html) = await GetPageAsync("/?date=2024-01-07");

        status.ShouldBe(HttpStatusCode.OK);
        html.ShouldContain("predictions of 2024-01-07");
        TextOf(html, "psi").ShouldBe("0.031");
        html.ShouldContain("""<p class="status ok">""");
        html.ShouldContain("""<option value="2024-01-07" selected>""");
        server.DagRequests.ShouldContain(new DateOnly(2024, 1, 7));
    }

    [Fact]
    public async Task An_unknown_date_gets_a_404_page_that_says_which_dates_exist()
    {
        var (status, html) = await GetPageAsync("/?date=2023-05-01");

        status.ShouldBe(HttpStatusCode.NotFound);
        TextOf(html, "problem").ShouldBe("Cannot show that date");
        html.ShouldContain(
            "Nothing was monitored on 2023-05-01. Monitored dates run from 2024-01-07 to 2024-01-21 (3 dates).");
        html.ShouldContain("""<a href="/?date=2024-01-14">2024-01-14</a>""");
    }

    [Fact]
    public async Task A_malformed_date_gets_a_400_page_not_an_error_page()
    {
        var (status, html) = await GetPageAsync("/?date=21-01-2024");

        status.ShouldBe(HttpStatusCode.BadRequest);
        html.ShouldContain("&#39;21-01-2024&#39; is not a date of the form YYYY-MM-DD.");
        html.ShouldNotContain("Exception");
    }

    [Theory]
    [InlineData("/charts/scores.svg", "image/svg+xml")]
    [InlineData("/charts/scores.svg?date=2024-01-14", "image/svg+xml")]
    [InlineData("/charts/scores.png?date=2024-01-07", "image/png")]
    [InlineData("/charts/drift.svg", "image/svg+xml")]
    [InlineData("/charts/drift.png", "image/png")]
    [InlineData("/charts/dag.svg?date=2024-01-21", "image/svg+xml")]
    public async Task Every_chart_is_served_at_its_own_url(string path, string contentType)
    {
        using var response = await server.Client.GetAsync(path);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe(contentType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (contentType == "image/png")
            bytes[..8].ShouldBe(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        else XDocument.Parse(System.Text.Encoding.UTF8.GetString(bytes)).Root!.Name.LocalName.ShouldBe("svg");
    }

    [Theory]
    [InlineData("/charts/scores.svg?date=2030-01-01", HttpStatusCode.NotFound)]
    [InlineData("/charts/scores.png?date=nope", HttpStatusCode.BadRequest)]
    [InlineData("/charts/dag.svg?date=2024-13-01", HttpStatusCode.BadRequest)]
    public async Task A_chart_of_a_bad_date_is_a_problem_not_a_picture(string path, HttpStatusCode expected)
    {
        using var response = await server.Client.GetAsync(path);

        response.StatusCode.ShouldBe(expected);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }
}

public sealed class EmptyDashboardTests(EmptyDashboard server) : IClassFixture<EmptyDashboard>
{
    [Fact]
    public async Task An_empty_database_shows_a_helpful_page()
    {
        using var response = await server.Client.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        html.ShouldContain("Nothing monitored yet");
        html.ShouldContain("inspections run --date YYYY-MM-DD");
        html.ShouldContain("No task has run yet.");
        html.ShouldContain("No model has been selected yet");
        html.ShouldContain("""<section id="dag">"""); // today's DAG, every task not run
    }

    [Fact]
    public async Task With_nothing_monitored_the_charts_are_404()
    {
        using var response = await server.Client.GetAsync("/charts/drift.svg");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
