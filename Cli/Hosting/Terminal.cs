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
        TextWriter Stamped(TextWriter writer, bool redirected) =>
            redirected
                ? TextWriter.Synchronized(new TimestampedWriter(writer, TimeProvider.System) { NewLine = "\n" })
                : writer;
        var (outRedirected, errorRedirected) = (Console.IsOutputRedirected, Console.IsErrorRedirected);
        var plain = new Terminal(Console.Out, Console.Error, IsInteractive: !outRedirected && !errorRedirected);
        return outRedirected || errorRedirected
            ? plain with
            {
                Out = Stamped(Console.Out, outRedirected), Error = Stamped(Console.Error, errorRedirected),
                LinesStamped = errorRedirected, Unstamped = plain
            }
            : plain;
    }
}
