using Dapper;
using Inspections.Tests.Infrastructure;
using Npgsql;

namespace Inspections.Tests.Reliability;

/// <summary>
/// A completed task instance holds what a fresh database would give it, whatever ran before or after it:
/// dates of the real export run backwards, interleaved, two at once and forced again, then every date's
/// clean rows, features, predictions, served rows and drift compared with a fresh database's.
/// </summary>
public sealed class OrderIndependenceTests : IAsyncLifetime
{
    private const string TrainDate = "2014-03-03";
    private static readonly string[] Predicted = ["2014-03-10", "2014-04-07", "2014-06-02", "2014-07-07", "2014-08-25"];
    private const string FeaturesOnly = "2014-01-06";

    private readonly List<string> _databases = [];

    /// <summary>
    /// Every database of this test trains on three folds instead of ten: what is compared is which rows each order
    /// leaves, and three fold dates' cohorts exercise that as ten do, in a third of the time.
    /// </summary>
    private static Dictionary<string, string?> Settings(string connectionString) => new()
    {
        ["ConnectionStrings:Postgres"] = connectionString,
        ["Training:Folds"] = "3",
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var name in _databases) await TestCluster.DropDatabaseAsync(name);
    }

    [RealDataFact]
    public async Task Dates_run_in_any_order_hold_exactly_what_a_fresh_database_gives_them()
    {
        // Three separate databases, so they run side by side: the shuffled history, the fresh ones, the early one.
        var shuffledRun = ShuffledAsync();
        var freshRun = FreshAsync();
        var earlyRun = EarlyAsync();
        await Task.WhenAll(shuffledRun, freshRun, earlyRun);
        var (shuffled, (trained, fresh), early) = (shuffledRun.Result, freshRun.Result, earlyRun.Result);

        foreach (var (date, database) in fresh)
            (await FingerprintAsync(shuffled, date, predicted: true))
                .ShouldBe(await FingerprintAsync(database, date, predicted: true), date);
        (await FingerprintAsync(shuffled, TrainDate, predicted: false))
            .ShouldBe(await FingerprintAsync(trained, TrainDate, predicted: false), TrainDate);
        (await FingerprintAsync(shuffled, FeaturesOnly, predicted: false))
            .ShouldBe(await FingerprintAsync(early, FeaturesOnly, predicted: false), FeaturesOnly);
    }

    private async Task<string> ShuffledAsync()
    {
        var shuffled = await CreateAsync();
        // The later date's clean first, then a backfill under it: the case that used to rewrite the clean tables.
        await RunAsync(shuffled, "run", "--until", "clean", "--date", "2014-08-25");
        await RunAsync(shuffled, "run", "--until", "features", "--date", TrainDate);
        await RunAsync(shuffled, "train", "--date", TrainDate);
        await RunAsync(shuffled, "run", "--date", "2014-06-02");
        await RunTwoAtOnceAsync(shuffled, "2014-03-10", "2014-07-07");
        await RunAsync(shuffled, "run", "--until", "features", "--date", "2014-04-07");
        await RunAsync(shuffled, "features", "--force", "--date", "2014-04-07");
        await RunAsync(shuffled, "run", "--date", "2014-08-25");
        // An old date stored again after later ones: served as it was known then, not with today's names.
        await RunAsync(shuffled, "store-api", "--force", "--date", "2014-06-02");
        await RunAsync(shuffled, "run", "--until", "features", "--date", FeaturesOnly);
        await RunAsync(shuffled, "run", "--date", "2014-04-07");
        return shuffled;
    }

    /// <summary>One database trained at the train date, copied for each date, which then runs alone.</summary>
    private async Task<(string Trained, List<(string Date, string Database)> Fresh)> FreshAsync()
    {
        var trained = await CreateAsync();
        await RunAsync(trained, "train", "--date", TrainDate);
        var fresh = new List<(string, string)>();
        foreach (var date in Predicted) fresh.Add((date, await CreateAsync(template: trained)));
        foreach (var (date, database) in fresh) await RunAsync(database, "run", "--date", date);
        return (trained, fresh);
    }

    private async Task<string> EarlyAsync()
    {
        var early = await CreateAsync();
        await RunAsync(early, "run", "--until", "features", "--date", FeaturesOnly);
        return early;
    }

    /// <summary>
    /// What a date's tasks wrote or read, without run ids, model ids or timestamps (those name runs, not data).
    /// </summary>
    private static async Task<string> FingerprintAsync(string connectionString, string date, bool predicted)
    {
        string[] queries =
        [
            "select count(*) || ' ' || md5(string_agg(concat_ws(',', inspection_id, license, name, aka, address, " +
                "zip, latitude, longitude, facility_group, risk_level, inspection_date, inspection_type, outcome, " +
                "passed_with_conditions, closes_business, violations_total), '|' order by inspection_id)) " +
                "from clean.inspections where inspection_date <= @date::date",
            "select count(*) || ' ' || md5(string_agg(v::text, '|' order by inspection_id, position)) " +
                "from clean.violations v where inspection_id in " +
                "(select inspection_id from clean.inspections where inspection_date <= @date::date)",
            "select count(*) || ' ' || md5(string_agg(c::text, '|' order by license)) " +
                "from features.cohort c where as_of_date = @date::date",
            "select count(*) || ' ' || md5(string_agg(s::text, '|' order by as_of_date, license)) " +
                "from features.snapshots s where as_of_date + 60 <= @date::date",
            .. predicted ? (string[])
            [
                "select count(*) || ' ' || md5(string_agg(concat_ws(',', license, score, label), '|' " +
                    "order by license)) from predictions.scores where prediction_date = @date::date",
                "select count(*) || ' ' || md5(string_agg(concat_ws(',', license, name, address, facility_group, " +
                    "risk_level, score, label, rank, threshold), '|' order by license)) " +
                    "from api.predictions where prediction_date = @date::date",
                "select concat_ws(',', establishments, fails) from api.days where prediction_date = @date::date",
                // Drift is the day's cohort against the model's reference: the score and feature statuses, not the
                // overall one, which also carries the realised performance of the earlier dates this database predicted
                // (a fresh copy predicted none).
                "select concat_ws(',', reference_rows, current_rows, psi, ks, mean_current, fail_share_current, " +
                    "score_status, feature_status) from monitoring.drift where monitor_date = @date::date",
            ] : [],
        ];
        // No pooled session may stay open on a database that is copied next.
        await using var connection = new NpgsqlConnection(
            new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        var lines = new List<string>();
        foreach (var sql in queries)
        {
            var value = await connection.ExecuteScalarAsync<string?>(sql, new { date });
            value.ShouldNotBeNullOrEmpty($"{date}: {sql}");
            lines.Add(value);
        }
        lines[2].ShouldNotStartWith("0 ", customMessage: $"{date} has a cohort");
        return string.Join('\n', lines);
    }

    private async Task<string> CreateAsync(string? template = null)
    {
        var name = $"t_{Guid.NewGuid():N}";
        lock (_databases) _databases.Add(name);
        if (template is null) return await TestCluster.CreateDatabaseAsync(name);
        return await TestCluster.CreateDatabaseAsync(
            name, template: new NpgsqlConnectionStringBuilder(template).Database);
    }

    private static async Task RunAsync(string connectionString, params string[] args)
    {
        var result = await CliRunner.RunAsync([.. args, "--source", SharedData.ChicagoCsv], Settings(connectionString));
        result.ExitCode.ShouldBe(0, $"{string.Join(' ', args)}\n{result}");
    }

    /// <summary>Two real processes, each a weekly run of its own date, at once.</summary>
    private static async Task RunTwoAtOnceAsync(string connectionString, string first, string second)
    {
        var environment = Settings(connectionString);
        await using var one = CliProcess.Start(
            ["run", "--date", first, "--source", SharedData.ChicagoCsv], environment);
        await using var two = CliProcess.Start(
            ["run", "--date", second, "--source", SharedData.ChicagoCsv], environment);
        // A bound against a deadlock, not a benchmark: the second waits for the first's features (name and place
        // blocks, the fold dates' whole cohorts), which took over 90 s on the real export with 2 cores at load 40.
        var exits = await Task.WhenAll(
            one.WaitForExitAsync(TimeSpan.FromMinutes(10)), two.WaitForExitAsync(TimeSpan.FromMinutes(10)));
        exits.ShouldBe([0, 0], $"{first}:\n{one}\n{second}:\n{two}");
    }
}
