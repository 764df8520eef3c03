using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Dapper;
using Inspections.Database;
using Inspections.Hosting;
using Inspections.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Inspections.Tests.Api;

/// <summary>
/// A throwaway primary (an embedded cluster of this class's own, migrated and with the product's roles) and a streaming
/// hot standby of it made with pg_basebackup, as scripts/scale-out.sh makes them; the API serves the standby as its
/// read-only role, polling every 0.2 s, and calls a standby more than 2 s behind not ready.
/// </summary>
public sealed class StandbyPair : IAsyncLifetime
{
    public static readonly DateOnly FirstDay = new(2024, 5, 1);
    public const int FirstDayEstablishments = 50;

    private readonly ThrowawayCluster _primary = new("primary");
    private readonly ThrowawayCluster _standby = new("standby");
    private NpgsqlDataSource _apiSource = null!;

    internal EmbeddedCluster Primary => _primary.Cluster;
    internal EmbeddedCluster Standby => _standby.Cluster;
    internal NpgsqlDataSource PrimaryDb { get; private set; } = null!;
    internal NpgsqlDataSource StandbySuperuser { get; private set; } = null!;
    internal StoredDays Days { get; private set; } = null!;
    internal ApiServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The product's own set-up of the primary: database, roles, migrations, the servers' grants.
        var settings = AppSettings.Load(_primary.Config);
        await (await DatabaseConnector.OpenAsync(settings, NullLoggerFactory.Instance, CancellationToken.None))
            .DisposeAsync();
        PrimaryDb = NpgsqlDataSource.Create(Primary.SuperuserConnectionString() + ";Pooling=false");
        Days = await StoredDays.SeedAsync(PrimaryDb);
        await Days.StoreAsync(FirstDay, StoredDays.Scores(FirstDayEstablishments, seed: 1));

        // The standby: a base backup streamed from the primary (-R writes standby.signal and primary_conninfo) into the
        // second cluster's folder, then started as the embedded cluster starts (its own port and socket): it replays
        // and keeps streaming.
        Directory.CreateDirectory(Standby.DataDirectory);
        File.SetUnixFileMode(Standby.DataDirectory,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (Environment.IsPrivilegedProcess) await RunAsync("chown", "postgres:", Standby.DataDirectory);
        await RunAsServerUserAsync(Path.Combine(BinDirectory, "pg_basebackup"), "-h", Primary.SocketDirectory,
            "-p", Primary.Port.ToString(CultureInfo.InvariantCulture), "-U", EmbeddedCluster.SuperUser,
            "-D", Standby.DataDirectory, "-R", "-X", "stream", "--checkpoint=fast");
        await Standby.EnsureRunningAsync(CancellationToken.None);
        StandbySuperuser = NpgsqlDataSource.Create(Standby.SuperuserConnectionString() + ";Pooling=false");

        _apiSource = DatabaseConnector.Build(Standby.ConnectionString(user: DatabaseRoles.Api),
            NullLoggerFactory.Instance, readOnly: true,
            AppSettings.Load([]).Bind<Inspections.Api.ApiSettings>("Api").DatabaseOptions);
        Server = await ApiServer.StartAsync(_apiSource, new()
        {
            ["Api:RefreshSeconds"] = "0.2",
            ["Api:MaxReplicationLagSeconds"] = "2",
        });
    }

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        if (_apiSource is not null) await _apiSource.DisposeAsync();
        if (StandbySuperuser is not null) await StandbySuperuser.DisposeAsync();
        if (PrimaryDb is not null) await PrimaryDb.DisposeAsync();
        await _standby.DisposeAsync();
        await _primary.DisposeAsync();
    }

    /// <summary>
    /// Makes the primary write out its WAL (a segment switch flushes it) and waits until the standby has replayed all
    /// of it.
    /// </summary>
    public async Task ReplayEverythingWrittenAsync()
    {
        await using var primary = await PrimaryDb.OpenConnectionAsync();
        var written = await primary.ExecuteScalarAsync<string>("select pg_switch_wal()::text");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        await using var standby = await StandbySuperuser.OpenConnectionAsync();
        while (!await standby.ExecuteScalarAsync<bool>(
                   "select pg_last_wal_replay_lsn() >= @written::pg_lsn", new { written }))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the standby did not replay up to {written} within 20 s");
            await Task.Delay(50);
        }
    }

    private static string BinDirectory => Directory.GetDirectories("/usr/lib/postgresql")
        .Select(d => Path.Combine(d, "bin"))
        .Where(d => File.Exists(Path.Combine(d, "pg_basebackup"))).OrderDescending().First();

    private static Task RunAsServerUserAsync(string file, params string[] args) =>
        Environment.IsPrivilegedProcess
            ? RunAsync("runuser", ["-u", "postgres", "--", file, .. args])
            : RunAsync(file, args);

    private static async Task RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, $"{file} {string.Join(' ', args)}: {output}");
    }
}

