using System.Collections.Concurrent;
using System.Text.Json;
using Inspections.Hosting;
using Inspections.Ingest;
using Inspections.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inspections.Tests.Ingest;

/// <summary>The API client against a local HTTP server that plays the portal, and the saved real pages.</summary>
public sealed class SocrataSourceTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    public Task InitializeAsync() => db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static string Record(long id, string date, string extra = "") =>
        $$"""{"inspection_id":"{{id}}","dba_name":"CAFE {{id}}","license_":"{{1000 + id}}",""" +
        $$"""
        "inspection_date":"{{date}}","results":"Pass","latitude":"41.9","longitude":"-87.6"{{extra}}}
        """;

    /// <summary>
    /// A fake portal: answers each request with the next planned response, then pages of <paramref name="records"/>.
    /// </summary>
    private static async Task<(WebApplication App, string Url, ConcurrentQueue<string> Requests)> ServeAsync(
        string[] records, params int[] failuresFirst)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var requests = new ConcurrentQueue<string>();
        var failures = new ConcurrentQueue<int>(failuresFirst);
        app.MapGet("/resource/{dataset}.json", (HttpContext http) =>
        {
            requests.Enqueue(http.Request.QueryString.Value ?? "");
            if (failures.TryDequeue(out var status)) return Results.StatusCode(status);
            var limit = int.Parse(http.Request.Query["$limit"]!);
            var offset = int.Parse(http.Request.Query["$offset"]!);
            return Results.Text("[" + string.Join(",", records.Skip(offset).Take(limit)) + "]", "application/json");
        });
        await app.StartAsync();
        return (app, app.Urls.Single(), requests);
    }

    private Task<CliResult> IngestAsync(string url, string date) =>
        CliRunner.RunAsync(["ingest", "--date", date, "--source", "socrata"], new()
        {
            ["ConnectionStrings:Postgres"] = db.ConnectionString,
            ["Ingest:Socrata:BaseUrl"] = url,
            ["Ingest:Socrata:PageSize"] = "2",
            ["Ingest:Socrata:Retries"] = "2",
            ["Ingest:Socrata:RetryDelayMs"] = "10",
        });

    [Fact]
    public async Task The_client_pages_by_id_within_the_date_window_and_retries_after_429()
    {
        string[] records =
        [
            Record(1, "2013-02-01T00:00:00"), Record(2, "2013-02-02T00:00:00.000"),
            Record(3, "2013-02-03T00:00:00",
                """,":@computed_region_awaf_s7ux":"12","location":{"type":"Point","coordinates":[-87.6,41.9]}"""),
            Record(4, "2013-02-04T00:00:00", ""","unknown_key":{"nested":[1,2]}"""), Record(5, "2013-02-05T00:00:00"),
        ];
        var (app, url, requests) = await ServeAsync(records, 429);
        await using var _ = app;

        var result = await IngestAsync(url, "2013-02-28");

        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(5);
        (await db.ScalarAsync<string>("select location from raw.inspections where inspection_id = 3"))
            .ShouldContain("Point");
        (await db.ScalarAsync<string>(
                "select extra->>':@computed_region_awaf_s7ux' from raw.inspections where inspection_id = 3"))
            .ShouldBe("12");
        var sent = requests.ToArray();
        sent.Length.ShouldBe(4); // the 429, then pages of 2, 2 and 1 records
        var query = Uri.UnescapeDataString(sent[1]);
        query.ShouldContain("$order=inspection_id");
        query.ShouldContain("$where=inspection_date < '2013-03-01T00:00:00'");
        Uri.UnescapeDataString(sent[3]).ShouldContain("$offset=4");
    }

    [Fact]
    public async Task A_portal_that_keeps_failing_is_one_clear_line_and_the_source_unavailable_code()
    {
        var (app, url, requests) = await ServeAsync([Record(1, "2013-02-01T00:00:00")], 500, 500, 500);
        await using var _ = app;

        var result = await IngestAsync(url, "2013-02-28");

        result.ExitCode.ShouldBe(ExitCodes.SourceUnavailable, result.ToString());
        requests.Count.ShouldBe(3);
        var error = result.Error.Split('\n').Where(line => line.StartsWith("error:")).ShouldHaveSingleItem();
        error.ShouldContain("500");
        error.ShouldContain("--source FILE.csv");
        result.Error.ShouldNotContain(" at Inspections."); // no stack trace
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(0);
    }

    [Fact]
    public async Task A_later_run_asks_the_portal_only_for_its_window()
    {
        var (app, url, requests) = await ServeAsync([Record(1, "2013-02-01T00:00:00")]);
        await using var _ = app;
        var first = await IngestAsync(url, "2013-02-28");
        first.ExitCode.ShouldBe(0, first.ToString());

        (await IngestAsync(url, "2013-03-07")).ExitCode.ShouldBe(0);

        // RereadDays (14) before the last stored date, through the run date.
        Uri.UnescapeDataString(requests.Last()).ShouldContain(
            "inspection_date >= '2013-01-18T00:00:00' and inspection_date < '2013-03-08T00:00:00'");
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(1);
    }

    [RealDataFact]
    public async Task Both_saved_page_shapes_parse_into_records()
    {
        var old = await ReadAllAsync(Path.Combine(SharedData.SocrataFolder, "inspections-2013-02-page.json"));
        old.Count.ShouldBe(1000);
        old.ShouldAllBe(r => r.Parse().RejectReason == null);
        old.Count(r => r[SourceRecord.Keys.ToList().IndexOf("violations")] == null).ShouldBe(176);
        old.Select(r => r.Parse().Date).Min().ShouldBe(new DateOnly(2013, 2, 14));

        var recent = await ReadAllAsync(Path.Combine(SharedData.SocrataFolder, "inspections-2019-10-sample.json"));
        recent.Count.ShouldBe(19);
        recent.ShouldAllBe(r => r.Parse().RejectReason == null && r.Parse().Date.Year == 2019);
    }

    [RealDataFact]
    public async Task A_saved_page_ingests_through_the_json_source()
    {
        var result = await db.RunAsync("ingest", "--date", "2013-03-01", "--source",
            Path.Combine(SharedData.SocrataFolder, "inspections-2013-02-page.json"));
        result.ExitCode.ShouldBe(0, result.ToString());
        var expected = (await ReadAllAsync(Path.Combine(SharedData.SocrataFolder, "inspections-2013-02-page.json")))
            .Count(r => r.Parse().Date <= new DateOnly(2013, 3, 1));
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(expected);
    }

    private static async Task<List<SourceRecord>> ReadAllAsync(string path)
    {
        var records = new List<SourceRecord>();
        await foreach (var record in SodaJson.ReadFileAsync(path, CancellationToken.None)) records.Add(record);
        return records;
    }
}
