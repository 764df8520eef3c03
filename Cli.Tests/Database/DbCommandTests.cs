using Inspections.Database;
using Inspections.Hosting;
using Inspections.Tests.Infrastructure;
using Npgsql;

namespace Inspections.Tests.Database;

/// <summary>The db verbs on an embedded cluster of their own (not the shared test cluster).</summary>
public sealed class DbCommandTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"inspections-db-{Guid.NewGuid():N}"[..30]);
    private readonly Dictionary<string, string?> _config;

    public DbCommandTests()
    {
        var settings = TestCluster.ThrowawaySettings(_root);
        _config = new()
        {
            ["Database:DataDirectory"] = settings.DataDirectory,
            ["Database:Port"] = settings.Port.ToString(),
            ["Database:ServerOptions"] = settings.ServerOptions,
        };
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await CliRunner.RunAsync(["db", "stop"], _config);
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task Start_status_stop_start_creates_the_cluster_once_and_reuses_it()
    {
        var first = await CliRunner.RunAsync(["db", "start"], _config);
        first.ExitCode.ShouldBe(ExitCodes.Success, first.ToString());
        first.Error.ShouldContain("Creating the embedded PostgreSQL cluster");
        var created = File.GetLastWriteTimeUtc(Path.Combine(_root, "pgdata", "PG_VERSION"));

        var status = await CliRunner.RunAsync(["db", "status"], _config);
        status.ExitCode.ShouldBe(ExitCodes.Success, status.ToString());
        status.Out.ShouldContain("State:      running");
        status.Out.ShouldContain("PostgreSQL 1");
        status.Out.ShouldContain($"Migrations: {Migrator.All.Count} applied of {Migrator.All.Count} known");
        status.Out.ShouldContain("0001 pipeline");

        var stop = await CliRunner.RunAsync(["db", "stop"], _config);
        stop.Out.ShouldContain("Stopped the embedded cluster");
        (await CliRunner.RunAsync(["db", "status"], _config)).Out.ShouldContain("State:      stopped");

        var again = await CliRunner.RunAsync(["db", "start"], _config);
        again.ExitCode.ShouldBe(ExitCodes.Success, again.ToString());
        again.Error.ShouldNotContain("Creating the embedded PostgreSQL cluster");
        again.Error.ShouldContain("Starting the embedded PostgreSQL server");
        File.GetLastWriteTimeUtc(Path.Combine(_root, "pgdata", "PG_VERSION")).ShouldBe(created);
        (await CliRunner.RunAsync(["db", "status"], _config)).Out.ShouldContain("State:      running");
    }

    [Fact]
    public async Task Two_commands_starting_a_new_cluster_at_once_both_succeed()
    {
        var results = await Task.WhenAll(CliRunner.RunAsync(["db", "migrate"], _config), CliRunner.RunAsync(["db", "migrate"], _config));
        results.ShouldAllBe(r => r.ExitCode == ExitCodes.Success);
        results.Count(r => r.Error.Contains("Creating the embedded PostgreSQL cluster")).ShouldBe(1);
    }

    [Fact]
    public async Task Missing_server_binaries_name_the_package_and_the_alternative()
    {
        var config = new Dictionary<string, string?>(_config) { ["Database:BinDirectory"] = Path.Combine(_root, "no-such-bin") };
        var result = await CliRunner.RunAsync(["db", "start"], config);
        result.ExitCode.ShouldBe(ExitCodes.PostgresMissing);
        result.ErrorLines.ShouldHaveSingleItem(result.ToString());
        result.LastErrorLine.ShouldBe("exit code 7 (PostgresMissing)");
        result.Error.ShouldContain("postgresql-15");
        result.Error.ShouldContain("--connection");
    }
}

