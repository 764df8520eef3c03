using System.Globalization;
using System.Net;
using System.Text.Json;
using Dapper;
using Inspections.Database;
using Inspections.Hosting;
using Inspections.Pipeline;
using Inspections.Serving;
using Inspections.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Inspections.Tests.Api;

/// <summary>
/// A database where days reach the serving table the way they do in production: predictions.scores
/// filled, then store-api run (with <c>--force</c> to store a day again). One model, threshold 0.5.
/// </summary>
internal sealed class StoredDays(NpgsqlDataSource db)
{
    private const string Seed = """
        insert into models.registry (model_id, trained_on, task_parameters, candidate, algorithm, hyper_parameters,
            training_window_start, training_window_end, training_rows, features, fold_metrics, selection_metric,
            selection_value, threshold, threshold_rule, model, model_sha256, run_id)
        values ('m-test', '2024-04-01', '{"date": "2024-04-01"}', 'logistic(l2=1)', 'logistic', '{"l2": 1}',
                '2012-01-02', '2024-02-26', 1000, '["days_since_last"]', '[]', 'precision_at_10', 0.4, 0.5, 'fixed',
                '\x00', 'abc', gen_random_uuid());
        """;

    // Every column of the cohort, as the catalog lists them: the features are 0, so a new feature needs no edit here.
    private const string CohortColumns = """
        select column_name as Name, data_type as Type from information_schema.columns
        where table_schema = 'features' and table_name = 'cohort' order by ordinal_position
        """;

    /// <summary>The date's cohort rows, which store-api takes names, addresses, groups and risk from.</summary>
    private static string CohortSql(IEnumerable<(string Name, string Type)> columns) =>
        $"""
        delete from features.cohort where as_of_date = @date;
        insert into features.cohort ({string.Join(", ", columns.Select(c => c.Name))})
        select {string.Join(", ", columns.Select(c => c.Name switch
        {
            "as_of_date" => "@date",
            "license" => "license",
            "name" => "'PLACE ' || (license::int - 1000000)",
            "address" => "(license::int - 1000000) || ' N STATE ST'",
            "facility_group" => "(array['restaurant', 'grocery', 'bakery'])[1 + license::int % 3]",
            "risk_level" => "(array['high', 'medium'])[1 + license::int % 2]",
            "area" => "'central'",
            "zip" => "'60601'",
            _ when c.Type == "real" => "0",
            _ => throw new InvalidOperationException($"no test value for features.cohort.{c.Name} ({c.Type})"),
        }))}
        from unnest(@licenses) as s(license);
        """;

    private const string ScoresSql = """
        delete from predictions.scores where prediction_date = @date;
        insert into predictions.scores (prediction_date, license, model_id, score, label, run_id, reasons)
        select @date, license, 'm-test', score, case when score >= 0.5 then 'fail' else 'pass' end, gen_random_uuid(),
               jsonb_build_array(jsonb_build_object('feature', 'fails_before', 'value', license, 'effect', score,
                                                    'text', 'Failed <' || license || '> times (raises the risk)'))
        from unnest(@licenses, @scores) as s(license, score);
        """;

    public static async Task<StoredDays> SeedAsync(NpgsqlDataSource db)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync(Seed);
        return new StoredDays(db);
    }

    /// <summary>Scores for establishments 1000001.. (as many as given), stored for the API by store-api.</summary>
    public async Task StoreAsync(DateOnly date, IReadOnlyList<double> scores, bool force = false)
    {
        await PredictAsync(date, scores);
        await StoreApiAsync(date, force);
    }

    /// <summary>What store-api reads for the date: its cohort and its scores, committed.</summary>
    public async Task PredictAsync(DateOnly date, IReadOnlyList<double> scores)
    {
        await using (var connection = await db.OpenConnectionAsync())
        {
            var licenses = scores.Select((_, i) => (1000001 + i).ToString(CultureInfo.InvariantCulture)).ToArray();
            var columns = await connection.QueryAsync<(string Name, string Type)>(CohortColumns);
            await connection.ExecuteAsync(CohortSql(columns), new { date, licenses });
            await connection.ExecuteAsync(ScoresSql, new { date, licenses, scores = scores.ToArray() });
        }
    }

    /// <summary>The real store-api task for the date, run by the task engine (one transaction), green.</summary>
    public async Task StoreApiAsync(DateOnly date, bool force = false)
    {
        var terminal = new Terminal(new StringWriter(), new StringWriter(), IsInteractive: false);
        var report = await new TaskRunner(db, AppSettings.Load([]), CheckOverrides.None, terminal,
                NullLoggerFactory.Instance)
            .RunAsync(new StoreApiTask(date, "test", []), force, CancellationToken.None);
        report.IsGreen.ShouldBeTrue(terminal.Out + "\n" + terminal.Error);
    }

    /// <summary>
    /// Scores that differ per establishment and per <paramref name="seed"/>, a fifth to a half of them fails.
    /// </summary>
    public static double[] Scores(int count, int seed) =>
        [.. Enumerable.Range(0, count).Select(i => (i * 37 + seed * 11) % 100 / 100.0 + 0.001)];
}

