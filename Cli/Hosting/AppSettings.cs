using Microsoft.Extensions.Configuration;

namespace Inspections.Hosting;

/// <summary>
/// Configuration read once per command: <c>appsettings.json</c> (next to the executable, copied from
/// the repository root), then environment variables (<c>Section__Key</c>), then the command line.
/// Defaults live in <c>appsettings.json</c> only; code reads them, it does not repeat them.
/// </summary>
internal sealed class AppSettings
{
    private AppSettings(IConfiguration configuration) => Configuration = configuration;

    public IConfiguration Configuration { get; }

    /// <summary>An external server's connection string, or null to use the embedded cluster.</summary>
    public string? ConnectionString =>
        Configuration.GetConnectionString("Postgres") is { Length: > 0 } value ? value : null;

    public DatabaseSettings Database => Bind<DatabaseSettings>("Database");

    /// <summary>
    /// Binds a section to a settings type; a missing section is a broken installation, not a user error.
    /// </summary>
    public T Bind<T>(string section) where T : new() =>
        Configuration.GetSection(section).Get<T>(o => o.ErrorOnUnknownConfiguration = false) ?? new T();

    /// <param name="overrides">Applied after the environment: tests use it, and so do command-line options.</param>
    public static AppSettings Load(IEnumerable<KeyValuePair<string, string?>> overrides) =>
        new(new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: false)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(overrides)
            .Build());
}

internal sealed class DatabaseSettings
{
    /// <summary>Where the embedded cluster lives; empty means the per-user default.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>TCP port of the embedded cluster on 127.0.0.1 (its Unix socket uses the same number).</summary>
    public int Port { get; set; }

    /// <summary>Folder of the PostgreSQL server binaries; empty means search the usual places.</summary>
    public string BinDirectory { get; set; } = "";

    /// <summary>
    /// Extra <c>postgres</c> options for the embedded server, e.g. <c>-c fsync=off</c> for throwaway clusters.
    /// </summary>
    public string ServerOptions { get; set; } = "";
}
