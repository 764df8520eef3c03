namespace Inspections.Hosting;

/// <summary>
/// Where a command writes. Commands never touch <see cref="Console"/> directly, so tests run
/// command lines in process, in parallel, and read what each one printed.
/// </summary>
internal sealed record Terminal(TextWriter Out, TextWriter Error, bool IsInteractive)
{
    public static Terminal FromConsole() =>
        new(Console.Out, Console.Error, IsInteractive: !Console.IsOutputRedirected && !Console.IsErrorRedirected);
}