/// <summary>
/// The newest prediction day served from memory: fresh within a few polls, and the same bytes as SQL.
/// </summary>
public sealed class ServedDayTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    // xunit makes an instance per test: each test has a database of its own, so each sets its own newest day.
    private readonly TestDatabase _db = new();

    public Task InitializeAsync() => _db.InitializeAsync();

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task A_day_stored_while_the_server_runs_is_served_within_seconds()
    {
        var db = _db;
        var days = await StoredDays.SeedAsync(db.DataSource);
        await days.StoreAsync(new DateOnly(2024, 5, 1), StoredDays.Scores(20, seed: 1));
        var (server, readOnly) = await ApiServer.StartAsync(db.ConnectionString);
        await using var _ = readOnly;
        await using var __ = server;
        (await server.GetJsonAsync("/establishments/1000001/prediction")).Json.GetProperty("predictionDate")
            .GetString().ShouldBe("2024-05-01");

        await days.StoreAsync(new DateOnly(2024, 5, 8), StoredDays.Scores(30, seed: 2));

        // 1000001 is in the day held in memory until the reload (1000030 is not: the database answers it at once).
        await EventuallyAsync(server, "/establishments/1000001/prediction",
            json => json.GetProperty("predictionDate").GetString() == "2024-05-08");
        var added = (await server.GetJsonAsync("/establishments/1000030/prediction")).Json;
        added.GetProperty("predictionDate").GetString().ShouldBe("2024-05-08");
        added.GetProperty("name").GetString().ShouldBe("PLACE 30");
        var (response, page) = await server.GetJsonAsync("/predictions?date=2024-05-08&limit=5");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        page.GetProperty("total").GetInt32().ShouldBe(30);
        page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("rank").GetInt32())
            .ShouldBe([1, 2, 3, 4, 5]);
        (await server.GetJsonAsync("/ready")).Json.GetProperty("servedFromMemory").GetString().ShouldBe("2024-05-08");
        server.Log.ShouldContain("Serving 2024-05-08 from memory: 30 establishments");
    }

    [Fact]
    public async Task A_forced_re_store_of_the_newest_day_with_other_scores_is_served()
    {
        var db = _db;
        var days = await StoredDays.SeedAsync(db.DataSource);
        var day = new DateOnly(2024, 5, 8);
        await days.StoreAsync(day, StoredDays.Scores(20, seed: 1));
        var (server, readOnly) = await ApiServer.StartAsync(db.ConnectionString);
        await using var _ = readOnly;
        await using var __ = server;
        var before = (await server.GetJsonAsync("/establishments/1000001/prediction")).Json.GetProperty("score")
            .GetDouble();
        const string DayRecord = "select run_id::text || ' ' || establishments || ' ' || fails " +
            "from api.days where prediction_date = '2024-05-08'";
        var recordBefore = await db.ScalarAsync<string>(DayRecord);

        var rescored = StoredDays.Scores(20, seed: 5);
        rescored[0] = 0.999; // now rank 1
        await days.StoreAsync(day, rescored, force: true);
        var recordAfter = await db.ScalarAsync<string>(DayRecord);
        recordAfter.ShouldNotBe(recordBefore); // another run id: what tells the server to reload
        recordAfter.ShouldEndWith($" 20 {rescored.Count(s => s >= 0.5)}");

        var after = await EventuallyAsync(server, "/establishments/1000001/prediction",
            json => json.GetProperty("score").GetDouble() != before);
        after.GetProperty("score").GetDouble().ShouldBe(0.999);
        after.GetProperty("rank").GetInt32().ShouldBe(1);
        var first = (await server.GetJsonAsync("/predictions?date=2024-05-08&limit=1")).Json.GetProperty("items")[0];
        first.GetProperty("license").GetString().ShouldBe("1000001");
    }

    [Fact]
    public async Task Answers_from_memory_are_the_bytes_the_database_gives_for_the_same_rows()
    {
        var db = _db;
        var days = await StoredDays.SeedAsync(db.DataSource);
        // The same scores on two dates: 2024-05-08 is served from memory, 2024-05-01 by SQL.
        var scores = StoredDays.Scores(25, seed: 3);
        await days.StoreAsync(new DateOnly(2024, 5, 1), scores);
        await days.StoreAsync(new DateOnly(2024, 5, 8), scores);
        var (server, readOnly) = await ApiServer.StartAsync(db.ConnectionString);
        await using var _ = readOnly;
        await using var __ = server;
        (await server.GetJsonAsync("/ready")).Json.GetProperty("servedFromMemory").GetString().ShouldBe("2024-05-08");

        string[] requests =
        [
            "/establishments/1000007/prediction?date={0}",
            "/predictions?date={0}",
            "/predictions?date={0}&limit=3&offset=2",
            "/predictions?date={0}&label=fail",
            "/predictions?date={0}&label=pass&limit=4&offset=3",
            "/predictions?date={0}&label=fail&offset=1000",
            "/predictions?date={0}&offset=25",
        ];
        foreach (var request in requests)
        {
            var fromSql = await BodyAsync(server, string.Format(CultureInfo.InvariantCulture, request, "2024-05-01"));
            var fromMemory =
                await BodyAsync(server, string.Format(CultureInfo.InvariantCulture, request, "2024-05-08"));
            fromMemory.ShouldBe(fromSql.Replace("2024-05-01", "2024-05-08", StringComparison.Ordinal), request);
        }
        // The stored reasons come through both paths, escaped like every other string.
        (await BodyAsync(server, "/establishments/1000007/prediction")).ShouldContain(
            "\"reasons\":[{\"feature\":\"fails_before\",\"value\":\"1000007\",\"effect\":");
        // Without a date: the establishment's latest day, from memory, as SQL gives it on that date.
        (await BodyAsync(server, "/establishments/1000007/prediction"))
            .ShouldBe((await BodyAsync(server, "/establishments/1000007/prediction?date=2024-05-01"))
                .Replace("2024-05-01", "2024-05-08", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rows_written_without_their_day_record_are_served_by_the_database()
    {
        var db = _db;
        var days = await StoredDays.SeedAsync(db.DataSource);
        await days.StoreAsync(new DateOnly(2024, 5, 1), StoredDays.Scores(10, seed: 1));
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        {
            // A newer day written behind store-api's back: the day in memory would no longer be the newest.
            await connection.ExecuteAsync("""
                insert into api.predictions (prediction_date, license, name, address, facility_group, risk_level,
                                             score, label, rank, threshold, model_id)
                select '2024-05-08', license, name, address, facility_group, risk_level, score, label, rank,
                       threshold, model_id
                from api.predictions where prediction_date = '2024-05-01'
                """);
        }
        var (server, readOnly) = await ApiServer.StartAsync(db.ConnectionString);
        await using var _ = readOnly;
        await using var __ = server;

        (await server.GetJsonAsync("/ready")).Json.GetProperty("servedFromMemory").ValueKind
            .ShouldBe(JsonValueKind.Null);
        (await server.GetJsonAsync("/establishments/1000001/prediction")).Json.GetProperty("predictionDate")
            .GetString().ShouldBe("2024-05-08");
    }

    private static async Task<string> BodyAsync(ApiServer server, string path)
    {
        var response = await server.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, $"{path}: {body}");
        return body;
    }

    /// <summary>
    /// Asks until the answer satisfies <paramref name="condition"/>, at most <see cref="Deadline"/>: the server polls
    /// every second.
    /// </summary>
    internal static async Task<JsonElement> EventuallyAsync(
        ApiServer server,
        string path,
        Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            var (response, json) = await server.GetJsonAsync(path);
            if (response.IsSuccessStatusCode && condition(json)) return json;
            if (DateTime.UtcNow > deadline)
                throw new ShouldAssertException(
                    $"{path} still answers {json} after {Deadline.TotalSeconds} s\n{server.Log}");
            await Task.Delay(100);
        }
    }
}

