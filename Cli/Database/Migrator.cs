using System.Reflection;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Inspections.Database;

/// <summary>
/// Applies the numbered SQL files embedded from <c>Database/Migrations</c>, each once, each in its own
/// transaction, recorded in <c>public.schema_migrations</c>. A session advisory lock makes concurrent
/// callers wait for each other, so no migration is ever applied twice.
/// </summary>
internal static class Migrator
{
    /// <summary>
    /// Any fixed 64-bit number: the key of the one lock that serialises migrations (and the roles' setup).
    /// </summary>
    public const long LockKey = 0x1A5BEC7_0001;

    public sealed record Migration(int Version, string Name, string Sql);

    public static IReadOnlyList<Migration> All { get; } = Load();

    public static async Task<IReadOnlyList<Migration>> ApplyAsync(
        NpgsqlDataSource dataSource, ILogger log, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "select pg_advisory_lock(@key)", new { key = LockKey }, cancellationToken: ct));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(CreateTable, cancellationToken: ct));
            var applied = (await connection.QueryAsync<int>(new CommandDefinition(
                "select version from schema_migrations", cancellationToken: ct))).ToHashSet();
            var newlyApplied = new List<Migration>();
            foreach (var migration in All.Where(m => !applied.Contains(m.Version)))
            {
                log.LogInformation("Applying migration {Version:0000} {Name}", migration.Version, migration.Name);
                await using var tx = await connection.BeginTransactionAsync(ct);
                // No command timeout: a migration that fills a new column rewrites every row of a table, which takes
                // minutes at a million inspections; cancelling the verb still stops it.
                await connection.ExecuteAsync(new CommandDefinition(
                    migration.Sql, transaction: tx, commandTimeout: 0, cancellationToken: ct));
                await connection.ExecuteAsync(new CommandDefinition(
                    Record, new { migration.Version, migration.Name }, tx, cancellationToken: ct));
                await tx.CommitAsync(ct);
                newlyApplied.Add(migration);
            }
            return newlyApplied;
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "select pg_advisory_unlock(@key)", new { key = LockKey }, cancellationToken: CancellationToken.None));
        }
    }

    public sealed record Applied(int Version, string Name, DateTime AppliedAt);

    public static async Task<IReadOnlyList<Applied>> ListAppliedAsync(
        NpgsqlConnection connection, CancellationToken ct) =>
        (await connection.QueryAsync<Applied>(new CommandDefinition(
            "select version, name, applied_at as AppliedAt from schema_migrations order by version",
            cancellationToken: ct))).ToList();

    private const string CreateTable = """
        create table if not exists schema_migrations (
            version    integer primary key,
            name       text not null,
            applied_at timestamptz not null default now()
        )
        """;

    private const string Record = "insert into schema_migrations (version, name) values (@Version, @Name)";

    private static IReadOnlyList<Migration> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("Migrations.") && n.EndsWith(".sql"))
            .Select(n =>
            {
                var fileName = n["Migrations.".Length..^".sql".Length];
                var underscore = fileName.IndexOf('_');
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return new Migration(
                    int.Parse(fileName[..underscore]), fileName[(underscore + 1)..], reader.ReadToEnd());
            })
            .OrderBy(m => m.Version)
            .ToList();
    }
}
