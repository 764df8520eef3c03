using Microsoft.Extensions.Logging;

namespace Inspections.Hosting;

/// <summary>
/// One plain line per log entry on the command's stderr, so cron logs stay readable; it starts with the time
/// unless the writer already stamps every line (<paramref name="timed"/> false).
/// </summary>
internal sealed class TerminalLoggerProvider(TextWriter error, bool timed = true) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new TerminalLogger(error, categoryName, timed);

    public void Dispose() { }

    private sealed class TerminalLogger(TextWriter error, string category, bool timed) : ILogger
    {
        private readonly string _shortCategory = category[(category.LastIndexOf('.') + 1)..];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            var level = logLevel switch
            {
                LogLevel.Trace => "trace", LogLevel.Debug => "debug", LogLevel.Information => "info",
                LogLevel.Warning => "warn", LogLevel.Error => "error", _ => "crit",
            };
            var line = $"{(timed ? $"{DateTime.UtcNow:HH:mm:ss} " : "")}{level,-5} " +
                $"{_shortCategory}: {formatter(state, exception)}";
            if (exception is not null) line += $" ({exception.GetType().Name}: {exception.Message})";
            lock (error) error.WriteLine(line);
        }
    }
}
