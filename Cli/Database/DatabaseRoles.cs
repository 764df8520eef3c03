using Dapper;
using Npgsql;

namespace Inspections.Database;

/// <summary>Who a process connects as: the pipeline writes and owns the schemas; the two servers only read.</summary>
internal enum DatabaseRole
{
    Pipeline,
    Api,
    Dashboard,
}

/// <summary>
/// The product's PostgreSQL roles and what each may read. On the embedded cluster the product creates them
/// (it is the superuser there, over its private socket) and hands every schema to the pipeline's role; on an
/// external server an administrator creates them once (the README, "Roles", gives the statements) and the
/// pipeline grants the servers' reads after each migration.
/// </summary>
internal static class DatabaseRoles
{
    public const string Pipeline = "inspections";
    public const string Api = "inspections_api";
    public const string Dashboard = "inspections_dashboard";

    /// <summary>The schemas the migrations create, all owned by the pipeline's role.</summary>
    public static IReadOnlyList<string> Schemas { get; } =
        ["pipeline", "raw", "clean", "features", "models", "predictions", "api", "monitoring"];

    public static string NameOf(DatabaseRole role) => role switch
    {
        DatabaseRole.Api => Api,
        DatabaseRole.Dashboard => Dashboard,
        _ => Pipeline,
    };

    /// <summary>
    /// What the servers may read, granted by the tables' owner after the migrations (so new tables are covered).
    /// The API reads its serving tables, the model card and the realised performance; the dashboard what it shows:
    /// models, monitoring, the run history and the served days. Neither reads raw, clean or features, and neither
    /// writes anything.
    /// </summary>
    private const string Grants = $"""
        do $$
        begin
            if exists (select from pg_roles where rolname = '{Api}') then
                grant usage on schema api, models to {Api};
                grant select on all tables in schema api to {Api};
                grant select on models.registry to {Api};
                grant usage on schema monitoring to {Api};
                grant select on monitoring.performance, monitoring.calibration to {Api};
                grant select on public.schema_migrations to {Api};
            end if;
            if exists (select from pg_roles where rolname = '{Dashboard}') then
                grant usage on schema api, models, monitoring, pipeline to {Dashboard};
                grant select on all tables in schema models, monitoring, pipeline to {Dashboard};
                grant select on api.days to {Dashboard};
                grant select on public.schema_migrations to {Dashboard};
            end if;
        end
        $$;
        """;

    // Whether a server's role lacks one of the reads Grants gives: read from the catalog, so it never waits for a
    // running task (a GRANT rewrites catalog rows, and waits for any open transaction that changed the same table's).
    private const string GrantsMissing = $"""
        with roles as (select rolname from pg_roles where rolname in ('{Api}', '{Dashboard}')),
        wanted as (
            select '{Api}' as role, c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p', 'v', 'm')
              and (n.nspname = 'api' or (n.nspname = 'models' and c.relname = 'registry')
                   or (n.nspname = 'monitoring' and c.relname in ('performance', 'calibration'))
                   or (n.nspname = 'public' and c.relname = 'schema_migrations'))
            union all
            select '{Dashboard}', c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p', 'v', 'm')
              and (n.nspname in ('models', 'monitoring', 'pipeline') or (n.nspname = 'api' and c.relname = 'days')
                   or (n.nspname = 'public' and c.relname = 'schema_migrations'))
        )
        select exists (select 1 from wanted w join roles r on r.rolname = w.role
                       where not has_table_privilege(r.rolname, w.oid, 'select'))
        """;

