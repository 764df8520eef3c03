using Microsoft.Extensions.Logging;

namespace Inspections.Hosting;

/// <summary>One plain line per log entry on the command's stderr, so cron logs stay readable.</summary>
internal sealed class TerminalLoggerProvider(TextWriter error) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new TerminalLogger(error, categoryName);

    public void Dispose() { }

    private sealed class TerminalLogger(TextWriter error, string category) : ILogger
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
            var line = $"{DateTime.UtcNow:HH:mm:ss} {level,-5} {_shortCategory}: {formatter(state, exception)}";
            if (exception is not null) line += $" ({exception.GetType().Name}: {exception.Message})";
            lock (error) error.WriteLine(line);
        }
    }
}
