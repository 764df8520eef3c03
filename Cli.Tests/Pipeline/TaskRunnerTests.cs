using Dapper;
using Inspections.Hosting;
using Inspections.Pipeline;
using Inspections.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Inspections.Tests.Pipeline;

public sealed class TaskRunnerTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    public async Task InitializeAsync()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(TestTask.Schema);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static AppSettings Settings(params (string Key, string Value)[] extra)
    {
        var config = new Dictionary<string, string?>
        {
            ["Checks:a:max_value"] = "100", ["Checks:a:min_rows"] = "1",
            ["Checks:b:max_value"] = "100", ["Checks:b:min_rows"] = "1",
            ["Checks:c:max_value"] = "100", ["Checks:c:min_rows"] = "1",
        };
        foreach (var (key, value) in extra) config[key] = value;
        return AppSettings.Load(config);
    }

    private TaskRunner Runner(AppSettings? settings = null, CheckOverrides? overrides = null) =>
        new(db.DataSource, settings ?? Settings(), overrides ?? CheckOverrides.None,
            new Terminal(TextWriter.Synchronized(_out), TextWriter.Synchronized(_error), false),
            NullLoggerFactory.Instance);

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    private sealed record Counts(long Runs, long Metadata, long Checks, long Outputs);

    private async Task<Counts> CountAsync()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<Counts>("""
            select (select count(*) from pipeline.task_runs) as Runs,
                   (select count(*) from pipeline.task_metadata) as Metadata,
                   (select count(*) from pipeline.check_results) as Checks,
                   (select count(*) from test_outputs) as Outputs
            """);
    }

    private static (TestTask A, TestTask B, TestTask C) Chain(string label, int bValue = 5)
    {
        var a = new TestTask("a", label, 3, 1);
        var b = new TestTask("b", label, 4, bValue, a);
        var c = new TestTask("c", label, 2, 7, b);
        return (a, b, c);
    }

    [Fact]
    public async Task Upstream_runs_first_and_a_second_request_runs_nothing_and_writes_nothing()
    {
        var (_, _, c) = Chain(Unique("up"));
        var first = await Runner().RunAsync(c, force: false, default);
        first.IsGreen.ShouldBeTrue(_error.ToString());
        first.ExitCode.ShouldBe(ExitCodes.Success);
        first.Outcomes.Select(o => (o.Task.Name, o.State))
            .ShouldBe([("a", TaskState.Ran), ("b", TaskState.Ran), ("c", TaskState.Ran)]);
        first.Outcomes.Select(o => o.RowsWritten).ShouldBe([3L, 4L, 2L]);

        var before = await CountAsync();
        var second = await Runner().RunAsync(c, force: false, default);
        second.Outcomes.Select(o => o.State).ShouldBe([TaskState.AlreadyComplete]);
        second.Summary().ShouldContain("everything already complete");
        (await CountAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task A_successful_run_stores_metadata_and_its_passing_checks()
    {
        var a = new TestTask("a", Unique("meta"), 3, 1);
        var report = await Runner().RunAsync(a, force: false, default);
        report.IsGreen.ShouldBeTrue();

        await using var connection = await db.DataSource.OpenConnectionAsync();
        var key = report.Outcomes.Single().Key;
        var meta = await connection.QuerySingleAsync(
            "select rows_written, host, os_user, product_version, figures::text as figures, " +
            "parameters::text as parameters, duration_ms from pipeline.task_metadata where task_key = @key",
            new { key });
        ((long)meta.rows_written).ShouldBe(3);
        ((string)meta.figures).ShouldContain("\"rows\": 3");
        ((string)meta.parameters).ShouldContain("\"label\"");
        ((string)meta.host).ShouldNotBeNullOrEmpty();
        var checks = (await connection.QueryAsync<(string, bool)>(
            "select c.check_name, c.passed from pipeline.check_results c join pipeline.task_runs r using (run_id) " +
            "where r.task_key = @key order by 1", new { key })).ToList();
        checks.ShouldBe([("max_value", true), ("min_rows", true)]);
    }

    [Fact]
    public async Task A_failed_check_leaves_no_output_and_no_metadata_and_records_its_context()
    {
        var label = Unique("bad");
        var (_, _, c) = Chain(label, bValue: 500);
        var report = await Runner().RunAsync(c, force: false, default);

        report.ExitCode.ShouldBe(ExitCodes.CheckFailed);
        report.IsGreen.ShouldBeFalse();
        report.Outcomes.Select(o => (o.Task.Name, o.State))
            .ShouldBe([("a", TaskState.Ran), ("b", TaskState.CheckFailed), ("c", TaskState.NotRun)]);
        report.Summary().ShouldStartWith("DAG red");

        await using var connection = await db.DataSource.OpenConnectionAsync();
        (await connection.ExecuteScalarAsync<long>(
            "select count(*) from test_outputs where label = @label and task = 'b'", new { label })).ShouldBe(0);
        var bKey = report.Outcomes[1].Key;
        (await connection.ExecuteScalarAsync<long>(
            "select count(*) from pipeline.task_metadata where task_key = @bKey", new { bKey })).ShouldBe(0);
        var failure = await connection.QuerySingleAsync(
            "select state, error, failure_report from pipeline.task_runs where task_key = @bKey", new { bKey });
        ((string)failure.state).ShouldBe("failed");
        ((string)failure.failure_report).ShouldContain("max_value: 500 <= 100");
        var check = await connection.QuerySingleAsync("""
            select c.passed, c.expected, c.actual, c.note, c.offending_keys::text as offending, c.locals::text as locals
            from pipeline.check_results c join pipeline.task_runs r using (run_id)
            where r.task_key = @bKey and c.check_name = 'max_value'
            """, new { bKey });
        ((bool)check.passed).ShouldBeFalse();
        ((string)check.expected).ShouldBe("<= 100");
        ((string)check.actual).ShouldBe("500");
        ((string)check.note).ShouldBe("4 rows of 500 were written; values above 100 mean the source is broken");
        ((string)check.offending).ShouldContain($"{label}#0");
        ((string)check.locals).ShouldContain("\"label\"");

        var printed = _error.ToString();
        printed.ShouldContain($"FAIL: max_value ({bKey})");
        printed.ShouldContain("Expected:  <= 100");
        printed.ShouldContain("Actual:    500");
        printed.ShouldContain("Note:      4 rows of 500 were written");
        printed.ShouldContain($"Offending rows (first 4): {label}#0, {label}#1, {label}#2, {label}#3");
        printed.ShouldContain("no metadata was written");
    }

    [Fact]
    public async Task A_check_override_changes_the_identity_and_the_result()
    {
        var label = Unique("ovr");
        var b = new TestTask("b", label, 2, 500);
        var settings = Settings();
        var strict = await Runner(settings).RunAsync(b, false, default);
        strict.ExitCode.ShouldBe(ExitCodes.CheckFailed);

        var overrides = CheckOverrides.Parse(["b.max_value=1000"], settings.Configuration);
        var lenient = await Runner(settings, overrides).RunAsync(b, false, default);
        lenient.ExitCode.ShouldBe(ExitCodes.Success, _error.ToString());
        lenient.Outcomes.Single().Key.ShouldBe($"b(label={label}; check.max_value=1000)");
        strict.Outcomes.Single().Key.ShouldBe($"b(label={label})");

        // The override made a different instance: the strict one is still not complete.
        (await Runner(settings).RunAsync(b, false, default)).ExitCode.ShouldBe(ExitCodes.CheckFailed);
    }

    [Theory]
    [InlineData("b.max_value")]
    [InlineData("max_value=3")]
    [InlineData("b.max_value=lots")]
    [InlineData("b.no_such_check=1")]
    public void A_malformed_or_unknown_check_override_is_a_usage_error(string item)
    {
        var e = Should.Throw<UserException>(() => CheckOverrides.Parse([item], Settings().Configuration));
        e.ExitCode.ShouldBe(ExitCodes.UsageError);
    }

    [Fact]
    public async Task An_exception_in_the_body_rolls_back_and_is_recorded()
    {
        var label = Unique("exc");
        var a = new TestTask("a", label, 6, 1) { Throw = new InvalidDataException("the source changed its columns") };
        var report = await Runner().RunAsync(a, false, default);
        report.ExitCode.ShouldBe(ExitCodes.TaskFailed);
        report.Outcomes.Single().State.ShouldBe(TaskState.Failed);
        _error.ToString().ShouldContain("InvalidDataException: the source changed its columns");
        (await db.ScalarAsync<long>($"select count(*) from test_outputs where label = '{label}'")).ShouldBe(0);
        await using var connection = await db.DataSource.OpenConnectionAsync();
        (await connection.ExecuteScalarAsync<string>(
                "select error from pipeline.task_runs where task_key = @key", new { key = report.Outcomes[0].Key }))
            .ShouldBe("InvalidDataException: the source changed its columns");
    }

    [Fact]
    public async Task Two_concurrent_requests_for_one_instance_write_once()
    {
        var label = Unique("conc");
        TestTask Make() => new("a", label, 3, 1) { BeforeWrite = (_, ct) => Task.Delay(700, ct) };
        var reports = await Task.WhenAll(
            Runner().RunAsync(Make(), false, default), Runner().RunAsync(Make(), false, default));
        reports.Select(r => r.Outcomes.Single().State).OrderBy(s => s)
            .ShouldBe([TaskState.Ran, TaskState.AlreadyComplete]);
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var key = reports[0].Outcomes[0].Key;
        (await connection.ExecuteScalarAsync<long>(
            "select count(*) from pipeline.task_metadata where task_key = @key", new { key })).ShouldBe(1);
        (await connection.ExecuteScalarAsync<long>(
            "select count(*) from test_outputs where label = @label", new { label })).ShouldBe(3);
    }

    [Fact]
    public async Task A_connection_killed_in_the_middle_of_a_body_leaves_nothing_and_the_next_request_completes()
    {
        var label = Unique("kill");
        var inBody = new TaskCompletionSource<int>();
        var doomed = new TestTask("a", label, 4, 1)
        {
            BeforeWrite = async (context, ct) =>
            {
                await context.Connection.ExecuteAsync(
                    "insert into test_outputs values ('a', @label, 99, 1)", new { label }, context.Transaction);
                inBody.SetResult(await context.Connection.ExecuteScalarAsync<int>(
                    "select pg_backend_pid()", transaction: context.Transaction));
                await context.Connection.ExecuteAsync("select pg_sleep(30)", transaction: context.Transaction);
            },
        };
        var running = Runner().RunAsync(doomed, false, default);
        var pid = await inBody.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await using (var admin = await db.DataSource.OpenConnectionAsync())
            await admin.ExecuteAsync("select pg_terminate_backend(@pid)", new { pid });
        await Should.ThrowAsync<NpgsqlException>(() => running);

        (await db.ScalarAsync<long>($"select count(*) from test_outputs where label = '{label}'")).ShouldBe(0);
        var next = await Runner().RunAsync(new TestTask("a", label, 4, 1), false, default);
        next.Outcomes.Single().State.ShouldBe(TaskState.Ran);
        (await db.ScalarAsync<long>($"select count(*) from test_outputs where label = '{label}'")).ShouldBe(4);
    }

    [Fact]
    public async Task Force_reruns_only_the_target_and_replaces_its_output()
    {
        var (_, b, _) = Chain(Unique("force"));
        (await Runner().RunAsync(b, false, default)).IsGreen.ShouldBeTrue();
        var forced = await Runner().RunAsync(b, force: true, default);
        forced.Outcomes.Select(o => (o.Task.Name, o.State))
            .ShouldBe([("a", TaskState.AlreadyComplete), ("b", TaskState.Ran)]);
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var key = forced.Outcomes[1].Key;
        (await connection.ExecuteScalarAsync<long>(
            "select count(*) from pipeline.task_metadata where task_key = @key", new { key })).ShouldBe(2);
        (await connection.ExecuteScalarAsync<long>(
            "select count(*) from test_outputs where task = 'b' and label = @label",
            new { label = b.Parameters["label"] })).ShouldBe(4);
    }
}
