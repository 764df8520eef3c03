using System.Diagnostics;
using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Hosting;

/// <summary>A test that needs <c>systemd-analyze</c>: skipped, saying why, on a machine without systemd.</summary>
public sealed class SystemdFactAttribute : FactAttribute
{
    public SystemdFactAttribute()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, "systemd-analyze")));
        if (!found)
            Skip = "systemd-analyze is not installed (Debian package systemd): the units in deploy/ were not verified";
    }
}

/// <summary>
/// The systemd units in <c>deploy/</c>: what systemd would say of them, and the least privilege they promise.
/// </summary>
public sealed class DeployUnitsTests
{
    private static readonly string Deploy = Path.Combine(SharedData.RepositoryRoot, "deploy");

    private static readonly string[] Services =
    [
        "inspections-api.service",
        "inspections-dashboard.service",
        "inspections-pipeline.service",
        "inspections-db.service",
    ];

    private static async Task<(int ExitCode, string Output)> VerifyAsync(string folder)
    {
        var start = new ProcessStartInfo("bash",
            [Path.Combine(SharedData.RepositoryRoot, "scripts", "verify-deploy.sh"), folder])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    [SystemdFact]
    public async Task The_units_pass_systemd_analyze_verify()
    {
        var (exitCode, output) = await VerifyAsync(Deploy);

        exitCode.ShouldBe(0, output);
        output.ShouldContain("5 units in");
    }

    [SystemdFact]
    public async Task A_unit_with_a_mistyped_directive_fails_the_check()
    {
        var broken = Directory.CreateTempSubdirectory("units-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(Deploy, "inspections-*"))
                File.Copy(file, Path.Combine(broken, Path.GetFileName(file)));
            var api = Path.Combine(broken, "inspections-api.service");
            File.WriteAllText(api, File.ReadAllText(api).Replace("ProtectSystem=strict", "ProtectSytem=strict"));

            var (exitCode, output) = await VerifyAsync(broken);

            exitCode.ShouldBe(1, output);
            output.ShouldContain("ProtectSytem");
        }
        finally
        {
            Directory.Delete(broken, recursive: true);
        }
    }

    [Fact]
    public void Every_service_runs_as_the_unprivileged_user_with_usual_hardening_and_secrets_in_an_environment_file()
    {
        foreach (var name in Services)
        {
            var lines = File.ReadAllLines(Path.Combine(Deploy, name)).Select(l => l.Trim()).ToHashSet();
            foreach (var directive in new[]
                     {
                         "User=inspections", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                         "PrivateTmp=yes", "CapabilityBoundingSet=", "ReadWritePaths=/var/lib/inspections",
                         "EnvironmentFile=-/etc/inspections/inspections.env",
                     })
                lines.ShouldContain(directive, $"{name} lacks {directive}");
            lines.ShouldContain(l => l.StartsWith("RestrictAddressFamilies=", StringComparison.Ordinal), name);
            // The .NET JIT maps memory writable, then executable: with this the process dies at start.
            lines.ShouldNotContain(l => l.StartsWith("MemoryDenyWriteExecute=yes", StringComparison.Ordinal), name);
        }
    }

    [Fact]
    public void The_timer_runs_the_pipeline_weekly_as_the_readme_cron_line_does()
    {
        var timer = File.ReadAllText(Path.Combine(Deploy, "inspections-pipeline.timer"));
        var pipeline = File.ReadAllText(Path.Combine(Deploy, "inspections-pipeline.service"));
        var readme = File.ReadAllText(Path.Combine(SharedData.RepositoryRoot, "README.md"));

        timer.ShouldContain("OnCalendar=Mon *-*-* 06:00:00 America/Chicago");
        timer.ShouldContain("Unit=inspections-pipeline.service");
        pipeline.ShouldContain("ExecStart=/opt/inspections/inspections run --fail-on-drift");
        readme.ShouldContain("0 6 * * 1  cd /opt/inspections && scripts/inspections run --fail-on-drift");
    }
}
