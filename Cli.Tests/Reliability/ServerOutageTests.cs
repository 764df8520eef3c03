using System.Globalization;
using System.Net;
using System.Text.Json;
using Inspections.Database;
using Inspections.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Inspections.Tests.Reliability;

/// <summary>
/// The servers (serve-dashboard, serve-api, run in process as the verbs) while their PostgreSQL server, a throwaway
/// embedded cluster of this class's own, is stopped and started again: a 503 that names no path and quotes no server
/// message, one log line per outage, and the first request after the server is back answered as usual.
/// </summary>
public sealed class ServerOutageTests : IAsyncLifetime
{
    private readonly ThrowawayCluster _throwaway = new("outage");

    public async Task InitializeAsync()
    {
        var migrated = await CliRunner.RunAsync(["db", "migrate"], _throwaway.Config);
        migrated.ExitCode.ShouldBe(0, migrated.ToString());
    }

    public async Task DisposeAsync() => await _throwaway.DisposeAsync();

    [Fact]
    public async Task The_dashboard_answers_a_503_page_during_a_database_outage_and_the_first_request_after_as_usual()
    {
        await using var server = await Served.StartAsync("serve-dashboard", _throwaway.Config, "/");
        (await server.GetAsync("/")).Status.ShouldBe(HttpStatusCode.OK);

        await StopServerAsync();
        foreach (var path in (string[])["/", "/?date=2024-01-21", "/charts/scores.svg", "/charts/dag.svg"])
        {
            var (status, type, body) = await server.GetAsync(path);
            status.ShouldBe(HttpStatusCode.ServiceUnavailable, $"{path}: {body}");
            type.ShouldBe("text/html");
            body.ShouldContain("<h2>Database unavailable</h2>");
            ShouldHoldNoInternals(body);
        }

        await StartServerAsync();
        var back = await server.GetAsync("/");
        back.Status.ShouldBe(HttpStatusCode.OK, back.Body);
        back.Body.ShouldContain("Nothing monitored yet");

        // Restarted between two requests: the connections the pool keeps idle are dead, though nothing says so yet.
        await StopServerAsync();
        await StartServerAsync();
        (await server.GetAsync("/")).Status.ShouldBe(HttpStatusCode.OK);

        var result = await server.StopAsync();
        result.ExitCode.ShouldBe(0, result.ToString());
        LinesOf(result.Error, "Dashboard: database unavailable").ShouldHaveSingleItem(result.ToString());
        LinesOf(result.Error, "Dashboard: the database answers again").ShouldHaveSingleItem(result.ToString());
        result.Error.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task Ready_says_database_unavailable_without_paths_or_server_text_and_logs_why_once_per_outage()
    {
        await using var server = await Served.StartAsync("serve-api", _throwaway.Config, "/health");
        // the database answers; it holds nothing yet
        (await server.ReadyAsync()).Detail.ShouldContain("no predictions");

        await StopServerAsync();
        for (var request = 0; request < 3; request++)
        {
            var (status, detail, body) = await server.ReadyAsync();
            status.ShouldBe(HttpStatusCode.ServiceUnavailable);
            detail.ShouldBe("The database is unavailable.");
            ShouldHoldNoInternals(body);
        }

        await StartServerAsync();
        (await server.ReadyAsync()).Detail.ShouldContain("no predictions");

        var result = await server.StopAsync();
        result.ExitCode.ShouldBe(0, result.ToString());
        var outage = LinesOf(result.Error, "Ready: database unavailable").ShouldHaveSingleItem(result.ToString());
        // The reason, with the socket's path, is for the operator.
        outage.ShouldContain(_throwaway.Cluster.SocketDirectory);
        LinesOf(result.Error, "Ready: the database answers again").ShouldHaveSingleItem(result.ToString());
    }

    private void ShouldHoldNoInternals(string body)
    {
        body.ShouldNotContain(_throwaway.Root);
        body.ShouldNotContain("Npgsql");
        body.ShouldNotContain("Exception");
        body.ShouldNotContain("   at ");
        body.ShouldNotContain("No such file");
    }

    private static List<string> LinesOf(string log, string text) =>
        [.. log.Split('\n').Where(l => l.Contains(text, StringComparison.Ordinal))];

    /// <summary>Stops the server fast (sessions end with an error) and checks that it is down.</summary>
    private async Task StopServerAsync()
    {
        (await _throwaway.Cluster.StopAsync(CancellationToken.None)).ShouldBeTrue("the server was not running");
        (await _throwaway.Cluster.IsRunningAsync(CancellationToken.None)).ShouldBeFalse();
    }

    private async Task StartServerAsync()
    {
        await _throwaway.Cluster.EnsureRunningAsync(CancellationToken.None);
        (await _throwaway.Cluster.IsRunningAsync(CancellationToken.None)).ShouldBeTrue();
    }

    /// <summary>A serve verb running in process on a free loopback port, until stopped.</summary>
    private sealed class Served(Task<CliResult> run, CancellationTokenSource stop, HttpClient client) : IAsyncDisposable
    {
        public static async Task<Served> StartAsync(string verb, Dictionary<string, string?> config, string probe)
        {
            var url = $"http://127.0.0.1:{TestCluster.FreePort()}";
            var stop = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var run = CliRunner.RunAsync([verb, "--urls", url], config, stop.Token);
            var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
            for (var attempt = 0; ; attempt++)
            {
                if (run.IsCompleted) Assert.Fail($"{verb} exited before answering: {await run}");
                try
                {
                    using var answer = await client.GetAsync(probe);
                    break;
                }
                catch (HttpRequestException) when (attempt < 300)
                {
                    await Task.Delay(100);
                }
            }
            return new Served(run, stop, client);
        }

        public async Task<(HttpStatusCode Status, string? Type, string Body)> GetAsync(string path)
        {
            using var response = await client.GetAsync(path);
            return (response.StatusCode, response.Content.Headers.ContentType?.MediaType,
                await response.Content.ReadAsStringAsync());
        }

        public async Task<(HttpStatusCode Status, string Detail, string Body)> ReadyAsync()
        {
            var (status, type, body) = await GetAsync("/ready");
            type.ShouldBe("application/problem+json", body);
            using var json = JsonDocument.Parse(body);
            return (status, json.RootElement.GetProperty("detail").GetString() ?? "", body);
        }

        public async Task<CliResult> StopAsync()
        {
            await stop.CancelAsync();
            return await run;
        }

        public async ValueTask DisposeAsync()
        {
            if (!run.IsCompleted)
            {
                await stop.CancelAsync();
                await run;
            }
            client.Dispose();
            stop.Dispose();
        }
    }
}
