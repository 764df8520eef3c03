using Inspections.Pipeline;

namespace Inspections.Tests.Pipeline;

/// <summary>
/// A small DAG for the engine's tests: each task writes <c>Rows</c> rows of <c>Value</c> into
/// <c>test_outputs</c> and checks that no value exceeds <c>Checks:&lt;name&gt;:max_value</c>.
/// </summary>
/// <summary>What a <see cref="TestTask"/> wrote.</summary>
internal sealed record TestTaskResult(int Rows, int Value) : TaskResult
{
    public override long RowsWritten => Rows;
}

internal sealed class TestTask(string name, string label, int rows, int value, params PipelineTask[] upstream)
    : PipelineTask<TestTaskResult>
{
    public override string Name => name;

    public override IReadOnlyDictionary<string, string> Parameters =>
        new Dictionary<string, string> { ["label"] = label };

    public Func<TaskContext, CancellationToken, Task>? BeforeWrite { get; init; }

    public Exception? Throw { get; init; }

    public override Task<IReadOnlyList<PipelineTask>> RequiresAsync(
        Npgsql.NpgsqlConnection connection, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<PipelineTask>>(upstream);

    public override async Task<TestTaskResult> RunAsync(TaskContext context, CancellationToken ct)
    {
        await context.ExecuteAsync("delete from test_outputs where task = @name and label = @label",
            new { name, label }, ct);
        if (BeforeWrite is not null) await BeforeWrite(context, ct);
        for (var i = 0; i < rows; i++)
        {
            await context.ExecuteAsync(
                "insert into test_outputs (task, label, item, value) values (@name, @label, @i, @value)",
                new { name, label, i, value }, ct);
            if (i == rows / 2 && Throw is not null) throw Throw;
        }
        return new TestTaskResult(rows, value);
    }

    public override async Task CheckAsync(
        TaskContext context, TestTaskResult result, CheckSet checks, CancellationToken ct)
    {
        var max = await context.ScalarAsync<int?>(
            "select max(value) from test_outputs where task = @name and label = @label",
            new { name, label }, ct) ?? 0;
        var offending = await context.QueryAsync<string>(
            "select label || '#' || item from test_outputs where task = @name and label = @label " +
            "and value > @threshold order by item limit 10",
            new { name, label, threshold = checks.Threshold("max_value") }, ct);
        checks.AtMost("max_value", max,
            "{rows} rows of {value} were written; values above {limit} mean the source is broken", offending);
        checks.AtLeast("min_rows", result.Rows, "an empty output is never right");
    }

    public const string Schema = """
        create table if not exists test_outputs (task text not null, label text not null, item int not null,
            value int not null, primary key (task, label, item))
        """;
}
