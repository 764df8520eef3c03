using Inspections.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Inspections.Tests.Infrastructure;

/// <summary>
/// A freshly migrated database of its own for one test class (use as <c>IClassFixture</c>), dropped
/// afterwards, so no test depends on another's rows.
/// </summary>
public sealed class TestDatabase : IAsyncLifetime
{
    private readonly string _name = $"t_{Guid.NewGuid():N}";

    public string ConnectionString { get; private set; } = "";

    internal NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await TestCluster.CreateDatabaseAsync(_name);
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        await Migrator.ApplyAsync(DataSource, NullLogger.Instance, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await TestCluster.DropDatabaseAsync(_name);
    }

    /// <summary>Runs a command line in process against this database.</summary>
    public Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(args, new() { ["ConnectionStrings:Postgres"] = ConnectionString });

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
