using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace Inspections.Hosting;

/// <summary>
/// What every verb needs from the root: where to write, the global options, and configuration
/// overrides (tests point the CLI at their own database this way).
/// </summary>
internal sealed class CliContext(Terminal terminal, IReadOnlyDictionary<string, string?> configOverrides)
{
    public Terminal Terminal { get; } = terminal;

    public Option<string?> Connection { get; } = new("--connection")
    {
        Description = "PostgreSQL connection string; default: ConnectionStrings:Postgres, else the embedded cluster",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Print debug lines to stderr",
        Recursive = true,
    };

    public AppSettings LoadSettings(ParseResult parseResult, IEnumerable<KeyValuePair<string, string?>>? more = null)
    {
        var overrides = new List<KeyValuePair<string, string?>>(configOverrides);
        if (parseResult.GetValue(Connection) is { Length: > 0 } connection)
            overrides.Add(new("ConnectionStrings:Postgres", connection));
        if (more is not null) overrides.AddRange(more);
        return AppSettings.Load(overrides);
    }

    /// <summary>
    /// Log lines go to <paramref name="error"/> when given (a server batches them), else to the terminal's stderr.
    /// </summary>
    public ILoggerFactory CreateLoggerFactory(ParseResult parseResult, TextWriter? error = null) =>
        LoggerFactory.Create(logging => logging
            .SetMinimumLevel(parseResult.GetValue(Verbose) ? LogLevel.Debug : LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Npgsql", LogLevel.Warning)
            .AddProvider(new TerminalLoggerProvider(error ?? Terminal.Error, timed: !Terminal.LinesStamped)));
}
