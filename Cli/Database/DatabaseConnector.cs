using Dapper;
using Inspections.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Inspections.Database;

/// <summary>Which PostgreSQL the CLI talks to: a configured server, or the embedded cluster.</summary>
internal sealed record DatabaseTarget(string ConnectionString, EmbeddedCluster? Cluster)
{
    public string Describe()
    {
        if (Cluster is not null)
            return $"embedded cluster in {Cluster.DataDirectory} (socket in that folder, TCP 127.0.0.1:{Cluster.Port}), database {EmbeddedCluster.DatabaseName}";
        var b = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"external server {b.Host}:{b.Port}, database {b.Database ?? b.Username}, user {b.Username}";
    }
}

internal static class DatabaseConnector
{
    /// <summary>Decides the target; for the embedded cluster, creates and starts it unless <paramref name="start"/> is false.</summary>
    public static async Task<DatabaseTarget> ResolveAsync(AppSettings settings, ILogger log, bool start, CancellationToken ct)
    {
        if (settings.ConnectionString is { } external)
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(external);
            }
            catch (ArgumentException e)
            {
                throw new UserException(ExitCodes.UsageError, $"the connection string is not valid: {e.Message}");
            }
            return new DatabaseTarget(external, null);
        }

        var cluster = EmbeddedCluster.FromSettings(settings.Database, log);
        if (start) await cluster.EnsureRunningAsync(ct);
        return new DatabaseTarget(cluster.ConnectionString(), cluster);
    }

    /// <summary>
    /// The one data source a command uses: the target reached, its database created if embedded,
    /// migrations applied. <paramref name="readOnly"/> data sources refuse writes (the HTTP API uses one).
    /// <paramref name="connectionOptions"/> are Npgsql keywords added for this command only (the API's pooling and prepare settings).
    /// </summary>
    public static async Task<NpgsqlDataSource> OpenAsync(AppSettings settings, ILoggerFactory logs, CancellationToken ct,
        bool readOnly = false, string? connectionOptions = null)
    {
        var log = logs.CreateLogger("Database");
        var target = await ResolveAsync(settings, log, start: true, ct);
        try
        {
            if (target.Cluster is not null) await CreateDatabaseIfMissingAsync(target.Cluster, ct);
            await using (var writable = Build(target.ConnectionString, logs, readOnly: false))
            {
                await Migrator.ApplyAsync(writable, log, ct);
            }
            return Build(target.ConnectionString, logs, readOnly, connectionOptions);
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            throw new UserException(ExitCodes.DatabaseUnavailable,
                $"database unavailable ({target.Describe()}): {DatabaseErrors.Describe(e)}", e);
        }
    }

    public static NpgsqlDataSource Build(string connectionString, ILoggerFactory logs, bool readOnly, string? connectionOptions = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (connectionOptions is { Length: > 0 })
        {
            var options = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionOptions };
            foreach (string key in options.Keys) builder[key] = options[key];
        }
        if (builder.Timeout == 15) builder.Timeout = 5; // fail fast when the server is not there (15 s is Npgsql's default)
        builder.ApplicationName ??= "inspections";
        if (readOnly) builder.Options = $"{builder.Options} -c default_transaction_read_only=on".Trim();
        return new NpgsqlDataSourceBuilder(builder.ConnectionString).UseLoggerFactory(logs).Build();
    }

    private static async Task CreateDatabaseIfMissingAsync(EmbeddedCluster cluster, CancellationToken ct)
    {
        // Unpooled: a pooled connection would outlive a restart of the cluster within one process.
        await using var connection = new NpgsqlConnection(cluster.ConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync(ct);
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from pg_database where datname = @name)", new { name = EmbeddedCluster.DatabaseName }, cancellationToken: ct));
        if (exists) return;
        try
        {
            await connection.ExecuteAsync(new CommandDefinition($"create database {EmbeddedCluster.DatabaseName}", cancellationToken: ct));
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another command created it a moment ago.
        }
    }
}
