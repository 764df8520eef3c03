using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Inspections.Database;
using Inspections.Hosting;
using Inspections.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Inspections.Tests.Reliability;

/// <summary>
/// The embedded cluster's folder on a read-only file system, not writable by the user, or out of the postgres
/// user's reach; its lock held by another process; a server that will not start. Each is one line on stderr
/// with a named exit code, soon, never a hang or a stack trace. Every test has a folder of its own.
/// </summary>
public sealed class EnvironmentFaultTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"inspections-env-{Guid.NewGuid():N}"[..31]);
    private readonly DatabaseSettings _settings;
    private readonly StringWriter _log = new();
    private readonly ILoggerFactory _logs;

    public EnvironmentFaultTests()
    {
        _settings = TestCluster.ThrowawaySettings(_root);
        _logs = LoggerFactory.Create(b => b.AddProvider(new TerminalLoggerProvider(_log)));
    }

    private string Log { get { lock (_log) return _log.ToString(); } }

    private Dictionary<string, string?> Config => new()
    {
        ["ConnectionStrings:Postgres"] = "",
        ["Database:DataDirectory"] = _settings.DataDirectory,
        ["Database:Port"] = _settings.Port.ToString(CultureInfo.InvariantCulture),
        ["Database:ServerOptions"] = _settings.ServerOptions,
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (Directory.Exists(_root))
        {
            File.SetUnixFileMode(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await EmbeddedCluster.FromSettings(_settings, _logs.CreateLogger("test")).StopAsync(CancellationToken.None);
            try { Directory.Delete(_root, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        _logs.Dispose();
    }

    [ReadOnlyMountFact]
    public async Task A_read_only_data_directory_is_one_line_naming_it_and_its_own_exit_code_not_a_hang()
    {
        Directory.CreateDirectory(_root);
        // A mount namespace of the child's own: the read-only file system over the folder exists for it alone and
        // ends with it.
        await using var child = CliProcess.Start(["db", "start"], Config,
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             "mount -t tmpfs -o ro,size=64k tmpfs \"$0\" && exec \"$@\"", _root]);

        var exit = await child.WaitForExitAsync(Bound);

        exit.ShouldBe(ExitCodes.DataDirectoryUnusable, child.ToString());
        var line = ErrorLines(child.Error).ShouldHaveSingleItem(child.ToString());
        line.ShouldStartWith($"error: the embedded cluster's folder {_root} ");
        line.ShouldContain("read-only file system"); // the mount was there: the folder itself is writable
        child.Error.ShouldNotContain("   at ");
        File.Exists(Path.Combine(_root, "cluster.lock")).ShouldBeFalse();
    }

    [OrdinaryUserTheory]
    [InlineData("")]
    [InlineData("not-yet")]
    public async Task A_data_directory_an_ordinary_user_may_not_write_is_one_line_and_its_exit_code_not_a_stack_trace(
        string below)
    {
        Directory.CreateDirectory(_root);
        File.SetUnixFileMode(_root, UnixFileMode.UserRead | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var folder = Path.Combine(_root, below).TrimEnd('/');
        var config = Config;
        config["Database:DataDirectory"] = folder;
        await using var child = CliProcess.Start(["db", "start"], config, OrdinaryUserTheoryAttribute.RunUnder);

        var exit = await child.WaitForExitAsync(Bound);

        exit.ShouldBe(ExitCodes.DataDirectoryUnusable, child.ToString());
        var line = ErrorLines(child.Error).ShouldHaveSingleItem(child.ToString());
        line.ShouldStartWith($"error: the embedded cluster's folder {folder} ");
        line.ShouldContain("permission");
        child.Error.ShouldNotContain("   at ");
        Directory.EnumerateFileSystemEntries(_root).ShouldBeEmpty(); // the child really could not write there
    }

    [RootFact]
    public async Task A_data_directory_the_postgres_user_cannot_enter_is_one_line_and_its_own_exit_code()
    {
        // Root may write here, but the server runs as postgres, which may not enter a folder of mode 700 that root
        // owns.
        Directory.CreateDirectory(_root);
        File.SetUnixFileMode(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await CliRunner.RunAsync(["db", "start"], Config, new CancellationTokenSource(Bound).Token);

        result.ExitCode.ShouldBe(ExitCodes.DataDirectoryUnusable, result.ToString());
        var line = ErrorLines(result.Error).ShouldHaveSingleItem(result.ToString());
        line.ShouldStartWith($"error: the embedded cluster's folder {Path.Combine(_root, "pgdata")} ");
        line.ShouldContain("postgres OS user");
        File.Exists(Path.Combine(_root, "pgdata", "PG_VERSION")).ShouldBeFalse();
    }

    [Fact]
    public async Task Another_process_holding_the_cluster_lock_is_waited_for_with_a_message_then_given_up_on()
    {
        Directory.CreateDirectory(_root);
        var lockFile = Path.Combine(_root, "cluster.lock");
        await using var held = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var cluster = EmbeddedCluster.FromSettings(_settings, _logs.CreateLogger("Database"));
        cluster.LockTimeout = TimeSpan.FromSeconds(3);

        var e = await Should.ThrowAsync<UserException>(
            () => cluster.EnsureRunningAsync(new CancellationTokenSource(Bound).Token));

        e.ExitCode.ShouldBe(ExitCodes.DatabaseUnavailable);
        e.Message.ShouldContain(lockFile);
        e.Message.ShouldContain($"process {Environment.ProcessId}");
        e.Message.ShouldNotContain("\n");
        Log.ShouldContain($"waiting for process {Environment.ProcessId}");
        cluster.Exists.ShouldBeFalse(); // it never got past the lock
    }

    [Fact]
    public async Task A_cluster_lock_let_go_of_while_waiting_is_taken_and_the_cluster_starts()
    {
        Directory.CreateDirectory(_root);
        var held = new FileStream(
            Path.Combine(_root, "cluster.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var cluster = EmbeddedCluster.FromSettings(_settings, _logs.CreateLogger("Database"));

        var starting = cluster.EnsureRunningAsync(new CancellationTokenSource(Bound).Token);
        await WaitUntilAsync(() => Log.Contains("waiting for process") || starting.IsCompleted);
        starting.IsCompleted.ShouldBeFalse(Log); // it waited for the lock
        await held.DisposeAsync();
        await starting;

        (await cluster.IsRunningAsync(CancellationToken.None)).ShouldBeTrue();
    }

    [Fact]
    public async Task A_server_that_will_not_start_says_what_stopped_this_start()
    {
        var logger = _logs.CreateLogger("Database");
        var cluster = EmbeddedCluster.FromSettings(_settings, logger);
        await cluster.EnsureRunningAsync(CancellationToken.None);
        (await cluster.StopAsync(CancellationToken.None)).ShouldBeTrue();

        var badOption = await StartFailureAsync(new DatabaseSettings
        {
            DataDirectory = _root, Port = _settings.Port,
            ServerOptions = $"{_settings.ServerOptions} -c shared_buffers=bogus",
        });
        badOption.ShouldContain("invalid value for parameter \"shared_buffers\": \"bogus\"");

        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var portInUse = await StartFailureAsync(new DatabaseSettings
        {
            DataDirectory = _root, Port = ((IPEndPoint)taken.LocalEndpoint).Port,
            ServerOptions = _settings.ServerOptions,
        });
        portInUse.ShouldContain("Address already in use");
        // the log still holds the earlier failure: only this start's lines count
        portInUse.ShouldNotContain("shared_buffers");
        taken.Stop();

        File.SetUnixFileMode(cluster.LogFile, UnixFileMode.None);
        var unwritableLog = await StartFailureAsync(_settings);
        unwritableLog.ShouldContain($"{cluster.LogFile}: Permission denied");
        unwritableLog.ShouldNotContain("Address already in use");
        File.SetUnixFileMode(cluster.LogFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        await cluster.EnsureRunningAsync(CancellationToken.None);
        (await cluster.IsRunningAsync(CancellationToken.None)).ShouldBeTrue();
    }

    private async Task<string> StartFailureAsync(DatabaseSettings settings)
    {
        var cluster = EmbeddedCluster.FromSettings(settings, _logs.CreateLogger("Database"));
        var e = await Should.ThrowAsync<UserException>(
            () => cluster.EnsureRunningAsync(new CancellationTokenSource(Bound).Token));
        e.ExitCode.ShouldBe(ExitCodes.DatabaseUnavailable);
        e.Message.ShouldStartWith($"the embedded PostgreSQL server in {cluster.DataDirectory} did not start: ");
        e.Message.ShouldNotContain("\n");
        return e.Message;
    }

    private static List<string> ErrorLines(string stderr) =>
        [.. stderr.Split('\n').Select(l => l.Trim()).Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)
            || l.Contains("exception", StringComparison.OrdinalIgnoreCase))];

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > Bound) Assert.Fail($"still not so after {Bound.TotalSeconds} s");
            await Task.Delay(50);
        }
    }
}

/// <summary>Runs as root only: PostgreSQL's refusal to run as root is what makes the postgres OS user matter.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
            Skip = "needs root: the embedded server runs as the postgres OS user only when the CLI runs as root";
    }
}

