namespace Inspections.Tests.Reliability;

/// <summary>
/// Two cron jobs for the same date at once (real processes): one does each task, the other waits and finds it done.
/// </summary>
[Collection(SamplePipeline.Collection)]
public sealed class ConcurrentRunTests(SamplePipeline sample)
{
    private const string Date = "2014-10-01";

    [Fact]
    public async Task Two_runs_of_the_same_date_at_once_both_succeed_and_each_task_runs_once()
    {
        var db = sample.Db.DataSource;
        await using var first = sample.Start("run", "--date", Date, "--source", SamplePipeline.Sample);
        await using var second = sample.Start("run", "--date", Date, "--source", SamplePipeline.Sample);

        var exits = await Task.WhenAll(
            first.WaitForExitAsync(TimeSpan.FromMinutes(3)), second.WaitForExitAsync(TimeSpan.FromMinutes(3)));

        exits.ShouldBe([0, 0], $"first:\n{first}\nsecond:\n{second}");
        foreach (var task in (string[])["ingest", "clean", "features", "predict", "store-api", "monitor"])
        {
            (await DatabaseProbe.RecordsOfAsync(db, task, Date)).ShouldBe((1L, 1L), task);
            var ranIn = new[] { first.Out, second.Out }
                .Count(output => output.Contains($"ran      {task}(date={Date}"));
            ranIn.ShouldBe(1, $"{task} ran in exactly one process\nfirst:\n{first}\nsecond:\n{second}");
        }
        var scored = await DatabaseProbe.CountAsync(db,
            "select count(*) from predictions.scores where prediction_date = @Date::date", new { Date });
        scored.ShouldBeGreaterThan(0);
        (await DatabaseProbe.CountAsync(db,
            "select count(*) from api.predictions where prediction_date = @Date::date", new { Date })).ShouldBe(scored);
        (await DatabaseProbe.CountAsync(db,
            "select count(*) from monitoring.drift where monitor_date = @Date::date", new { Date })).ShouldBe(1);
        (await DatabaseProbe.CountAsync(db, "select count(*) - count(distinct inspection_id) from raw.inspections"))
            .ShouldBe(0);
        (await DatabaseProbe.CountAsync(db,
            "select count(*) from raw.inspections where inspection_date > @Date::date", new { Date })).ShouldBe(0);
    }
}
