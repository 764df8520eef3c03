using Inspections.App;
using Inspections.Hosting;

namespace Inspections.Tests.Infrastructure;

public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Out}\n--- stderr ---\n{Error}";
}

/// <summary>Runs a command line in process, through the same root command as the executable, capturing its output.</summary>
public static class CliRunner
{
    public static async Task<CliResult> RunAsync(string[] args, Dictionary<string, string?>? config = null, CancellationToken ct = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await CliApp.InvokeAsync(args, new Terminal(TextWriter.Synchronized(output), TextWriter.Synchronized(error), IsInteractive: false),
            config ?? [], ct);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }
}
