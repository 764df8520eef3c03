using Dapper;
using Inspections.Database;
using Inspections.Hosting;
using Inspections.Tests.Infrastructure;
using Inspections.Tests.Reliability;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Inspections.Tests.Database;

/// <summary>
/// Least privilege on the product's own embedded cluster (a throwaway one of this class's): the pipeline's role
/// owns every schema, the API's role reads the serving tables and nothing else, the dashboard's what it shows.
/// The roles are made by the product itself, by an ordinary command, not by the test.
/// </summary>
public sealed class RoleTests : IAsyncLifetime
{
    private readonly ThrowawayCluster _throwaway = new("roles");

    public async Task InitializeAsync()
    {
        var ingested = await CliRunner.RunAsync(
            ["ingest", "--date", SamplePipeline.FirstRun, "--source", SamplePipeline.Sample], _throwaway.Config);
        ingested.ExitCode.ShouldBe(0, ingested.ToString());
    }

    public async Task DisposeAsync() => await _throwaway.DisposeAsync();

    [Fact]
    public async Task The_pipelines_role_owns_every_schema_and_table_and_is_no_superuser()
    {
        await using var superuser =
            new NpgsqlConnection(_throwaway.Cluster.SuperuserConnectionString() + ";Pooling=false");
        var foreign = (await superuser.QueryAsync<string>("""
            select n.nspname || '.' || c.relname
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = any(@schemas) and c.relkind in ('r', 'p', 'v', 'm', 'S')
              and pg_get_userbyid(c.relowner) <> @owner
            union all
            select nspname from pg_namespace where nspname = any(@schemas) and pg_get_userbyid(nspowner) <> @owner
            """, new { schemas = DatabaseRoles.Schemas.ToArray(), owner = DatabaseRoles.Pipeline })).ToList();
        foreign.ShouldBeEmpty();
        (await superuser.ExecuteScalarAsync<int>("select count(*) from raw.inspections")).ShouldBeGreaterThan(0);
        var superusers = (await superuser.QueryAsync<string>(
            "select rolname from pg_roles where rolsuper and rolname = any(@roles)",
            new { roles = new[] { DatabaseRoles.Pipeline, DatabaseRoles.Api, DatabaseRoles.Dashboard } })).ToList();
        superusers.ShouldBeEmpty();
    }

    [Fact]
    public async Task The_APIs_connection_can_neither_write_nor_read_raw_data()
    {
        await using var dataSource = await OpenAsync(DatabaseRole.Api);
        await using var connection = await dataSource.OpenConnectionAsync();
        (await connection.ExecuteScalarAsync<string>("select current_user")).ShouldBe(DatabaseRoles.Api);
        (await connection.ExecuteScalarAsync<long>("select count(*) from api.predictions")).ShouldBe(0);
        (await connection.ExecuteScalarAsync<long>("select count(*) from models.registry")).ShouldBe(0);
        // Realised performance (/performance), and nothing else of monitoring.
        (await connection.ExecuteScalarAsync<long>("select count(*) from monitoring.performance")).ShouldBe(0);
        (await connection.ExecuteScalarAsync<long>("select count(*) from monitoring.calibration")).ShouldBe(0);
        Denied(await Should.ThrowAsync<PostgresException>(
            () => connection.ExecuteScalarAsync<long>("select count(*) from monitoring.drift")));

        Denied(await Should.ThrowAsync<PostgresException>(
            () => connection.ExecuteScalarAsync<long>("select count(*) from raw.inspections")));
        Denied(await Should.ThrowAsync<PostgresException>(
            () => connection.ExecuteScalarAsync<long>("select count(*) from clean.inspections")));
        Denied(await Should.ThrowAsync<PostgresException>(
            () => connection.ExecuteScalarAsync<long>("select count(*) from pipeline.task_runs")));
        // Not only the session's read-only default: a session that turns it off is still refused by the grants.
        await connection.ExecuteAsync("set default_transaction_read_only = off");
        Denied(await Should.ThrowAsync<PostgresException>(
            () => connection.ExecuteAsync("delete from api.predictions")));
        Denied(await Should.ThrowAsync<PostgresException>(
            () => connection.ExecuteAsync("create table api.mine (x int)")));
        Denied(await Should.ThrowAsync<PostgresException>(
            () => connection.ExecuteAsync("create table public.mine (x int)")));
    }

    [Fact]
    public async Task The_dashboards_connection_reads_what_it_shows_and_writes_nothing()
    {
        await using var dataSource = await OpenAsync(DatabaseRole.Dashboard);
        await using var connection = await dataSource.OpenConnectionAsync();
        (await connection.ExecuteScalarAsync<string>("select current_user")).ShouldBe(DatabaseRoles.Dashboard);
        (await connection.ExecuteScalarAsync<long>("select count(*) from pipeline.task_runs")).ShouldBeGreaterThan(0);
        (await connection.ExecuteScalarAsync<long>("select count(*) from monitoring.drift")).ShouldBe(0);

        Denied(await Should.ThrowAsync<PostgresException>(
            () => connection.ExecuteScalarAsync<long>("select count(*) from raw.inspections")));
        await connection.ExecuteAsync("set default_transaction_read_only = off");
        Denied(await Should.ThrowAsync<PostgresException>(
            () => connection.ExecuteAsync("delete from pipeline.task_runs")));
    }

    private static void Denied(PostgresException e) =>
        e.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege, e.MessageText);

    private Task<NpgsqlDataSource> OpenAsync(DatabaseRole role) =>
        DatabaseConnector.OpenAsync(
            AppSettings.Load(_throwaway.Config), NullLoggerFactory.Instance, CancellationToken.None, role);
}
