namespace Inspections.Hosting;

/// <summary>
/// Where a command writes. Commands never touch <see cref="Console"/> directly, so tests run
/// command lines in process, in parallel, and read what each one printed.
/// </summary>
/// <param name="IsInteractive">Both streams are a terminal: progress bars may be drawn.</param>
/// <param name="LinesStamped">
/// Every line written gets the time in front of it (output to a file): log lines need not add their own.
/// </param>
/// <param name="Unstamped">
/// The same streams without the timestamps, for text a person reads rather than a log (help).
/// </param>
internal sealed record Terminal(
    TextWriter Out, TextWriter Error, bool IsInteractive, bool LinesStamped = false, Terminal? Unstamped = null)
{
    /// <summary>
    /// The process's console; a stream that is not a terminal (a cron log) gets a timestamp at each line's start.
    /// </summary>
    public static Terminal FromConsole()
    {
        // To a file or a pipe, through a writer with a buffer that holds a batch of lines (the console's holds 256
        // characters, so a batch of serve-api's access lines was hundreds of writes): it still flushes every write.
        static TextWriter Buffered(Stream stream) =>
            new StreamWriter(stream, new System.Text.UTF8Encoding(false), 64 * 1024) { AutoFlush = true };
        static TextWriter Stamped(TextWriter console, Func<Stream> open, bool redirected) =>
            redirected
                ? TextWriter.Synchronized(
                    new TimestampedWriter(Buffered(open()), TimeProvider.System) { NewLine = "\n" })
                : console;
        var (outRedirected, errorRedirected) = (Console.IsOutputRedirected, Console.IsErrorRedirected);
        var plain = new Terminal(Console.Out, Console.Error, IsInteractive: !outRedirected && !errorRedirected);
        return outRedirected || errorRedirected
            ? plain with
            {
                Out = Stamped(Console.Out, Console.OpenStandardOutput, outRedirected),
                Error = Stamped(Console.Error, Console.OpenStandardError, errorRedirected),
                LinesStamped = errorRedirected, Unstamped = plain
            }
            : plain;
    }
}
