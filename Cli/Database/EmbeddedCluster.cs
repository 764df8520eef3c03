using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Inspections.Hosting;
using Microsoft.Extensions.Logging;

namespace Inspections.Database;

/// <summary>
/// The PostgreSQL cluster the CLI runs for itself when no connection string is configured.
/// Layout under the data directory: <c>pgdata/</c> (the cluster; also holds the Unix socket and
/// <c>server.log</c>), <c>password</c> (for TCP logins on 127.0.0.1, mode 600) and <c>cluster.lock</c>
/// (held while creating or starting, so two commands never both initdb).
/// PostgreSQL refuses to run as root, so as root the server runs as the <c>postgres</c> OS user,
/// which owns <c>pgdata/</c>.
/// </summary>
internal sealed partial class EmbeddedCluster
{
    public const string DatabaseName = "inspections";
    public const string SuperUser = "postgres";
    private const string ServiceUser = "postgres";

    // On Linux .NET puts the errno of a failed open in IOException.HResult.
    private const int LockedErrno = 11, NoSpaceErrno = 28, ReadOnlyErrno = 30;

    /// <summary>When a command that waits for the lock says so: creating or starting takes about a second.</summary>
    private static readonly TimeSpan LockNotice = TimeSpan.FromSeconds(2);

    /// <summary>What pg_ctl prints whatever the reason a start failed.</summary>
    private static readonly string[] PgCtlChatter =
        ["waiting for server to start", "pg_ctl: could not start server", "Examine the log output"];

    private readonly string _binDirectory;
    private readonly ILogger _log;

    private EmbeddedCluster(string root, int port, string binDirectory, string serverOptions, ILogger log)
    {
        Root = root;
        Port = port;
        ServerOptions = serverOptions;
        _binDirectory = binDirectory;
        _log = log;
    }

    public string Root { get; }
    public int Port { get; }
    public string ServerOptions { get; }

    /// <summary>
    /// How long a command waits for another that holds <see cref="LockFile"/>: the holder runs initdb (seconds)
    /// and pg_ctl start, which gives up after 60 s, so a longer hold means it is stuck.
    /// </summary>
    internal TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(2);

    public string DataDirectory => Path.Combine(Root, "pgdata");
    public string SocketDirectory => DataDirectory;
    public string LogFile => Path.Combine(DataDirectory, "server.log");
    public string LockFile => Path.Combine(Root, "cluster.lock");
    public bool Exists => File.Exists(Path.Combine(DataDirectory, "PG_VERSION"));

    /// <summary>
    /// Over the private socket (trusted: only the cluster's owner can reach it), as the pipeline's role unless told
    /// otherwise.
    /// </summary>
    public string ConnectionString(string database = DatabaseName, string user = DatabaseRoles.Pipeline) =>
        $"Host={SocketDirectory};Port={Port};Username={user};Database={database}";

    /// <summary>
    /// As the superuser: to create the database and the roles, and for tests that make databases of their own.
    /// </summary>
    public string SuperuserConnectionString(string database = DatabaseName) => ConnectionString(database, SuperUser);

    public static EmbeddedCluster FromSettings(DatabaseSettings settings, ILogger log)
    {
        var root = settings.DataDirectory is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : DefaultDataDirectory();
        var bin = FindBinaries(settings.BinDirectory)
            ?? throw new UserException(ExitCodes.PostgresMissing,
                "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package postgresql-15 " +
                "(apt-get install postgresql-15), or use an existing server with --connection " +
                "or ConnectionStrings__Postgres.");
        if (settings.Port is <= 0 or > 65535)
            throw new UserException(ExitCodes.UsageError, $"Database:Port must be a TCP port, not {settings.Port}.");
        return new EmbeddedCluster(root, settings.Port, bin, settings.ServerOptions, log);
    }

