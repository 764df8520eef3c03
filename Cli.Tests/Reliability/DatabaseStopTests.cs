using System.Diagnostics;
using Inspections.Database;
using Inspections.Hosting;
using Inspections.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Inspections.Tests.Reliability;

/// <summary>
/// The PostgreSQL server stopped under a running process (a throwaway embedded cluster of this class's
/// own): the process says so in one line and exits with the database-unavailable code; once the server
/// is back, the next run completes.
/// </summary>
public sealed class DatabaseStopTests : IAsyncLifetime
{
    private readonly ThrowawayCluster _throwaway = new("stop");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _throwaway.DisposeAsync();

    [Theory]
    [InlineData("fast")]
    [InlineData("immediate")]
    public async Task A_server_stopped_mid_task_is_one_line_and_the_database_unavailable_code_and_a_next_run_completes(
        string mode)
    {
        string[] run =
            ["run", "--until", "clean", "--date", SamplePipeline.FirstRun, "--source", SamplePipeline.Sample];
        var ingested = await CliRunner.RunAsync([.. run[..2], "ingest", .. run[3..]], _throwaway.Config);
        ingested.ExitCode.ShouldBe(0, ingested.ToString());
        await using var db = NpgsqlDataSource.Create(_throwaway.Cluster.SuperuserConnectionString() + ";Pooling=false");

        await using var child = CliProcess.Start(run, _throwaway.Config);
        await using (var gate = await CommitGate.CloseAsync(db))
        {
            await gate.WaitForRunAsync(db, child, TimeSpan.FromMinutes(2)); // clean, in its transaction
            await StopServerAsync(mode);
            (await child.WaitForExitAsync(TimeSpan.FromMinutes(1)))
                .ShouldBe(ExitCodes.DatabaseUnavailable, child.ToString());
            try { await gate.OpenAsync(); } catch (NpgsqlException) { } // its session died with the server
        }

        var errors = child.Error.Split('\n')
            .Where(line => line.Contains("error", StringComparison.OrdinalIgnoreCase)
                           || line.Contains("exception", StringComparison.OrdinalIgnoreCase))
            .ToList();
        errors.ShouldHaveSingleItem(child.ToString()).ShouldStartWith("error: database unavailable");
        child.Error.ShouldNotContain("   at ", Case.Sensitive, child.ToString());

        NpgsqlConnection.ClearAllPools();
        var next = await CliRunner.RunAsync(run, _throwaway.Config);
        next.ExitCode.ShouldBe(0, next.ToString());
        next.Out.ShouldContain($"ran      clean(date={SamplePipeline.FirstRun}");
        (await DatabaseProbe.RecordsOfAsync(db, "clean", SamplePipeline.FirstRun)).ShouldBe((1L, 1L));
    }

    /// <summary>
    /// <c>pg_ctl stop</c> in the given mode: fast ends sessions with an error, immediate just drops them (as a crash
    /// would).
    /// </summary>
    private async Task StopServerAsync(string mode)
    {
        var pgCtl = Directory.GetDirectories("/usr/lib/postgresql")
            .Select(d => Path.Combine(d, "bin", "pg_ctl")).Where(File.Exists)
            .OrderDescending().FirstOrDefault() ?? "pg_ctl";
        var start = new ProcessStartInfo(Environment.IsPrivilegedProcess ? "runuser" : pgCtl)
        {
            RedirectStandardOutput = true, RedirectStandardError = true
        };
        if (Environment.IsPrivilegedProcess)
            foreach (var arg in (string[])["-u", "postgres", "--", pgCtl]) start.ArgumentList.Add(arg);
        foreach (var arg in (string[])["stop", "-D", _throwaway.Cluster.DataDirectory, "-m", mode, "-w"])
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, output);
    }
}
