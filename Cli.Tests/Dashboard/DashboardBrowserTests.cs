using Inspections.Dashboard;
using Inspections.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Inspections.Tests.Dashboard;

/// <summary>
/// The dashboard as a person sees it: Debian's Chromium driven by Playwright (its driver ships in the
/// NuGet package; no browser is downloaded). Leaves a full-page screenshot in artifacts/screenshots.
/// </summary>
public sealed class DashboardBrowserTests(SeededDashboard server) : IClassFixture<SeededDashboard>
{
    private const string Chromium = "/usr/bin/chromium";

    public static string ScreenshotFolder => Path.Combine(SharedData.RepositoryRoot, "artifacts", "screenshots");

    internal static async Task<(IPlaywright, IBrowser)> LaunchAsync()
    {
        File.Exists(Chromium).ShouldBeTrue("Debian chromium is missing: run scripts/ensure-deps.sh --browser");
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return (playwright, browser);
    }

    [Fact]
    public async Task The_page_loads_cleanly_in_a_browser_with_both_histograms_and_their_legends_visible()
    {
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions
        {
            ViewportSize = new ViewportSize { Width = 1366, Height = 900 },
        });
        var problems = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") problems.Add($"console: {message.Text}"); };
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        page.RequestFailed += (_, request) => problems.Add($"request failed: {request.Url} {request.Failure}");
        page.Response += (_, response) =>
        {
            if (response.Status >= 400) problems.Add($"HTTP {response.Status}: {response.Url}");
        };

        var response = await page.GotoAsync(server.BaseUrl + "/",
            new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });

        response!.Status.ShouldBe(200);
        Directory.CreateDirectory(ScreenshotFolder);
        var scores = page.Locator("#scores svg");
        (await scores.IsVisibleAsync()).ShouldBeTrue();
        var box = (await scores.BoundingBoxAsync())!;
        box.Width.ShouldBeGreaterThan(500);
        box.Height.ShouldBeGreaterThan(250);
        foreach (var legend in new[] { DashboardCharts.ReferenceLegend, DashboardCharts.CurrentLegend })
        {
            var text = scores.Locator("text", new LocatorLocatorOptions { HasText = legend });
            (await text.CountAsync()).ShouldBe(1, legend);
            (await text.IsVisibleAsync()).ShouldBeTrue(legend);
            // Text drawn with a real font has a width; with none it would collapse to nothing.
            (await text.BoundingBoxAsync())!.Width.ShouldBeGreaterThan(100, legend);
        }
        // PSI with its levels; shares labelled fail.
        (await page.Locator("#drift-over-time svg").CountAsync()).ShouldBe(2);
        foreach (var chart in new[]
                 {
                     "#drift-over-time svg", "#auc-chart svg", "#precision-chart svg", "#calibration-chart svg",
                 })
        {
            (await page.Locator(chart).First.IsVisibleAsync()).ShouldBeTrue(chart);
            (await page.Locator(chart).First.BoundingBoxAsync())!.Width.ShouldBeGreaterThan(300, chart);
        }
        (await page.Locator("#feature-drift tbody tr").CountAsync()).ShouldBe(DashboardSeed.Features.Length);
        (await page.Locator("#bias tr.small-group").CountAsync()).ShouldBe(1);
        (await page.Locator("#bias tr.small-group td.disparity").CountAsync()).ShouldBe(0);

        // The DAG at the page's width: ten instances in nine columns, every label drawn at 11 px or more, the full key
        // on hover.
        var nodes = page.Locator("#dag svg g.node");
        (await nodes.CountAsync()).ShouldBe(DashboardServer.Dag.Count);
        var smallest = await page.EvaluateAsync<double>("""
            () => Math.min(...[...document.querySelectorAll('#dag svg g.node text')].map(t => {
                const svg = t.ownerSVGElement;
                return parseFloat(t.getAttribute('font-size')) * svg.getBoundingClientRect().width
                    / svg.viewBox.baseVal.width;
            }))
            """);
        smallest.ShouldBeGreaterThanOrEqualTo(11);
        (await nodes.First.Locator("title").TextContentAsync())
            .ShouldStartWith("ingest(date=2024-01-21, source=socrata)");
        (await page.Locator("#runs details").CountAsync()).ShouldBe(1);
        (await page.Locator("#runs h2").InnerTextAsync()).ShouldBe("Runs for 2024-01-21");
        problems.ShouldBeEmpty();
        await page.ScreenshotAsync(
            new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, "dashboard-top.png") });

        var path = Path.Combine(ScreenshotFolder, "dashboard.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        new FileInfo(path).Length.ShouldBeGreaterThan(50_000);
        foreach (var (section, name) in new[]
                 {
                     ("#scores", "dashboard-scores.png"), ("#drift-over-time", "dashboard-drift.png"),
                     ("#performance", "dashboard-performance.png"), ("#dag", "dashboard-dag.png"),
                     ("#bias", "dashboard-bias.png"),
                 })
            await page.Locator(section).ScreenshotAsync(
                new LocatorScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name) });

        // Every run is one click away.
        await page.Locator("#all-runs").ClickAsync();
        page.Url.ShouldEndWith("/?date=2024-01-21&runs=all");
        (await page.Locator("#runs h2").InnerTextAsync()).ShouldBe("All runs");
    }

    [Fact]
    public async Task A_failed_run_opens_to_show_its_check_context()
    {
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + "/");

        var context = page.Locator("#runs details pre");
        (await context.IsVisibleAsync()).ShouldBeFalse();
        await page.Locator("#runs details summary").ClickAsync();
        (await context.IsVisibleAsync()).ShouldBeTrue();
        (await context.InnerTextAsync()).ShouldContain("Assertion: max score <= 0.5");
    }

    [Fact]
    public async Task An_unknown_date_shows_its_message_and_the_monitored_dates_in_the_browser()
    {
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions
        {
            ViewportSize = new ViewportSize { Width = 1366, Height = 600 },
        });

        var response = await page.GotoAsync(server.BaseUrl + "/?date=2023-05-01");

        response!.Status.ShouldBe(404);
        (await page.Locator("#problem").InnerTextAsync()).ShouldContain("Nothing was monitored on 2023-05-01.");
        await page.Locator("#problem a", new PageLocatorOptions { HasText = "2024-01-14" }).ClickAsync();
        page.Url.ShouldEndWith("/?date=2024-01-14");
        (await page.Locator("#psi").InnerTextAsync()).ShouldBe("0.142");
        Directory.CreateDirectory(ScreenshotFolder);
        await page.GoBackAsync();
        await page.ScreenshotAsync(
            new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, "dashboard-unknown-date.png") });
    }
}

public sealed class EmptyDashboardBrowserTests(EmptyDashboard server) : IClassFixture<EmptyDashboard>
{
    [Fact]
    public async Task An_empty_database_shows_a_helpful_page_in_a_browser()
    {
        var (playwright, browser) = await DashboardBrowserTests.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions
        {
            ViewportSize = new ViewportSize { Width = 1366, Height = 900 },
        });

        var response = await page.GotoAsync(server.BaseUrl + "/");

        response!.Status.ShouldBe(200);
        (await page.Locator("#empty h2").InnerTextAsync()).ShouldBe("Nothing monitored yet");
        (await page.Locator("#dag svg g.node").CountAsync()).ShouldBe(DashboardServer.Dag.Count);
        Directory.CreateDirectory(DashboardBrowserTests.ScreenshotFolder);
        await page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(DashboardBrowserTests.ScreenshotFolder, "dashboard-empty.png"),
            FullPage = true,
        });
    }
}
