using System.Diagnostics;
using System.Security.Cryptography;
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
internal sealed class EmbeddedCluster
{
    public const string DatabaseName = "inspections";
    public const string SuperUser = "postgres";
    private const string ServiceUser = "postgres";

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
    public string DataDirectory => Path.Combine(Root, "pgdata");
    public string SocketDirectory => DataDirectory;
    public string LogFile => Path.Combine(DataDirectory, "server.log");
    public bool Exists => File.Exists(Path.Combine(DataDirectory, "PG_VERSION"));

    public string ConnectionString(string database = DatabaseName) =>
        $"Host={SocketDirectory};Port={Port};Username={SuperUser};Database={database}";

    public static EmbeddedCluster FromSettings(DatabaseSettings settings, ILogger log)
    {
        var root = settings.DataDirectory is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : DefaultDataDirectory();
        var bin = FindBinaries(settings.BinDirectory)
            ?? throw new UserException(ExitCodes.PostgresMissing,
                "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package postgresql-15 " +
                "(apt-get install postgresql-15), or use an existing server with --connection or ConnectionStrings__Postgres.");
        if (settings.Port is <= 0 or > 65535)
            throw new UserException(ExitCodes.UsageError, $"Database:Port must be a TCP port, not {settings.Port}.");
        return new EmbeddedCluster(root, settings.Port, bin, settings.ServerOptions, log);
    }

    /// <summary>Root keeps its cluster where the postgres user can reach it; anyone else under their XDG data home.</summary>
    public static string DefaultDataDirectory()
    {
        if (Environment.IsPrivilegedProcess) return "/var/lib/inspections";
        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(dataHome, "inspections");
    }

    private static string? FindBinaries(string configured)
    {
        static bool HasServer(string dir) => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"))
            && File.Exists(Path.Combine(dir, "postgres"));

        if (configured.Length > 0) return HasServer(configured) ? configured : null;
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => HasServer(d.Dir))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Dir is not null) return newest.Dir;
        }
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(HasServer);
    }

    /// <summary>Creates the cluster on first use and starts it when it is not running. Safe to call from several processes at once.</summary>
    public async Task EnsureRunningAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Root);
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
        Directory.CreateDirectory(DataDirectory);
        var passwordFile = Path.Combine(Root, "password");
        if (!File.Exists(passwordFile))
        {
            await File.WriteAllTextAsync(passwordFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant(), ct);
            File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        // initdb reads the password file as the server's user, so hand it a copy that user owns.
        var initPassword = Path.Combine(Root, ".initdb-password");
        File.Copy(passwordFile, initPassword, overwrite: true);
        File.SetUnixFileMode(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (Environment.IsPrivilegedProcess)
        {
            await RunProcessAsync("chown", ["-R", $"{ServiceUser}:", DataDirectory, initPassword], ct);
        }
        try
        {
            await RunAsync("initdb", ["-D", DataDirectory, "-U", SuperUser, "-E", "UTF8", "--locale=C", "--no-instructions",
                "--auth-local=trust", "--auth-host=scram-sha-256", $"--pwfile={initPassword}", "--no-sync"], ct);
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
        finally
        {
            File.Delete(initPassword);
        }
    }

    private async Task StartAsync(CancellationToken ct)
    {
        _log.LogInformation("Starting the embedded PostgreSQL server (port {Port})", Port);
        // Only loopback TCP and the socket inside pgdata: nothing reachable from other machines.
        var options = $"-p {Port} -k {SocketDirectory} -c listen_addresses=127.0.0.1 {ServerOptions}".Trim();
        var result = await RunAsync("pg_ctl", ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", options], ct,
            throwOnError: false);
        if (result.ExitCode != 0)
        {
            var tail = File.Exists(LogFile) ? string.Join(" | ", File.ReadLines(LogFile).TakeLast(3)) : result.Output;
            throw new UserException(ExitCodes.DatabaseUnavailable,
                $"the embedded PostgreSQL server in {DataDirectory} did not start: {tail.Trim()}");
        }
    }

    private async Task<IAsyncDisposable> AcquireLockAsync(CancellationToken ct)
    {
        var path = Path.Combine(Root, "cluster.lock");
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    /// <summary>Runs a PostgreSQL binary, as the postgres OS user when we are root.</summary>
    private Task<(int ExitCode, string Output)> RunAsync(string tool, IReadOnlyList<string> args, CancellationToken ct,
        bool throwOnError = true)
    {
        var path = Path.Combine(_binDirectory, tool);
        return Environment.IsPrivilegedProcess
            ? RunProcessAsync("runuser", ["-u", ServiceUser, "--", path, .. args], ct, throwOnError)
            : RunProcessAsync(path, args, ct, throwOnError);
    }

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
            throw new UserException(ExitCodes.DatabaseUnavailable, $"{Path.GetFileName(file)} failed ({process.ExitCode}): {output}");
        return (process.ExitCode, output);
    }
}
