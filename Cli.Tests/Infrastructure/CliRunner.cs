using Inspections.App;
using Inspections.Hosting;

namespace Inspections.Tests.Infrastructure;

public sealed record CliResult(int ExitCode, string Out, string Error)
{
    /// <summary>
    /// The lines of stderr that say what went wrong (<c>error: ...</c>); a usage error adds a hint, every non-zero
    /// exit its code.
    /// </summary>
    public IReadOnlyList<string> ErrorLines =>
        [.. Error.Split('\n').Select(l => l.TrimEnd('\r'))
            .Where(l => l.StartsWith("error:", StringComparison.Ordinal))];

    /// <summary>The last line of stderr: for a non-zero exit, its code and name.</summary>
    public string LastErrorLine => Error.TrimEnd().Split('\n')[^1].TrimEnd('\r');

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Out}\n--- stderr ---\n{Error}";
}

/// <summary>
/// Runs a command line in process, through the same root command as the executable, capturing its output.
/// </summary>
public static class CliRunner
{
    public static async Task<CliResult> RunAsync(
        string[] args, Dictionary<string, string?>? config = null, CancellationToken ct = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await CliApp.InvokeAsync(args,
            new Terminal(TextWriter.Synchronized(output), TextWriter.Synchronized(error), IsInteractive: false),
            config ?? [], ct);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }
}
