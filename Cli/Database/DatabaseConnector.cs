using Dapper;
using Inspections.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Inspections.Database;

/// <summary>Which PostgreSQL the CLI talks to: a configured server, or the embedded cluster.</summary>
internal sealed record DatabaseTarget(string ConnectionString, EmbeddedCluster? Cluster)
{
    public string Describe()
    {
        if (Cluster is not null)
            return $"embedded cluster in {Cluster.DataDirectory} " +
                $"(socket in that folder, TCP 127.0.0.1:{Cluster.Port}), database {EmbeddedCluster.DatabaseName}";
        var b = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"external server {b.Host}:{b.Port}, database {b.Database ?? b.Username}, user {b.Username}";
    }
}

internal static class DatabaseConnector
{
    /// <summary>
    /// Decides the target; for the embedded cluster, creates and starts it unless <paramref name="start"/> is false.
    /// </summary>
    public static async Task<DatabaseTarget> ResolveAsync(
        AppSettings settings,
        ILogger log,
        bool start,
        CancellationToken ct)
    {
        if (settings.ConnectionString is { } external)
            return new DatabaseTarget(Validated(external, "the connection string"), null);

        var cluster = EmbeddedCluster.FromSettings(settings.Database, log);
        if (start) await cluster.EnsureRunningAsync(ct);
        return new DatabaseTarget(cluster.ConnectionString(), cluster);
    }

    /// <summary>
    /// The one data source a command uses: the target reached, its database (and on the embedded cluster its roles)
    /// created, migrations applied by the pipeline's role. <paramref name="role"/> says who connects: a server's
    /// data source refuses writes and connects as its read-only role (embedded), or with
    /// <c>ConnectionStrings:Api</c> / <c>ConnectionStrings:Dashboard</c> (external; the pipeline's when not set, with a
    /// warning). <paramref name="connectionOptions"/> are Npgsql keywords added for this command only (the API's
    /// pooling and prepare settings).
    /// </summary>
    public static async Task<NpgsqlDataSource> OpenAsync(
        AppSettings settings,
        ILoggerFactory logs,
        CancellationToken ct,
        DatabaseRole role = DatabaseRole.Pipeline,
        string? connectionOptions = null)
    {
        var log = logs.CreateLogger("Database");
        var target = await ResolveAsync(settings, log, start: true, ct);
        try
        {
            var serverConnection = role == DatabaseRole.Pipeline
                ? null
                : ServerConnectionString(settings, role, target, log);
            if (target.Cluster is { } cluster)
            {
                await CreateDatabaseIfMissingAsync(cluster, ct);
                await using var superuser =
                    new NpgsqlConnection(cluster.SuperuserConnectionString() + ";Pooling=false");
                await superuser.OpenAsync(ct);
                await DatabaseRoles.SetUpEmbeddedAsync(superuser, ct);
            }
            if (serverConnection is null || target.Cluster is not null)
            {
                await using var owner = Build(target.ConnectionString, logs, readOnly: false);
                await Migrator.ApplyAsync(owner, log, ct);
                await using var connection = await owner.OpenConnectionAsync(ct);
                await DatabaseRoles.GrantServerReadsAsync(connection, ct);
            }
            var dataSource = Build(serverConnection ?? target.ConnectionString, logs,
                readOnly: role != DatabaseRole.Pipeline, connectionOptions);
            if (serverConnection is not null && target.Cluster is null)
                await RequireCurrentSchemaAsync(dataSource, role, ct);
            return dataSource;
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            throw new UserException(ExitCodes.DatabaseUnavailable,
                $"database unavailable ({target.Describe()}): {DatabaseErrors.Describe(e)}", e);
        }
    }

    /// <summary>
    /// How a server connects: its own role; on an external server without its connection string, the pipeline's.
    /// </summary>
    private static string? ServerConnectionString(
        AppSettings settings,
        DatabaseRole role,
        DatabaseTarget target,
        ILogger log)
    {
        if (target.Cluster is { } cluster) return cluster.ConnectionString(user: DatabaseRoles.NameOf(role));
        var key = role == DatabaseRole.Api ? "Api" : "Dashboard";
        if (settings.Configuration.GetConnectionString(key) is { Length: > 0 } own)
            return Validated(own, $"ConnectionStrings:{key}");
        log.LogWarning(
            "{Role} connects as the pipeline's user: set ConnectionStrings:{Key} to a role that may only read " +
            "(README, 'Roles'); its session is read-only meanwhile",
            key == "Api" ? "serve-api" : "serve-dashboard", key);
        return target.ConnectionString;
    }

    /// <summary>
    /// A server's role may not migrate: the schema must already be this build's (the pipeline migrates it).
    /// </summary>
    private static async Task RequireCurrentSchemaAsync(
        NpgsqlDataSource dataSource,
        DatabaseRole role,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var newest = await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            "select max(version) from public.schema_migrations", cancellationToken: ct));
        if (newest != Migrator.All[^1].Version)
            throw new UserException(ExitCodes.DatabaseUnavailable,
                $"the database's schema is at migration {newest?.ToString("0000") ?? "none"}, " +
                $"this build needs {Migrator.All[^1].Version:0000}: " +
                $"run 'inspections db migrate' with the pipeline's connection " +
                $"before starting {(role == DatabaseRole.Api ? "serve-api" : "serve-dashboard")}");
    }

    public static NpgsqlDataSource Build(
        string connectionString,
        ILoggerFactory logs,
        bool readOnly,
        string? connectionOptions = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (connectionOptions is { Length: > 0 })
        {
            var options = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionOptions };
            foreach (string key in options.Keys) builder[key] = options[key];
        }
        // Fail fast when the server is not there (15 s is Npgsql's default).
        if (builder.Timeout == 15) builder.Timeout = 5;
        builder.ApplicationName ??= "inspections";
        if (readOnly) builder.Options = $"{builder.Options} -c default_transaction_read_only=on".Trim();
        return new NpgsqlDataSourceBuilder(builder.ConnectionString).UseLoggerFactory(logs).Build();
    }

    private static string Validated(string connectionString, string what)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
            return connectionString;
        }
        catch (ArgumentException e)
        {
            throw new UserException(ExitCodes.UsageError, $"{what} is not valid: {e.Message}");
        }
    }

    private static async Task CreateDatabaseIfMissingAsync(EmbeddedCluster cluster, CancellationToken ct)
    {
        // Unpooled: a pooled connection would outlive a restart of the cluster within one process.
        await using var connection =
            new NpgsqlConnection(cluster.SuperuserConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync(ct);
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from pg_database where datname = @name)",
            new { name = EmbeddedCluster.DatabaseName },
            cancellationToken: ct));
        if (exists) return;
        try
        {
            await connection.ExecuteAsync(
                new CommandDefinition($"create database {EmbeddedCluster.DatabaseName}", cancellationToken: ct));
        }
        catch (PostgresException e)
            when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another command created it a moment ago.
        }
    }
}