/// <summary>The db verbs against a server given by connection string (the shared test cluster).</summary>
public sealed class ExternalDatabaseTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task An_unreachable_server_is_one_line_and_the_database_unavailable_code()
    {
        var result = await CliRunner.RunAsync(["db", "status", "--connection", "Host=127.0.0.1;Port=1;Username=x"]);
        result.ExitCode.ShouldBe(ExitCodes.DatabaseUnavailable);
        result.ErrorLines.ShouldHaveSingleItem(result.ToString()).ShouldStartWith("error: database unavailable");
        result.LastErrorLine.ShouldBe("exit code 5 (DatabaseUnavailable)");
        result.Error.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task A_malformed_connection_string_is_a_usage_error()
    {
        var result = await CliRunner.RunAsync(["db", "status", "--connection", "Hostt=nowhere"]);
        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        result.Error.ShouldContain("connection string is not valid");
    }

    [Fact]
    public async Task Status_on_an_external_server_says_which_and_lists_migrations()
    {
        var result = await db.RunAsync("db", "status");
        result.ExitCode.ShouldBe(ExitCodes.Success, result.ToString());
        result.Out.ShouldContain("external server");
        result.Out.ShouldContain("State:      running");
        result.Out.ShouldContain($"{Migrator.All.Count} applied of {Migrator.All.Count} known");
    }

    [Fact]
    public async Task Stop_leaves_an_external_server_alone()
    {
        var result = await db.RunAsync("db", "stop");
        result.ExitCode.ShouldBe(ExitCodes.Success);
        result.Out.ShouldContain("not ours to stop");
        (await db.ScalarAsync<int>("select 1")).ShouldBe(1);
    }

    [Fact]
    public async Task Psql_runs_a_query_on_the_configured_database()
    {
        var result = await db.RunAsync("db", "psql", "--", "-c", "select count(*) from schema_migrations");
        result.ExitCode.ShouldBe(ExitCodes.Success, result.ToString());
    }
}

public sealed class MigrationTests
{
    [Fact]
    public async Task Concurrent_migrations_apply_each_file_exactly_once()
    {
        var name = $"t_{Guid.NewGuid():N}";
        var connectionString = await TestCluster.CreateDatabaseAsync(name);
        try
        {
            var config = new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = connectionString };
            var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => CliRunner.RunAsync(["db", "migrate"], config)));
            results.ShouldAllBe(r => r.ExitCode == ExitCodes.Success);
            results.Sum(r => r.Error.Split('\n').Count(l => l.Contains("Applying migration 0001"))).ShouldBe(1);

            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("select count(*), count(distinct version) from schema_migrations", connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            reader.GetInt64(0).ShouldBe(Migrator.All.Count);
            reader.GetInt64(1).ShouldBe(Migrator.All.Count);
        }
        finally
        {
            await TestCluster.DropDatabaseAsync(name);
        }
    }

    // Numbers are handed out in ranges to the branches that add migrations (0010-0012, 0013 on), so a range not used
    // up leaves a gap: what must hold is that they start at 1, never repeat and apply in ascending order.
    [Fact]
    public void Migrations_are_numbered_from_1_uniquely_in_the_order_they_apply()
    {
        var versions = Migrator.All.Select(m => m.Version).ToList();
        versions[0].ShouldBe(1);
        versions.ShouldBe(versions.Distinct().Order().ToList());
        versions.Count.ShouldBeGreaterThan(1);
    }
}

public sealed class CommandLineTests
{
    [Fact]
    public async Task An_unknown_option_is_a_usage_error()
    {
        var result = await CliRunner.RunAsync(["db", "status", "--no-such-option"]);
        result.ExitCode.ShouldBe(ExitCodes.UsageError);
        result.Error.ShouldContain("--no-such-option");
    }

    [Fact]
    public async Task Help_lists_the_verbs()
    {
        var result = await CliRunner.RunAsync(["--help"]);
        result.ExitCode.ShouldBe(ExitCodes.Success);
        result.Out.ShouldContain("db");
        result.Out.ShouldContain("runs");
        result.Out.ShouldContain("--connection");
    }
}
