using System.Net;
using System.Xml.Linq;
using Inspections.Hosting;
using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Dashboard;

public sealed class ServeDashboardCommandTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Serve_dashboard_listens_where_told_until_cancelled_then_exits_cleanly()
    {
        await DashboardSeed.FillAsync(db.DataSource);
        var url = $"http://127.0.0.1:{TestCluster.FreePort()}";
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var run = CliRunner.RunAsync(["serve-dashboard", "--urls", url],
            new() { ["ConnectionStrings:Postgres"] = db.ConnectionString }, stop.Token);

        using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
        HttpResponseMessage? page = null;
        for (var attempt = 0; attempt < 100 && page is null && !run.IsCompleted; attempt++)
        {
            try
            {
                page = await client.GetAsync("/?date=2024-01-14");
            }
            catch (HttpRequestException)
            {
                await Task.Delay(200);
            }
        }
        if (page is null) Assert.Fail($"the dashboard never answered: {await run}");
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).ShouldContain("predictions of 2024-01-14");
        page.Dispose();
        // The verb draws the pipeline's DAG for the date, with the source its latest run used, states from the run
        // history.
        var dag = XDocument.Parse(await client.GetStringAsync("/charts/dag.svg?date=2024-01-21"));
        var nodes = dag.Descendants().Where(e => (string?)e.Attribute("class") == "node")
            .ToDictionary(n => (string)n.Attribute("data-key")!, n => (string?)n.Attribute("data-state"));
        // 2024-01-21's seven instances (evaluate among them), and the three-plus-three that trained the seeded model of
        // 2024-01-01 which predict uses.
        nodes.Count.ShouldBe(13);
        nodes.Keys.ShouldContain("evaluate(date=2024-01-21, source=socrata)");
        nodes.Keys.ShouldContain(k => k.StartsWith("bias(date=2024-01-01"));
        nodes["monitor(date=2024-01-21, source=socrata)"].ShouldBe("complete");
        nodes["predict(date=2024-01-21, source=socrata)"].ShouldBe("not run");

        await stop.CancelAsync();
        var result = await run;
        result.ExitCode.ShouldBe(0, result.ToString());
        result.Out.ShouldContain($"Dashboard listening on {url}");
    }

    [Fact]
    public async Task Serve_dashboard_refuses_an_address_already_in_use()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

        var result = await CliRunner.RunAsync(["serve-dashboard", "--urls", url],
            new() { ["ConnectionStrings:Postgres"] = db.ConnectionString });

        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        result.Error.ShouldContain($"cannot listen on {url}");
    }
}