    /// <summary>
    /// Root keeps its cluster where the postgres user can reach it; anyone else under their XDG data home.
    /// </summary>
    public static string DefaultDataDirectory()
    {
        if (Environment.IsPrivilegedProcess) return "/var/lib/inspections";
        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? xdg
            // DoNotVerify: a home that does not exist (nobody's /nonexistent) would otherwise come back as "", a
            // relative path.
            : Path.Combine(
                Environment.GetFolderPath(Environment.SpecialFolder.UserProfile,
                    Environment.SpecialFolderOption.DoNotVerify),
                ".local",
                "share");
        return Path.Combine(dataHome, "inspections");
    }

    private static string? FindBinaries(string configured)
    {
        static bool HasServer(string dir) =>
            File.Exists(Path.Combine(dir, "initdb"))
            && File.Exists(Path.Combine(dir, "pg_ctl"))
            && File.Exists(Path.Combine(dir, "postgres"));

        if (configured.Length > 0) return HasServer(configured) ? configured : null;
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => (
                    Dir: Path.Combine(d, "bin"),
                    Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => HasServer(d.Dir))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Dir is not null) return newest.Dir;
        }
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(HasServer);
    }

    /// <summary>
    /// Creates the cluster on first use and starts it when it is not running. Safe to call from several processes
    /// at once.
    /// </summary>
    public async Task EnsureRunningAsync(CancellationToken ct)
    {
        try
        {
            Directory.CreateDirectory(Root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unusable(Root, e);
        }
        await using var fileLock = await AcquireLockAsync(ct);
        if (!Exists) await InitAsync(ct);
        if (!await IsRunningAsync(ct)) await StartAsync(ct);
    }

    public async Task<bool> IsRunningAsync(CancellationToken ct) =>
        Exists && (await RunAsync("pg_ctl", ["status", "-D", DataDirectory], ct, throwOnError: false)).ExitCode == 0;

    public async Task<bool> StopAsync(CancellationToken ct)
    {
        if (!await IsRunningAsync(ct)) return false;
        await RunAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60"], ct);
        return true;
    }

    private async Task InitAsync(CancellationToken ct)
    {
        _log.LogInformation("Creating the embedded PostgreSQL cluster in {Directory}", DataDirectory);
        // initdb reads the password file as the server's user, so hand it a copy that user owns.
        var initPassword = Path.Combine(Root, ".initdb-password");
        try
        {
            try
            {
                Directory.CreateDirectory(DataDirectory);
                var passwordFile = Path.Combine(Root, "password");
                if (!File.Exists(passwordFile))
                {
                    await File.WriteAllTextAsync(passwordFile,
                        Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant(), ct);
                    File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
                File.Copy(passwordFile, initPassword, overwrite: true);
                File.SetUnixFileMode(DataDirectory,
                    UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Unusable(DataDirectory, e);
            }
            if (Environment.IsPrivilegedProcess)
            {
                await RunProcessAsync("chown", ["-R", $"{ServiceUser}:", DataDirectory, initPassword], ct);
            }
            await EnsureServerUserCanWriteAsync(ct);
            try
            {
                await RunAsync("initdb",
                    ["-D", DataDirectory, "-U", SuperUser, "-E", "UTF8", "--locale=C", "--no-instructions",
                     "--auth-local=trust", "--auth-host=scram-sha-256", $"--pwfile={initPassword}", "--no-sync"],
                    ct);
            }
            catch
            {
                // A half-made cluster would be taken for a real one next time.
                foreach (var entry in Directory.EnumerateFileSystemEntries(DataDirectory))
                {
                    if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true); else File.Delete(entry);
                }
                throw;
            }
        }
        finally
        {
            File.Delete(initPassword);
        }
    }

    private async Task StartAsync(CancellationToken ct)
    {
        _log.LogInformation("Starting the embedded PostgreSQL server (port {Port})", Port);
        await EnsureServerUserCanWriteAsync(ct);
        // Only loopback TCP and the socket inside pgdata: nothing reachable from other machines.
        var options = $"-p {Port} -k {SocketDirectory} -c listen_addresses=127.0.0.1 {ServerOptions}".Trim();
        var logStart = File.Exists(LogFile) ? new FileInfo(LogFile).Length : 0;
        var result = await RunAsync("pg_ctl",
            ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", options],
            ct,
            throwOnError: false);
        if (result.ExitCode != 0)
        {
            throw new UserException(ExitCodes.DatabaseUnavailable,
                $"the embedded PostgreSQL server in {DataDirectory} did not start: " +
                $"{StartFailure(result.Output, logStart)}");
        }
    }

    /// <summary>
    /// Why pg_ctl start failed: what pg_ctl said (e.g. that it could not create the log file), then what the server
    /// logged during this start, not before (the log keeps every start's lines): its errors, hints and "could not"
    /// lines, e.g. a port in use, a bad option, a permission. One line.
    /// </summary>
    private string StartFailure(string pgCtlOutput, long logStart)
    {
        var said = pgCtlOutput.Split('\n').Select(l => l.Trim())
            .Where(l => l.Length > 0 && !PgCtlChatter.Any(l.StartsWith));
        var logged = LogLinesSince(logStart).Select(l => ServerLogLine().Match(l)).Where(m => m.Success)
            .Where(m => m.Groups["level"].Value is "FATAL" or "PANIC" or "ERROR" or "WARNING" or "DETAIL" or "HINT"
                || (m.Groups["level"].Value == "LOG"
                    && m.Groups["text"].Value.StartsWith("could not", StringComparison.Ordinal)))
            .Select(m => $"{m.Groups["level"].Value}: {m.Groups["text"].Value.Trim()}");
        var reasons = said.Concat(logged).ToList();
        return reasons.Count > 0 ? string.Join(" | ", reasons) : $"pg_ctl gave no reason; see {LogFile}";
    }

    private IEnumerable<string> LogLinesSince(long offset)
    {
        try
        {
            using var stream =
                new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(offset <= stream.Length ? offset : 0, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>A line of server.log under PostgreSQL's default log_line_prefix, <c>'%m [%p] '</c>.</summary>
    [GeneratedRegex(@"^\S+ \S+ \S+ \[\d+\] (?<level>[A-Z]+):\s+(?<text>.*)$")]
    private static partial Regex ServerLogLine();

    /// <summary>
    /// initdb and the server write pgdata as the server's OS user (postgres when we are root), which also needs to
    /// enter every folder above it. Checked first because otherwise they fail on some file inside, which reads like
    /// a bug.
    /// </summary>
    private async Task EnsureServerUserCanWriteAsync(CancellationToken ct)
    {
        var (exitCode, _) = await RunAsServerUserAsync("test",
            ["-w", DataDirectory, "-a", "-x", DataDirectory], ct, throwOnError: false);
        if (exitCode == 0) return;
        var who = Environment.IsPrivilegedProcess
            ? $"the {ServiceUser} OS user (which runs the server, as PostgreSQL refuses to run as root)"
            : $"OS user {Environment.UserName}";
        throw new UserException(ExitCodes.DataDirectoryUnusable,
            $"the embedded cluster's folder {DataDirectory} cannot be used: " +
            $"{who} may not write it or enter a folder above it; " +
            "give it access, or set Database:DataDirectory to a folder it can use");
    }

    /// <summary>
    /// Holds <see cref="LockFile"/> (an flock: the kernel releases it when the holder dies). Only another process
    /// holding it is waited for, saying so, for at most <see cref="LockTimeout"/>; a folder where it cannot be created
    /// fails at once.
    /// </summary>
    private async Task<IAsyncDisposable> AcquireLockAsync(CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        string? holder = null;
        while (true)
        {
            try
            {
                return new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (e.HResult == LockedErrno)
            {
                if (holder is null && waited.Elapsed >= LockNotice)
                {
                    holder = await LockHolderAsync(ct);
                    _log.LogInformation(
                        "waiting for {Holder}, which holds {Lock} while it creates or starts the embedded cluster " +
                        "(at most {Seconds:0} s)",
                        holder, LockFile, LockTimeout.TotalSeconds);
                }
                if (waited.Elapsed >= LockTimeout)
                {
                    throw new UserException(ExitCodes.DatabaseUnavailable,
                        $"{holder ?? await LockHolderAsync(ct)} has held {LockFile} " +
                        $"for {LockTimeout.TotalSeconds:0} s without finishing " +
                        "creating or starting the embedded cluster: end it if it is stuck, then run this again");
                }
                await Task.Delay(100, ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Unusable(Root, e);
            }
        }
    }

    /// <summary>
    /// "process 1234 (inspections)": /proc/locks lists every flock with its holder's pid and the file's inode.
    /// </summary>
    private async Task<string> LockHolderAsync(CancellationToken ct)
    {
        try
        {
            var (_, inode) = await RunProcessAsync("stat", ["--format=%i", LockFile], ct, throwOnError: false);
            var pid = File.ReadLines("/proc/locks").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length > 5 && f[1] == "FLOCK" && f[5].EndsWith($":{inode}", StringComparison.Ordinal))
                .Select(f => f[4])
                .FirstOrDefault();
            if (pid is not null) return $"process {pid} ({File.ReadAllText($"/proc/{pid}/comm").Trim()})";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return "another process";
    }

    private static UserException Unusable(string folder, Exception e)
    {
        var cause = e switch
        {
            IOException { HResult: ReadOnlyErrno } => "it is on a read-only file system",
            IOException { HResult: NoSpaceErrno } => "its file system is full",
            UnauthorizedAccessException => $"permission denied to OS user {Environment.UserName}",
            _ => e.Message,
        };
        return new UserException(ExitCodes.DataDirectoryUnusable,
            $"the embedded cluster's folder {folder} cannot be used: {cause}; " +
            "make it writable, or set Database:DataDirectory to a folder that is",
            e);
    }

    /// <summary>Runs a PostgreSQL binary, as the postgres OS user when we are root.</summary>
    private Task<(int ExitCode, string Output)> RunAsync(string tool, IReadOnlyList<string> args, CancellationToken ct,
        bool throwOnError = true) =>
        RunAsServerUserAsync(Path.Combine(_binDirectory, tool), args, ct, throwOnError);

    private Task<(int ExitCode, string Output)> RunAsServerUserAsync(
        string file,
        IReadOnlyList<string> args,
        CancellationToken ct,
        bool throwOnError = true) =>
        Environment.IsPrivilegedProcess
            ? RunProcessAsync("runuser", ["-u", ServiceUser, "--", file, .. args], ct, throwOnError)
            : RunProcessAsync(file, args, ct, throwOnError);

    private async Task<(int ExitCode, string Output)> RunProcessAsync(string file, IReadOnlyList<string> args,
        CancellationToken ct, bool throwOnError = true)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The server must not inherit our working directory (it may be unreadable to postgres).
            WorkingDirectory = "/",
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        _log.LogDebug("Running {File} {Args}", file, string.Join(' ', args));
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        // pg_ctl start sends the server's own output to its log file (-l), so these pipes close with pg_ctl.
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var output = ((await stdout) + (await stderr)).Trim();
        if (throwOnError && process.ExitCode != 0)
        {
            // Named after the tool, not runuser; its own "initdb: error: ..." lines, not the progress around them.
            var tool = Path.GetFileName(file == "runuser" ? args[3] : file);
            var lines = output.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            var own = lines.Where(l => l.StartsWith($"{tool}:", StringComparison.Ordinal)).ToList();
            throw new UserException(ExitCodes.DatabaseUnavailable,
                $"{tool} failed ({process.ExitCode}): {string.Join(" | ", own.Count > 0 ? own : lines)}");
        }
        return (process.ExitCode, output);
    }
}