/// <summary>
/// Runs the child as an ordinary user: this one when the tests are not root, else <c>nobody</c> through runuser,
/// which must be able to reach the test binaries.
/// </summary>
public sealed class OrdinaryUserTheoryAttribute : TheoryAttribute
{
    public static IReadOnlyList<string> RunUnder =>
        Environment.IsPrivilegedProcess ? ["runuser", "-u", "nobody", "--"] : [];

    public OrdinaryUserTheoryAttribute()
    {
        if (Environment.IsPrivilegedProcess
            && !Succeeds("runuser", "-u", "nobody", "--", "test", "-r", CliProcess.Executable))
            Skip = $"needs the OS user nobody to read {CliProcess.Executable} " +
                "(runs as root, and nobody cannot reach the test binaries)";
    }

    internal static bool Succeeds(string file, params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in args) start.ArgumentList.Add(arg);
            using var process = Process.Start(start)!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            return process.WaitForExit(10_000) && process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}

/// <summary>
/// Runs where the tests may mount a file system in a mount namespace of a child's own (root, or CAP_SYS_ADMIN).
/// </summary>
public sealed class ReadOnlyMountFactAttribute : FactAttribute
{
    public ReadOnlyMountFactAttribute()
    {
        if (!OrdinaryUserTheoryAttribute.Succeeds("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs -o ro,size=64k tmpfs /mnt"))
            Skip = "needs to mount a read-only file system in a private mount namespace " +
                "(unshare --mount: root or CAP_SYS_ADMIN)";
    }
}
