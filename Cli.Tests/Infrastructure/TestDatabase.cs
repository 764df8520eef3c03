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

    /// <summary>
    /// Every table the pipeline writes, run history included: every table of its schemas, read from the
    /// catalog, so a table a migration adds is covered without anyone remembering to list it.
    /// </summary>
    internal const string PipelineTablesSql = """
        select table_schema || '.' || table_name
        from information_schema.tables
        where table_type = 'BASE TABLE'
          and table_schema in ('raw', 'clean', 'features', 'models', 'predictions', 'api', 'monitoring', 'pipeline')
        order by 1
        """;

    /// <summary>
    /// Empties every pipeline table (for test classes whose tests share this database and each start empty).
    /// </summary>
    public async Task ResetAsync()
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        var tables = new List<string>();
        await using (var command = new NpgsqlCommand(PipelineTablesSql, connection))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        // Table names come from the catalog, never from input.
        await using var truncate = new NpgsqlCommand($"truncate {string.Join(", ", tables)} cascade", connection);
        await truncate.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Makes <paramref name="path"/> the source the database holds, as if the first load had come from it and the
    /// file had since been replaced by the one under test (a database refuses any other source before reading it).
    /// </summary>
    public async Task<string> AsTheSourceAsync(string path)
    {
        await using var command = DataSource.CreateCommand("update pipeline.source set source = $1");
        command.Parameters.AddWithValue(path);
        (await command.ExecuteNonQueryAsync()).ShouldBe(1);
        return path;
    }

    /// <summary>Runs a command line in process against this database.</summary>
    public Task<CliResult> RunAsync(params string[] args) =>
        CliRunner.RunAsync(args, new() { ["ConnectionStrings:Postgres"] = ConnectionString });

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
