using System.Net;
using System.Net.Sockets;
using Inspections.Database;
using Inspections.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Inspections.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server the tests use: a throwaway embedded cluster made by the product's own
/// <see cref="EmbeddedCluster"/> (fsync off, a free port, a temporary folder), created once per test
/// run and stopped when the run ends; or the server named by <c>INSPECTIONS_TEST_CONNECTION</c>
/// (a connection string of a user allowed to create databases).
/// </summary>
internal static class TestCluster
{
    private static readonly Lazy<Task<string>> AdminConnection = new(StartAsync);

    public static Task<string> AdminConnectionStringAsync() => AdminConnection.Value;

    /// <summary>A fresh, empty database; the caller drops it.</summary>
    public static async Task<string> CreateDatabaseAsync(string name)
    {
        var admin = await AdminConnectionStringAsync();
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"create database {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(await AdminConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"drop database if exists {name} with (force)", connection);
        await command.ExecuteNonQueryAsync();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Settings for a throwaway embedded cluster in <paramref name="root"/>.</summary>
    public static DatabaseSettings ThrowawaySettings(string root) => new()
    {
        DataDirectory = root,
        Port = FreePort(),
        ServerOptions = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
    };

    /// <summary>
    /// Stops and deletes the clusters of earlier test runs whose test process is gone (a test host
    /// ended before its exit handler ran leaves its server running and its folder behind).
    /// </summary>
    private static async Task SweepLeftoversAsync()
    {
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), "inspections-tests-*"))
        {
            var parts = Path.GetFileName(dir).Split('-');
            if (parts.Length < 4 || !int.TryParse(parts[2], out var pid)) continue;
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                continue; // that test run is still going
            }
            catch (ArgumentException)
            {
            }
            try
            {
                if (File.Exists(Path.Combine(dir, "pgdata", "postmaster.pid")) && ReadPort(dir) is { } port)
                {
                    var settings = new DatabaseSettings { DataDirectory = dir, Port = port };
                    await EmbeddedCluster.FromSettings(settings, NullLogger.Instance).StopAsync(CancellationToken.None);
                }
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or UserException)
            {
                // Someone else's, or already going: leave it.
            }
        }
    }

    /// <summary>The port a running cluster listens on: line 4 of postmaster.pid.</summary>
    private static int? ReadPort(string dir)
    {
        var lines = File.ReadAllLines(Path.Combine(dir, "pgdata", "postmaster.pid"));
        return lines.Length > 3 && int.TryParse(lines[3], out var port) ? port : null;
    }

    private static async Task<string> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("INSPECTIONS_TEST_CONNECTION") is { Length: > 0 } external) return external;

        await SweepLeftoversAsync();
        var root = Path.Combine(Path.GetTempPath(), $"inspections-tests-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        var cluster = EmbeddedCluster.FromSettings(ThrowawaySettings(root), NullLogger.Instance);
        await cluster.EnsureRunningAsync(CancellationToken.None);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            cluster.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return cluster.ConnectionString("postgres");
    }
}