    /// <summary>
    /// Gives the servers' roles their reads where one is missing (after a migration made a table, or an
    /// administrator made the roles), as the tables' owner, under the migration lock; a database whose grants
    /// are in place is only read.
    /// </summary>
    public static async Task GrantServerReadsAsync(NpgsqlConnection owner, CancellationToken ct)
    {
        if (!await owner.ExecuteScalarAsync<bool>(new CommandDefinition(GrantsMissing, cancellationToken: ct))) return;
        await owner.ExecuteAsync(new CommandDefinition(
            "select pg_advisory_lock(@key)", new { key = Migrator.LockKey }, cancellationToken: ct));
        try
        {
            await owner.ExecuteAsync(new CommandDefinition(Grants, cancellationToken: ct));
        }
        finally
        {
            await owner.ExecuteAsync(new CommandDefinition(
                "select pg_advisory_unlock(@key)", new { key = Migrator.LockKey },
                cancellationToken: CancellationToken.None));
        }
    }

    // Run as the embedded cluster's superuser: the roles, and every object of the product's schemas owned by the
    // pipeline's role (a database made before the roles existed belongs to the superuser).
    private const string EmbeddedSetup = $"""
        do $$
        declare
            item record;
        begin
            if not exists (select from pg_roles where rolname = '{Pipeline}') then create role {Pipeline} login; end if;
            if not exists (select from pg_roles where rolname = '{Api}') then create role {Api} login; end if;
            if not exists (select from pg_roles where rolname = '{Dashboard}')
                then create role {Dashboard} login; end if;
            execute format('alter database %I owner to {Pipeline}', current_database());
            for item in
                select n.nspname from pg_namespace n
                where n.nspname = any(@schemas) and n.nspowner <> '{Pipeline}'::regrole
            loop
                execute format('alter schema %I owner to {Pipeline}', item.nspname);
            end loop;
            for item in
                select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where c.relkind in ('r', 'p', 'v', 'm', 'S')
                  and (n.nspname = any(@schemas) or (n.nspname = 'public' and c.relname = 'schema_migrations'))
                  and c.relowner <> '{Pipeline}'::regrole
            loop
                execute format('alter table %I.%I owner to {Pipeline}', item.nspname, item.relname);
            end loop;
        end
        $$;
        """;

    // What EmbeddedSetup ensures, read: the three roles, and the database and every product object owned by the
    // pipeline's.
    private const string SetUpAlready = """
        select (select count(*) from pg_roles where rolname = any(@roles)) = 3
           and (select pg_get_userbyid(datdba) from pg_database where datname = current_database()) = @owner
           and not exists (select 1 from pg_namespace
                           where nspname = any(@schemas) and pg_get_userbyid(nspowner) <> @owner)
           and not exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                           where c.relkind in ('r', 'p', 'v', 'm', 'S')
                             and (n.nspname = any(@schemas)
                                  or (n.nspname = 'public' and c.relname = 'schema_migrations'))
                             and pg_get_userbyid(c.relowner) <> @owner)
        """;

    /// <summary>
    /// Creates the roles on the embedded cluster and gives the pipeline's role the database (as its superuser).
    /// </summary>
    public static async Task SetUpEmbeddedAsync(NpgsqlConnection superuser, CancellationToken ct)
    {
        // Every command starts here: a cluster already set up is only read (no lock, no catalog write).
        if (await superuser.ExecuteScalarAsync<bool>(new CommandDefinition(SetUpAlready,
                new { roles = new[] { Pipeline, Api, Dashboard }, owner = Pipeline, schemas = Schemas.ToArray() },
                cancellationToken: ct))) return;
        // A DO block takes no parameters: the schema list is written into it (constants, never input).
        var sql = EmbeddedSetup.Replace("@schemas", $"array['{string.Join("', '", Schemas)}']");
        // Two processes setting up at once would race on "create role": the migration lock serialises them.
        await superuser.ExecuteAsync(new CommandDefinition(
            "select pg_advisory_lock(@key)", new { key = Migrator.LockKey }, cancellationToken: ct));
        try
        {
            await superuser.ExecuteAsync(new CommandDefinition(sql, cancellationToken: ct));
        }
        finally
        {
            await superuser.ExecuteAsync(new CommandDefinition(
                "select pg_advisory_unlock(@key)", new { key = Migrator.LockKey },
                cancellationToken: CancellationToken.None));
        }
    }
}