/// <summary>
/// serve-api on a read-only hot standby: it answers, takes new days as replication brings them, whole, and says when it
/// lags.
/// </summary>
public sealed class StandbyTests(StandbyPair pair) : IClassFixture<StandbyPair>
{
    private ApiServer Server => pair.Server;

    [Fact]
    public async Task Serve_api_on_a_read_only_standby_answers_and_reports_its_replication_lag()
    {
        await using (var standby = await pair.StandbySuperuser.OpenConnectionAsync())
        {
            (await standby.ExecuteScalarAsync<bool>("select pg_is_in_recovery()")).ShouldBeTrue();
            var refused = await Should.ThrowAsync<PostgresException>(
                () => standby.ExecuteAsync("create table public.probe (id int)"));
            refused.SqlState.ShouldBe(PostgresErrorCodes.ReadOnlySqlTransaction);
        }

        var ready = await ServedDayTests.EventuallyAsync(Server, "/ready",
            json => json.GetProperty("servedFromMemory").ValueKind == JsonValueKind.String);
        ready.GetProperty("status").GetString().ShouldBe("ready");
        ready.GetProperty("replicationLagSeconds").ValueKind.ShouldBe(JsonValueKind.Number);
        ready.GetProperty("replicationLagSeconds").GetDouble().ShouldBeLessThan(2);

        var (response, page) =
            await Server.GetJsonAsync($"/predictions?date={StandbyPair.FirstDay:yyyy-MM-dd}&limit=10");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        page.GetProperty("items").GetArrayLength().ShouldBe(10);
        (await Server.GetJsonAsync("/establishments/1000001/prediction")).Response.StatusCode
            .ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_day_arriving_by_replication_is_served_once_its_commit_is_replayed_and_then_whole()
    {
        var previous = await NewestStoredAsync();
        var day = previous.AddDays(7);
        const int establishments = 3000;
        var iso = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        // store-api held just before its commit (a SHARE lock on the run history it records itself in): its rows and
        // the day's record are written on the primary, and their WAL streamed to the standby and replayed.
        await pair.Days.PredictAsync(day, StoredDays.Scores(establishments, seed: 2));
        Task store;
        await using (var gate = await PrimaryGate.CloseAsync(pair.PrimaryDb))
        {
            var before = await WalInsertedAsync();
            store = pair.Days.StoreApiAsync(day);
            await gate.WaitForBlockedWriterAsync(TimeSpan.FromSeconds(30));
            (await WalInsertedAsync() - before).ShouldBeGreaterThan(establishments * 100m,
                "store-api should have written the day's rows before blocking at its commit");
            await pair.ReplayEverythingWrittenAsync();

            // Replayed but not committed: the standby shows none of it, and after several polls the API still serves
            // the first day.
            await using (var standby = await pair.StandbySuperuser.OpenConnectionAsync())
                (await standby.ExecuteScalarAsync<long>(
                    "select count(*) from api.predictions where prediction_date = @day", new { day })).ShouldBe(0);
            await Task.Delay(TimeSpan.FromSeconds(1));
            var ready = (await Server.GetJsonAsync("/ready")).Json;
            ready.GetProperty("servedFromMemory").GetString()
                .ShouldBe(previous.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            (await Server.GetJsonAsync($"/predictions?date={iso}")).ShouldBeProblem(404);
            (await Server.GetJsonAsync("/predictions/dates")).Json.EnumerateArray()
                .Select(d => d.GetProperty("date").GetString()).ShouldNotContain(iso);
            store.IsCompleted.ShouldBeFalse("the gate should still hold store-api");
        }
        await store;

        // Committed and replayed: the whole day, counts and rows from the same commit.
        await ServedDayTests.EventuallyAsync(Server, "/ready",
            json => json.GetProperty("servedFromMemory").GetString() == iso);
        var (response, page) = await Server.GetJsonAsync($"/predictions?date={iso}&limit=1000&offset=2500");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        page.GetProperty("total").GetInt32().ShouldBe(establishments);
        page.GetProperty("items").GetArrayLength().ShouldBe(establishments - 2500);
        var dates = (await Server.GetJsonAsync("/predictions/dates")).Json.EnumerateArray().ToList();
        dates[0].GetProperty("date").GetString().ShouldBe(iso);
        dates[0].GetProperty("establishments").GetInt32().ShouldBe(establishments);
        // The day before is now an older day, paged from the standby through the page cache: still all of it.
        var older = (await Server.GetJsonAsync($"/predictions?date={StandbyPair.FirstDay:yyyy-MM-dd}&limit=1000")).Json;
        older.GetProperty("total").GetInt32().ShouldBe(StandbyPair.FirstDayEstablishments);
        older.GetProperty("items").GetArrayLength().ShouldBe(StandbyPair.FirstDayEstablishments);
    }

    private async Task<DateOnly> NewestStoredAsync()
    {
        await using var primary = await pair.PrimaryDb.OpenConnectionAsync();
        return DateOnly.FromDateTime(
            await primary.ExecuteScalarAsync<DateTime>("select max(prediction_date) from api.days"));
    }

    private async Task<decimal> WalInsertedAsync()
    {
        await using var primary = await pair.PrimaryDb.OpenConnectionAsync();
        return await primary.ExecuteScalarAsync<decimal>("select pg_current_wal_insert_lsn() - '0/0'::pg_lsn");
    }

    [Fact]
    public async Task Ready_is_503_while_the_standby_lags_its_primary_beyond_the_bound_and_200_once_it_caught_up()
    {
        await ServedDayTests.EventuallyAsync(Server, "/ready",
            json => json.GetProperty("status").GetString() == "ready");
        var day = (await NewestStoredAsync()).AddDays(7);
        await using var standby = await pair.StandbySuperuser.OpenConnectionAsync();
        await standby.ExecuteAsync("select pg_wal_replay_pause()");
        try
        {
            // WAL the standby receives and does not replay.
            await pair.Days.StoreAsync(day, StoredDays.Scores(40, seed: 3));
            await using (var primary = await pair.PrimaryDb.OpenConnectionAsync())
                await primary.ExecuteAsync("select pg_switch_wal()");

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            (HttpResponseMessage Response, JsonElement Json) ready;
            while ((ready = await Server.GetJsonAsync("/ready")).Response.StatusCode == HttpStatusCode.OK)
            {
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException("/ready stayed 200 while replay was paused for 20 s");
                await Task.Delay(100);
            }
            ready.ShouldBeProblem(503, "behind its primary, more than Api:MaxReplicationLagSeconds (2 s)");
            var detail = ready.Json.GetProperty("detail").GetString()!;
            detail.ShouldNotContain(Path.GetTempPath().TrimEnd('/'));
            detail.ShouldNotContain("pgdata");
        }
        finally
        {
            await standby.ExecuteAsync("select pg_wal_replay_resume()");
        }
        var caughtUp = await ServedDayTests.EventuallyAsync(Server, "/ready",
            json => json.GetProperty("servedFromMemory").GetString()
                == day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        caughtUp.GetProperty("replicationLagSeconds").GetDouble().ShouldBeLessThan(2);
    }
}

/// <summary>
/// A SHARE lock on the primary's <c>pipeline.task_runs</c>: a task run writes its whole body in its transaction, then
/// blocks recording itself, just before its commit (as <see cref="Reliability.CommitGate"/>, for an in-process run).
/// </summary>
internal sealed class PrimaryGate : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private PrimaryGate(NpgsqlConnection connection, NpgsqlTransaction transaction) =>
        (_connection, _transaction) = (connection, transaction);

    public static async Task<PrimaryGate> CloseAsync(NpgsqlDataSource db)
    {
        var connection = await db.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("lock table pipeline.task_runs in share mode", transaction: transaction);
        return new PrimaryGate(connection, transaction);
    }

    /// <summary>Waits for a session blocked on the gate.</summary>
    public async Task WaitForBlockedWriterAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await _connection.ExecuteScalarAsync<bool>(
                   "select exists (select 1 from pg_locks " +
                   "where relation = 'pipeline.task_runs'::regclass and not granted)"))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no task run blocked at the gate within {timeout.TotalSeconds} s");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _transaction.RollbackAsync();
        await _connection.DisposeAsync();
    }
}
