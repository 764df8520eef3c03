using System.CommandLine;
using System.Diagnostics;
using Dapper;
using Inspections.Hosting;
using Npgsql;

namespace Inspections.Database;

/// <summary><c>inspections db start|stop|status|migrate|psql</c>: the database the pipeline runs on.</summary>
internal static class DbCommand
{
    public static Command Create(CliContext cli)
    {
        var db = new Command("db",
            "Manage the database: the embedded PostgreSQL cluster, or the external server configured");

        var start = new Command("start", "Create the embedded cluster if needed, start it, and apply migrations");
        start.SetAction((parseResult, ct) => StartAsync(cli, parseResult, ct));

        var stop = new Command("stop", "Stop the embedded cluster (commands start it again on demand)");
        stop.SetAction((parseResult, ct) => StopAsync(cli, parseResult, ct));

        var status = new Command("status", "Which database is used, where, its version, size and applied migrations");
        status.SetAction((parseResult, ct) => StatusAsync(cli, parseResult, ct));

        var migrate = new Command("migrate", "Apply the migrations not applied yet");
        migrate.SetAction((parseResult, ct) => MigrateAsync(cli, parseResult, ct));

        var psqlArgs = new Argument<string[]>("psql-arguments")
        {
            Description = "Passed to psql as they are (e.g. -c \"select 1\")",
            Arity = ArgumentArity.ZeroOrMore
        };
        var psql = new Command("psql", "Open psql on the database (arguments after -- go to psql)") { psqlArgs };
        psql.SetAction((parseResult, ct) => PsqlAsync(cli, parseResult, parseResult.GetValue(psqlArgs) ?? [], ct));

        db.Add(start);
        db.Add(stop);
        db.Add(status);
        db.Add(migrate);
        db.Add(psql);
        return db;
    }

    private static async Task<int> StartAsync(CliContext cli, ParseResult parseResult, CancellationToken ct)
    {
        var settings = cli.LoadSettings(parseResult);
        using var logs = cli.CreateLoggerFactory(parseResult);
        await using var dataSource = await DatabaseConnector.OpenAsync(settings, logs, ct);
        var target = await DatabaseConnector.ResolveAsync(settings, logs.CreateLogger("Database"), start: false, ct);
        cli.Terminal.Out.WriteLine(target.Cluster is null
            ? $"Using {target.Describe()}: nothing to start; migrations are applied."
            : $"Running: {target.Describe()}.");
        return ExitCodes.Success;
    }

    private static async Task<int> StopAsync(CliContext cli, ParseResult parseResult, CancellationToken ct)
    {
        var settings = cli.LoadSettings(parseResult);
        using var logs = cli.CreateLoggerFactory(parseResult);
        var target = await DatabaseConnector.ResolveAsync(settings, logs.CreateLogger("Database"), start: false, ct);
        if (target.Cluster is null)
        {
            cli.Terminal.Out.WriteLine($"Using {target.Describe()}: it is not ours to stop.");
            return ExitCodes.Success;
        }
        var stopped = await target.Cluster.StopAsync(ct);
        cli.Terminal.Out.WriteLine(stopped
            ? $"Stopped the embedded cluster in {target.Cluster.DataDirectory}."
            : $"The embedded cluster in {target.Cluster.DataDirectory} was not running.");
        return ExitCodes.Success;
    }

    private const string StatusQuery = """
        select version() as Version,
               current_database() as Name,
               pg_size_pretty(pg_database_size(current_database())) as Size
        """;

    private static async Task<int> StatusAsync(CliContext cli, ParseResult parseResult, CancellationToken ct)
    {
        var settings = cli.LoadSettings(parseResult);
        using var logs = cli.CreateLoggerFactory(parseResult);
        var output = cli.Terminal.Out;
        var target = await DatabaseConnector.ResolveAsync(settings, logs.CreateLogger("Database"), start: false, ct);
        output.WriteLine($"Database:   {target.Describe()}");
        if (target.Cluster is { } cluster && !await cluster.IsRunningAsync(ct))
        {
            output.WriteLine(cluster.Exists
                ? "State:      stopped (any command that needs it starts it; or: inspections db start)"
                : "State:      not created yet (any command that needs it creates it; or: inspections db start)");
            return ExitCodes.Success;
        }

        await using var dataSource = await DatabaseConnector.OpenAsync(settings, logs, ct);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var info = await connection.QuerySingleAsync<(string Version, string Name, string Size)>(
            new CommandDefinition(StatusQuery, cancellationToken: ct));
        var migrations = await Migrator.ListAppliedAsync(connection, ct);
        output.WriteLine("State:      running");
        output.WriteLine($"Server:     {info.Version}");
        output.WriteLine($"Size:       {info.Size}");
        output.WriteLine($"Migrations: {migrations.Count} applied of {Migrator.All.Count} known");
        foreach (var m in migrations)
            output.WriteLine($"  {m.Version:0000} {m.Name,-32} {m.AppliedAt.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z");
        return ExitCodes.Success;
    }

    private static async Task<int> MigrateAsync(CliContext cli, ParseResult parseResult, CancellationToken ct)
    {
        var settings = cli.LoadSettings(parseResult);
        using var logs = cli.CreateLoggerFactory(parseResult);
        await using var dataSource = await DatabaseConnector.OpenAsync(settings, logs, ct);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var migrations = await Migrator.ListAppliedAsync(connection, ct);
        cli.Terminal.Out.WriteLine($"{migrations.Count} migrations applied; the newest is " +
            $"{migrations.LastOrDefault()?.Version:0000} {migrations.LastOrDefault()?.Name}.");
        return ExitCodes.Success;
    }

    private static async Task<int> PsqlAsync(
        CliContext cli, ParseResult parseResult, string[] psqlArgs, CancellationToken ct)
    {
        var settings = cli.LoadSettings(parseResult);
        using var logs = cli.CreateLoggerFactory(parseResult);
        await using (await DatabaseConnector.OpenAsync(settings, logs, ct)) { }
        var target = await DatabaseConnector.ResolveAsync(settings, logs.CreateLogger("Database"), start: false, ct);
        var b = new NpgsqlConnectionStringBuilder(target.ConnectionString);
        var start = new ProcessStartInfo("psql") { UseShellExecute = false };
        foreach (var arg in psqlArgs) start.ArgumentList.Add(arg);
        // libpq reads these; a password never appears on a command line.
        start.Environment["PGHOST"] = b.Host;
        start.Environment["PGPORT"] = b.Port.ToString();
        start.Environment["PGUSER"] = b.Username;
        start.Environment["PGDATABASE"] = b.Database ?? b.Username;
        if (b.Password is { Length: > 0 } password) start.Environment["PGPASSWORD"] = password;
        try
        {
            using var process = Process.Start(start)!;
            await process.WaitForExitAsync(ct);
            return process.ExitCode == 0 ? ExitCodes.Success : ExitCodes.UsageError;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new UserException(ExitCodes.UsageError,
                "psql is not installed: apt-get install postgresql-client-15");
        }
    }
}
