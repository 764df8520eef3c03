using System.Collections.Concurrent;
using System.Text.Json;
using Inspections.Hosting;
using Inspections.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Inspections.Tests.Reliability;

/// <summary>
/// <c>ingest --source socrata</c> against a local server playing the portal with the saved real page
/// (1,000 records, served in pages of 400), failing on purpose: rate limits, server errors and requests
/// it never answers. (Retries after 429 and a portal always answering 500 are covered in Ingest.)
/// </summary>
public sealed class PortalFaultTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const string RunDate = "2013-03-31";
    private const int Hang = 0;

    public Task InitializeAsync() => db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>
    /// Serves the saved page by $offset/$limit; <paramref name="fault"/> picks, by request number (from 1), a status
    /// to answer instead, or <see cref="Hang"/>.
    /// </summary>
    private static async Task<(WebApplication App, ConcurrentQueue<string> Requests)> ServeAsync(Func<int, int?> fault)
    {
        var records = JsonDocument.Parse(await File.ReadAllTextAsync(
                Path.Combine(SharedData.SocrataFolder, "inspections-2013-02-page.json")))
            .RootElement.EnumerateArray().Select(e => e.GetRawText()).ToArray();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var requests = new ConcurrentQueue<string>();
        app.MapGet("/resource/{dataset}.json", async (HttpContext http) =>
        {
            requests.Enqueue(http.Request.QueryString.Value ?? "");
            switch (fault(requests.Count))
            {
                case Hang:
                    await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { });
                    return Results.Empty;
                case { } status:
                    return Results.StatusCode(status);
            }
            var limit = int.Parse(http.Request.Query["$limit"]!);
            var offset = int.Parse(http.Request.Query["$offset"]!);
            return Results.Text("[" + string.Join(",", records.Skip(offset).Take(limit)) + "]", "application/json");
        });
        await app.StartAsync();
        return (app, requests);
    }

    private static readonly string[] Ingest = ["ingest", "--date", RunDate, "--source", "socrata"];

    private Task<CliResult> IngestAsync(WebApplication portal) => CliRunner.RunAsync(Ingest, Config(portal));

    private Dictionary<string, string?> Config(WebApplication portal) => new()
    {
        ["ConnectionStrings:Postgres"] = db.ConnectionString,
        ["Ingest:Socrata:BaseUrl"] = portal.Urls.Single(),
        ["Ingest:Socrata:PageSize"] = "400",
        ["Ingest:Socrata:Retries"] = "3",
        ["Ingest:Socrata:RetryDelayMs"] = "10",
        ["Ingest:Socrata:TimeoutSeconds"] = "2",
    };

    [RealDataFact]
    public async Task A_portal_answering_429_then_500_then_nothing_then_recovering_is_retried_to_a_complete_load()
    {
        var (portal, requests) = await ServeAsync(n => n switch { 1 => 429, 2 => 500, 3 => Hang, _ => null });
        await using var _ = portal;

        var result = await IngestAsync(portal);

        result.ExitCode.ShouldBe(0, result.ToString());
        requests.Count.ShouldBe(6); // three failed attempts at the first page, then pages of 400, 400 and 200
        result.Error.ShouldContain("retry 3 of 3");
        result.Error.ShouldContain("no answer within 2 s");
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(1000);
        (await db.ScalarAsync<string>("select figures->>'pages' from pipeline.task_metadata")).ShouldBe("3");
    }

    [RealDataFact]
    public async Task A_portal_that_stops_answering_after_the_first_page_fails_cleanly_with_nothing_half_loaded()
    {
        var (portal, requests) = await ServeAsync(n => n == 1 ? null : Hang);
        await using var _ = portal;

        var result = await IngestAsync(portal);

        result.ExitCode.ShouldBe(ExitCodes.SourceUnavailable, result.ToString());
        requests.Count.ShouldBe(5); // the first page, then four attempts at the second
        var error = result.Error.Split('\n').Where(line => line.StartsWith("error:")).ShouldHaveSingleItem();
        error.ShouldContain("no answer within 2 s after 4 attempts");
        error.ShouldContain("--source FILE.csv");
        result.Error.ShouldNotContain("   at ");
        // the first page's 400 records were not kept
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(0);
        (await DatabaseProbe.RecordsOfAsync(db.DataSource, "ingest", RunDate)).ShouldBe((0L, 0L));
        (await db.ScalarAsync<string>(
                "select error from pipeline.task_runs where task = 'ingest' and state = 'failed'"))
            .ShouldContain("kept failing");
    }

    [RealDataFact]
    public async Task A_process_killed_while_downloading_pages_leaves_nothing_and_the_next_ingest_completes()
    {
        var (portal, requests) = await ServeAsync(n => n == 2 ? Hang : null);
        await using var _ = portal;

        await using (var child = CliProcess.Start(Ingest, Config(portal)))
        {
            // The second page is asked for: the first page's records are in the run's open COPY.
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (requests.Count < 2 && !child.HasExited && DateTime.UtcNow < deadline) await Task.Delay(20);
            requests.Count.ShouldBe(2, child.ToString());
            child.Kill();
            (await child.WaitForExitAsync(TimeSpan.FromMinutes(1))).ShouldBe(128 + 9);
        }

        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(0);
        (await DatabaseProbe.RecordsOfAsync(db.DataSource, "ingest", RunDate)).ShouldBe((0L, 0L));

        var next = await IngestAsync(portal);
        next.ExitCode.ShouldBe(0, next.ToString());
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(1000);
        (await DatabaseProbe.RecordsOfAsync(db.DataSource, "ingest", RunDate)).ShouldBe((1L, 1L));
    }
}