/// <summary>The PostgreSQL server stopped under a running API (a throwaway cluster of this class's own).</summary>
public sealed class ServedDayOutageTests : IAsyncLifetime
{
    private readonly ThrowawayCluster _throwaway = new("outage");
    private NpgsqlDataSource _db = null!;

    public async Task InitializeAsync() =>
        _db = await DatabaseConnector.OpenAsync(AppSettings.Load(_throwaway.Config), NullLoggerFactory.Instance,
            CancellationToken.None);

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        await _throwaway.DisposeAsync();
    }

    [Fact]
    public async Task The_newest_day_keeps_being_served_while_the_database_is_down()
    {
        var days = await StoredDays.SeedAsync(_db);
        await days.StoreAsync(new DateOnly(2024, 5, 1), StoredDays.Scores(10, seed: 1));
        await days.StoreAsync(new DateOnly(2024, 5, 8), StoredDays.Scores(10, seed: 2));
        var (server, readOnly) = await ApiServer.StartAsync(_throwaway.Cluster.SuperuserConnectionString());
        await using var _ = readOnly;
        await using var __ = server;
        var before = await server.Client.GetStringAsync("/establishments/1000003/prediction");

        (await _throwaway.Cluster.StopAsync(CancellationToken.None)).ShouldBeTrue();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!server.Log.Contains("Cannot check for a newer prediction day", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
                throw new ShouldAssertException($"no warning after the server stopped\n{server.Log}");
            await Task.Delay(100);
        }
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // more failed polls: still one warning

        (await server.Client.GetStringAsync("/establishments/1000003/prediction")).ShouldBe(before);
        var (response, page) = await server.GetJsonAsync("/predictions?date=2024-05-08&label=fail&limit=2");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        page.GetProperty("items").GetArrayLength().ShouldBe(2);
        (await server.GetJsonAsync("/establishments/1000003/prediction?date=2024-05-01")).ShouldBeProblem(503);
        server.Log.Split('\n').Count(line => line.Contains("Cannot check", StringComparison.Ordinal))
            .ShouldBe(1, server.Log);
    }
}
