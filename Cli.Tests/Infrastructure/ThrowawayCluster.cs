using System.Globalization;
using Inspections.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Inspections.Tests.Infrastructure;

/// <summary>
/// An embedded cluster of one test class's own, in a new folder on a free port, for tests that stop, start or set up
/// the server itself (the shared <see cref="TestCluster"/> must stay up). The CLI reaches it through
/// <see cref="Config"/> as it reaches its default one: no connection string, the cluster's folder and port.
/// Disposing stops it and deletes the folder.
/// </summary>
internal sealed class ThrowawayCluster : IAsyncDisposable
{
    public ThrowawayCluster(string name)
    {
        Root = Path.Combine(Path.GetTempPath(), $"inspections-{name}-{Guid.NewGuid():N}"[..(name.Length + 25)]);
        var settings = TestCluster.ThrowawaySettings(Root);
        Cluster = EmbeddedCluster.FromSettings(settings, NullLogger.Instance);
        Config = new()
        {
            ["ConnectionStrings:Postgres"] = "",
            ["Database:DataDirectory"] = settings.DataDirectory,
            ["Database:Port"] = settings.Port.ToString(CultureInfo.InvariantCulture),
            ["Database:ServerOptions"] = settings.ServerOptions,
        };
    }

    /// <summary>The folder beside <c>pgdata/</c>; deleted on dispose.</summary>
    public string Root { get; }

    public EmbeddedCluster Cluster { get; }

    /// <summary>Configuration that points the CLI at this cluster (copy it to add keys).</summary>
    public Dictionary<string, string?> Config { get; }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Cluster.StopAsync(CancellationToken.None);
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
