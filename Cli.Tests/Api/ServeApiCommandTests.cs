using System.Net;
using System.Net.Sockets;
using Inspections.Hosting;
using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Api;

public sealed class ServeApiCommandTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private Dictionary<string, string?> Config => new() { ["ConnectionStrings:Postgres"] = db.ConnectionString };

    [Fact]
    public async Task Serve_api_listens_on_the_given_url_answers_and_stops_when_cancelled()
    {
        var port = TestCluster.FreePort();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var serving = CliRunner.RunAsync(["serve-api", "--urls", $"http://127.0.0.1:{port}"], Config, stop.Token);

        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        HttpResponseMessage? health = null;
        for (var attempt = 0; attempt < 100 && health is null && !serving.IsCompleted; attempt++)
        {
            try { health = await client.GetAsync("/health"); }
            catch (HttpRequestException) { await Task.Delay(200); }
        }
        health.ShouldNotBeNull((serving.IsCompleted ? (await serving).ToString() : "the server never answered"));
        health.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/ready")).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable); // nothing stored in this database

        await stop.CancelAsync();
        var result = await serving;

        result.ExitCode.ShouldBe(ExitCodes.Success, result.ToString());
        result.Out.ShouldContain($"Serving the API on http://127.0.0.1:{port}");
        result.Error.ShouldContain("GET /health 200");
    }

    [Fact]
    public async Task Serve_api_on_a_port_in_use_is_a_usage_error_in_one_line()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var result = await CliRunner.RunAsync(["serve-api", "--urls", $"http://127.0.0.1:{port}"], Config);

        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        result.Error.ShouldContain($"cannot listen on http://127.0.0.1:{port}");
        result.Error.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task Serve_api_with_unknown_database_options_is_a_usage_error()
    {
        var config = Config;
        config["Api:DatabaseOptions"] = "Multiplexing=true;Warp Speed=9";

        var result = await CliRunner.RunAsync(["serve-api", "--urls", "http://127.0.0.1:0"], config);

        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        result.Error.ShouldContain("Api:DatabaseOptions");
    }

    [Fact]
    public async Task Serve_api_with_a_refresh_interval_of_zero_is_a_usage_error()
    {
        var config = Config;
        config["Api:RefreshSeconds"] = "0";

        var result = await CliRunner.RunAsync(["serve-api", "--urls", "http://127.0.0.1:0"], config);

        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        result.Error.ShouldContain("Api:RefreshSeconds");
    }
}
