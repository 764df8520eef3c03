using Dapper;
using Inspections.Hosting;
using Npgsql;

namespace Inspections.Pipeline;

/// <summary>
/// The one source whose records a database holds (<c>pipeline.source</c>). Every task instance names its
/// source, while raw, clean and features hold one dataset: two sources in one database would overwrite
/// each other's rows under instances that both stay complete. So the first ingest that stores records
/// binds the database to its source, and every pipeline verb refuses another one.
/// </summary>
internal static class DatabaseSource
{
    /// <summary>The source the database holds, or null while it holds no records.</summary>
    public static Task<string?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken ct) =>
        connection.ExecuteScalarAsync<string?>(
            new CommandDefinition("select source from pipeline.source", transaction: tx, cancellationToken: ct));

    public static async Task<string?> ReadAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await ReadAsync(connection, null, ct);
    }

    /// <summary>
    /// The source a verb runs with: the one asked for, else the database's, else <c>Ingest:Source</c>.
    /// </summary>
    public static string Choose(string? asked, string? held, AppSettings settings)
    {
        var source = PipelineVerb.ResolveSource(asked is { Length: > 0 }
            ? asked
            : held ?? settings.Configuration["Ingest:Source"] ?? "socrata");
        Refuse(source, held);
        return source;
    }

    /// <summary>
    /// Binds the database to <paramref name="source"/> inside an ingest run that stored records; refuses another.
    /// </summary>
    public static async Task BindAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction tx,
        string source,
        Guid runId,
        CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into pipeline.source (source, first_run_id) values (@source, @runId) on conflict do nothing",
            new { source, runId }, tx, cancellationToken: ct));
        Refuse(source, await ReadAsync(connection, tx, ct));
    }

    private static void Refuse(string source, string? held)
    {
        if (held is null || held == source) return;
        throw new UserException(ExitCodes.UsageError,
            $"this database holds the records of {held}; --source {source} is another source, " +
            "and its tasks would share the same tables: use a database of its own for it " +
            "(--connection, or Database:DataDirectory and Database:Port " +
            $"for another embedded cluster), or run with --source {held}");
    }
}
