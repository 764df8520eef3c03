using System.Diagnostics;
using System.Text;

namespace Inspections.Tests.Infrastructure;

/// <summary>
/// The real executable as a child process (<c>dotnet inspections.dll</c>, copied next to the test
/// assembly by the project reference), for what an in-process run cannot show: being killed, two
/// processes at once, a server vanishing under a process. Output is collected as it comes.
/// </summary>
public sealed partial class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _error = new();

    private CliProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_error) _error.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static string Executable => Path.Combine(AppContext.BaseDirectory, "inspections.dll");

    /// <summary>
    /// Starts <c>inspections <paramref name="args"/></c>; <paramref name="environment"/> uses configuration keys
    /// (<c>A:B</c>), passed as <c>A__B</c>. <paramref name="runUnder"/> is a command that runs the rest of its command
    /// line, e.g. <c>runuser -u nobody --</c>.
    /// </summary>
    public static CliProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string?> environment,
        IReadOnlyList<string>? runUnder = null)
    {
        if (!File.Exists(Executable))
            throw new FileNotFoundException("the executable is not next to the test assembly", Executable);
        runUnder ??= [];
        var start = new ProcessStartInfo(runUnder.Count > 0 ? runUnder[0] : DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var arg in runUnder.Skip(1)) start.ArgumentList.Add(arg);
        if (runUnder.Count > 0) start.ArgumentList.Add(DotnetHost());
        start.ArgumentList.Add(Executable);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (key, value) in environment) start.Environment[key.Replace(":", "__")] = value;
        return new CliProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet"));
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Standard output as printed, less the timestamp every line gets when it is not a terminal (see
    /// <see cref="RawOut"/>).
    /// </summary>
    public string Out => Unstamped(RawOut);

    public string Error => Unstamped(RawError);

    /// <summary>
    /// Standard output exactly as the process wrote it to a pipe: each line starts with an ISO 8601 UTC timestamp.
    /// </summary>
    public string RawOut { get { lock (_out) return _out.ToString(); } }

    public string RawError { get { lock (_error) return _error.ToString(); } }

    private static string Unstamped(string text) => Stamp().Replace(text, "");

    [System.Text.RegularExpressions.GeneratedRegex(
        @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex Stamp();

    /// <summary>SIGKILL: no handler, no finally block, no rollback sent by the client.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>
    /// The exit code; fails the test (and kills the process) when it runs longer than <paramref name="timeout"/>.
    /// </summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"inspections did not exit within {timeout.TotalSeconds} s\n{this}");
        }
        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    public override string ToString() => $"--- stdout ---\n{Out}\n--- stderr ---\n{Error}";

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
            return host;
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root
            && File.Exists(Path.Combine(root, "dotnet")))
            return Path.Combine(root, "dotnet");
        return "dotnet";
    }
}
