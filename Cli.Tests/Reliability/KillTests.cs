using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Reliability;

/// <summary>
/// The real executable killed (SIGKILL) in each long task, either just before its commit, with every row
/// of its run written and none committed (<see cref="CommitGate"/>), or in the middle of its body: the
/// database must hold exactly what it held before (no partial rows, no metadata, no succeeded run),
/// earlier dates' predictions and serving rows stay, and the next run completes. Each test works on a
/// run date of its own over the shared sample pipeline.
/// </summary>
[Collection(SamplePipeline.Collection)]
public sealed class KillTests(SamplePipeline sample)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    [Fact]
    public Task An_ingest_killed_just_before_its_commit_leaves_nothing_and_the_next_ingest_completes() =>
        KillAndResumeAsync("ingest", "2014-06-20", prepareUntil: null);

    [Fact]
    public Task A_features_run_killed_just_before_its_commit_leaves_nothing_and_the_next_one_completes() =>
        KillAndResumeAsync("features", "2014-07-01", prepareUntil: "clean");

    [Fact]
    public Task A_training_killed_just_before_its_commit_leaves_no_model_and_the_next_training_completes() =>
        KillAndResumeAsync("train", "2014-09-01", prepareUntil: "features");

    [Fact]
    public Task A_predict_killed_just_before_its_commit_keeps_earlier_predictions_and_the_next_predict_completes() =>
        KillAndResumeAsync("predict", "2014-07-15", prepareUntil: "features");

    [Fact]
    public Task A_store_api_killed_just_before_its_commit_keeps_the_serving_rows_and_the_next_store_api_completes() =>
        KillAndResumeAsync("store-api", "2014-08-01", prepareUntil: "predict");

    // Caught in the act, where the body can be seen from the server (a run that reaches the gate first fails the test):
    // features computing the name keys and events (its longest statement: a weekly run only inserts the few dates whose
    // records changed, too quickly to catch); training fitting models in the process, its transaction open and idle;
    // ingest streaming the file into its COPY.
    [Fact]
    public Task A_features_run_killed_while_computing_leaves_the_snapshots_and_cohorts_as_they_were() =>
        KillAndResumeAsync("features", "2014-07-08", prepareUntil: "clean",
            inBody: "a.state = 'active' and a.query ilike '%create temp table feature_name_keys%'");

    [Fact]
    public Task A_training_killed_while_fitting_leaves_no_model_and_the_next_training_completes() =>
        KillAndResumeAsync("train", "2014-09-08", prepareUntil: "features",
            inBody: "a.state = 'idle in transaction' and now() - a.state_change > interval '500 ms'");

    [Fact]
    public Task An_ingest_killed_while_copying_the_file_leaves_nothing_and_the_next_ingest_completes() =>
        KillAndResumeAsync("ingest", "2014-06-27", prepareUntil: null, inBody: "a.query ilike 'copy ingest_batch%'");

    // The gate tested: a body condition that no longer matches what the task runs (a renamed table, a reworded
    // statement) must fail its kill test, not let the gate quietly catch the run at its commit instead.
    [Fact]
    public async Task A_kill_in_the_body_whose_condition_matches_nothing_fails_rather_than_killing_at_the_commit()
    {
        var missed = await Should.ThrowAsync<InvalidOperationException>(() =>
            KillAndResumeAsync("ingest", "2014-06-13", prepareUntil: null,
                inBody: "a.query ilike 'copy no_such_table%'"));
        missed.Message.ShouldContain("reached its commit without matching");
    }

    private async Task KillAndResumeAsync(string verb, string date, string? prepareUntil, string? inBody = null)
    {
        var db = sample.Db.DataSource;
        if (prepareUntil is not null)
        {
            var prepared = await sample.RunAsync(
                "run", "--until", prepareUntil, "--date", date, "--source", SamplePipeline.Sample);
            prepared.ExitCode.ShouldBe(0, prepared.ToString());
        }
        var servedBefore = await DatabaseProbe.CountAsync(db,
            "select count(*) from api.predictions where prediction_date = @d::date",
            new { d = SamplePipeline.FirstRun });
        servedBefore.ShouldBeGreaterThan(0);
        var before = await DatabaseProbe.FingerprintAsync(db);

        await using (var gate = await CommitGate.CloseAsync(db))
        {
            await using var child = sample.Start(verb, "--date", date, "--source", SamplePipeline.Sample);
            var session = await gate.WaitForRunAsync(db, child, Patience, inBody);
            child.Kill();
            (await child.WaitForExitAsync(Patience)).ShouldBe(128 + 9, child.ToString()); // died of SIGKILL
            await gate.OpenAsync();
            await DatabaseProbe.WaitForSessionToEndAsync(db, session, Patience);
        }

        (await DatabaseProbe.FingerprintAsync(db))
            .ShouldBe(before, $"{verb} killed before its commit changed the database");
        (await DatabaseProbe.RecordsOfAsync(db, verb, date)).ShouldBe((0L, 0L));
        (await DatabaseProbe.CountAsync(db,
                "select count(*) from api.predictions where prediction_date = @d::date",
                new { d = SamplePipeline.FirstRun }))
            .ShouldBe(servedBefore);

        var next = await sample.RunAsync(verb, "--date", date, "--source", SamplePipeline.Sample);
        next.ExitCode.ShouldBe(0, next.ToString());
        next.Out.ShouldContain($"ran      {verb}(date={date}");
        (await DatabaseProbe.RecordsOfAsync(db, verb, date)).ShouldBe((1L, 1L));
    }
}
