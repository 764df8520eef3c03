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

        using var client = new HttpClient
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(5),
        };
        HttpResponseMessage? health = null;
        for (var attempt = 0; attempt < 100 && health is null && !serving.IsCompleted; attempt++)
        {
            try { health = await client.GetAsync("/health"); }
            catch (HttpRequestException) { await Task.Delay(200); }
        }
        health.ShouldNotBeNull((serving.IsCompleted ? (await serving).ToString() : "the server never answered"));
        health.StatusCode.ShouldBe(HttpStatusCode.OK);
        // Nothing is stored in this database.
        (await client.GetAsync("/ready")).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);

        await stop.CancelAsync();
        var result = await serving;

        result.ExitCode.ShouldBe(ExitCodes.Success, result.ToString());
        result.Out.ShouldContain($"Serving the API on http://127.0.0.1:{port}");
        result.Error.ShouldContain("GET /health 200");
        // The tests may run as root (CI does) or not: either way the warning says which.
        if (Environment.IsPrivilegedProcess)
            result.Error.ShouldContain("serve-api is running as root: run it as an unprivileged user");
        else result.Error.ShouldNotContain("running as root");
    }

    // A database nobody listens on: the URLs are checked first, so the exit is 2, not 5 (DatabaseUnavailable).
    private static readonly Dictionary<string, string?> NoDatabase = new()
    {
        ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Username=x;Database=x;Timeout=2",
    };

    [Theory]
    [InlineData("serve-api", "not a url", "is not a URL to listen on")]
    [InlineData("serve-dashboard", "not a url", "is not a URL to listen on")]
    [InlineData("serve-api", "http://127.0.0.1:99999", "the port must be 0 to 65535")]
    [InlineData("serve-dashboard", "ftp://127.0.0.1:8050", "the scheme must be http or https")]
    public async Task A_server_given_urls_that_do_not_parse_says_so_in_one_line_with_exit_code_2(
        string verb,
        string urls,
        string message)
    {
        var result = await CliRunner.RunAsync([verb, "--urls", urls], NoDatabase);

        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        result.ErrorLines.ShouldHaveSingleItem().ShouldContain(message);
        result.Error.ShouldNotContain("   at ");
        result.Error.ShouldNotContain("Exception");
    }

    [Theory]
    [InlineData("serve-api", "http://0.0.0.0:5000", "Api:Keys")]
    [InlineData("serve-api", "http://[::]:5000", "Api:Keys")]
    [InlineData("serve-api", "http://192.168.1.10:5000", "Api:Keys")]
    [InlineData("serve-api", "http://inspections.example:5000", "Api:Keys")]
    [InlineData("serve-dashboard", "http://0.0.0.0:8050", "Dashboard:Keys")]
    [InlineData("serve-dashboard", "http://*:8050", "Dashboard:Keys")]
    public async Task A_server_without_api_keys_refuses_to_listen_off_loopback_in_one_line(
        string verb,
        string urls,
        string setting)
    {
        var result = await CliRunner.RunAsync([verb, "--urls", urls], NoDatabase);

        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        var line = result.ErrorLines.ShouldHaveSingleItem();
        line.ShouldContain($"refusing to listen on {urls} without API keys");
        line.ShouldContain($"'inspections api-key new NAME' and put its hash in {setting}:NAME");
        result.LastErrorLine.ShouldBe("exit code 2 (UsageError)");
    }

    [Fact]
    public async Task A_server_with_api_keys_asks_for_one_on_loopback_too()
    {
        var key = ApiKeys.NewKey();
        var config = Config;
        config["Api:Keys:alice"] = ApiKeys.Hash(key);
        var port = TestCluster.FreePort();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var serving = CliRunner.RunAsync(["serve-api", "--urls", $"http://127.0.0.1:{port}"], config, stop.Token);

        using var client = new HttpClient
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(5),
        };
        HttpResponseMessage? health = null;
        for (var attempt = 0; attempt < 100 && health is null && !serving.IsCompleted; attempt++)
        {
            try { health = await client.GetAsync("/health"); }
            catch (HttpRequestException) { await Task.Delay(200); }
        }
        health.ShouldNotBeNull(serving.IsCompleted ? (await serving).ToString() : "the server never answered");
        (await client.GetAsync("/predictions/dates")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        (await client.GetAsync("/predictions/dates")).StatusCode.ShouldBe(HttpStatusCode.OK);

        await stop.CancelAsync();
        var result = await serving;
        result.ExitCode.ShouldBe(ExitCodes.Success, result.ToString());
        result.Out.ShouldContain("API keys required: alice");
        result.Out.ShouldNotContain(key);
        result.Error.ShouldNotContain(key);
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
