using Dapper;
using Inspections.Hosting;
using Inspections.Tests.Infrastructure;
using System.Xml.Linq;

namespace Inspections.Tests.Prediction;

/// <summary>
/// A database on which <c>predict --date 2014-09-01</c> ran once, fresh, on the bundled sample: the
/// whole DAG up to predict (ingest, clean, features, train, select, bias) ran through the CLI.
/// </summary>
public sealed class PredictedDatabase : IAsyncLifetime
{
    public TestDatabase Db { get; } = new();

    public CliResult FirstPredict { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Db.InitializeAsync();
        FirstPredict = await RunAsync("predict", "--date", SampleData.RunDate);
    }

    public Task<CliResult> RunAsync(params string[] args) => Db.RunAsync([.. args, "--source", SampleData.Csv]);

    public Task DisposeAsync() => Db.DisposeAsync();
}

/// <summary>
/// The acceptance demo's steps, as tests: predict, again, a bad check, store-api, monitor, status, the DAG picture.
/// </summary>
public sealed class PipelineEndToEndTests(PredictedDatabase predicted) : IClassFixture<PredictedDatabase>
{
    private TestDatabase Db => predicted.Db;

    private async Task<T> QueryAsync<T>(string sql, object? args = null)
    {
        await using var connection = await Db.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<T>(sql, args);
    }

    private sealed record Totals(long Metadata, long Runs, long Predictions, long Checks);

    private Task<Totals> TotalsAsync() => QueryAsync<Totals>("""
        select (select count(*) from pipeline.task_metadata) as Metadata,
               (select count(*) from pipeline.task_runs) as Runs,
               (select count(*) from predictions.scores) as Predictions,
               (select count(*) from pipeline.check_results) as Checks
        """);

    [Fact]
    public async Task A_fresh_predict_runs_its_whole_upstream_in_order_and_scores_every_cohort_establishment()
    {
        var result = predicted.FirstPredict;
        result.ExitCode.ShouldBe(ExitCodes.Success, result.ToString());
        var ran = result.Out.Split('\n')
            .Where(l => l.TrimStart().StartsWith("ran "))
            .Select(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1].Split('(')[0])
            .ToList();
        ran.ShouldBe(["ingest", "clean", "features", "train", "select", "bias", "predict"]);
        result.Out.ShouldContain("DAG green: 7 ran");

        var cohort = await QueryAsync<long>("select count(*) from features.cohort where as_of_date = @d",
            new { d = DateOnly.Parse(SampleData.RunDate) });
        cohort.ShouldBeGreaterThan(100);
        (await QueryAsync<long>("select count(*) from predictions.scores where prediction_date = @d",
            new { d = DateOnly.Parse(SampleData.RunDate) })).ShouldBe(cohort);
        (await QueryAsync<long>("""
            select count(*) from predictions.scores s join models.registry r using (model_id)
            where s.label <> case when s.score >= r.threshold then 'fail' else 'pass' end
            """)).ShouldBe(0);

        var figures = await QueryAsync<string>(
            "select figures::text from pipeline.task_metadata where task = 'predict' and parameters->>'date' = @d",
            new { d = SampleData.RunDate });
        figures.ShouldContain("\"model_id\"");
        figures.ShouldContain($"\"cohort\": {cohort}");
        var passed = await QueryAsync<long>("""
            select count(*) from pipeline.check_results c join pipeline.task_runs r using (run_id)
            where r.task = 'predict' and r.state = 'succeeded' and c.passed and r.parameters->>'date' = @d
            """, new { d = SampleData.RunDate });
        passed.ShouldBe(9);
    }

    [Fact]
    public async Task The_same_predict_again_runs_nothing_and_writes_nothing()
    {
        var before = await TotalsAsync();
        var again = await predicted.RunAsync("predict", "--date", SampleData.RunDate);
        again.ExitCode.ShouldBe(ExitCodes.Success, again.ToString());
        again.Out.ShouldContain("DAG green: everything already complete");
        (await TotalsAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task A_bad_check_shows_its_context_writes_no_metadata_and_exits_with_the_check_failure_code()
    {
        var before = await TotalsAsync();
        var bad = await predicted.RunAsync("predict", "--date", SampleData.RunDate, "--check", "predict.max_score=-1");

        bad.ExitCode.ShouldBe(ExitCodes.CheckFailed, bad.ToString());
        bad.Out.ShouldContain("DAG red: predict failed (a check failed)");
        bad.Error.ShouldContain("FAIL: max_score (predict(");
        bad.Error.ShouldContain("Expected:  <= -1");
        bad.Error.ShouldContain("Locals:");
        bad.Error.ShouldContain("Note:      every score must lie within [min_score, max_score]");
        bad.Error.ShouldContain("Offending rows (first 10):");
        var after = await TotalsAsync();
        after.Metadata.ShouldBe(before.Metadata);
        after.Predictions.ShouldBe(before.Predictions);
        after.Runs.ShouldBe(before.Runs + 1);
        (await QueryAsync<string>("select failure_report from pipeline.task_runs " +
                "where state = 'failed' and task_key like 'predict(%check.max_score=-1)'"))
            .ShouldContain("Assertion: max_score:");
    }

    [Fact]
    public async Task Store_api_then_monitor_write_their_records_and_status_shows_a_green_dag()
    {
        var date = DateOnly.Parse(SampleData.RunDate);
        var store = await predicted.RunAsync("store-api", "--date", SampleData.RunDate);
        store.ExitCode.ShouldBe(ExitCodes.Success, store.ToString());
        var served = await QueryAsync<(long Rows, long MaxRank, long Named, long Models)>(
            "select count(*), max(rank), count(*) filter (where name <> ''), count(distinct model_id) " +
            "from api.predictions where prediction_date = @date", new { date });
        served.Rows.ShouldBe(await QueryAsync<long>(
            "select count(*) from predictions.scores where prediction_date = @date", new { date }));
        served.MaxRank.ShouldBe(served.Rows);
        served.Named.ShouldBe(served.Rows);
        served.Models.ShouldBe(1);
        (await QueryAsync<long>("""
            select count(*) from api.predictions a
            join api.predictions b on a.prediction_date = b.prediction_date and a.rank = b.rank - 1
            where a.score < b.score
            """)).ShouldBe(0);

        var monitor = await predicted.RunAsync("monitor", "--date", SampleData.RunDate);
        monitor.ExitCode.ShouldBe(ExitCodes.Success, monitor.ToString());
        monitor.Out.ShouldContain($"Drift on {SampleData.RunDate}:");
        var drift = await QueryAsync<(long Current, long Reference, int Bins, double Psi, string Status)>(
            "select current_rows, reference_rows, bins, psi, status from monitoring.drift where monitor_date = @date",
            new { date });
        drift.Current.ShouldBe(served.Rows);
        drift.Reference.ShouldBe(await QueryAsync<long>("select count(*) from models.reference_cohort"));
        drift.Bins.ShouldBe(10);
        drift.Status.ShouldBeOneOf("ok", "warn", "alert");
        (await QueryAsync<long>("select count(*) from monitoring.histogram_bins where monitor_date = @date",
            new { date })).ShouldBe(40);

        var status = await predicted.RunAsync("status", "--date", SampleData.RunDate);
        status.ExitCode.ShouldBe(ExitCodes.Success, status.ToString());
        status.Out.ShouldStartWith("DAG green: 10 complete, 0 failed, 0 not run"); // evaluate among them
        foreach (var stage in new[]
                 {
                     "monitor(", "├─ store-api(", "└─ evaluate(", "└─ predict(", "├─ features(", "└─ bias(",
                     "└─ select(", "└─ train(", "└─ clean(", "└─ ingest(",
                 })
            status.Out.ShouldContain(stage);

        var svgFile = Path.Combine(Path.GetTempPath(), $"dag-{Guid.NewGuid():N}.svg");
        try
        {
            var dag = await predicted.RunAsync("dag", "--date", SampleData.RunDate, "--svg", svgFile);
            dag.ExitCode.ShouldBe(ExitCodes.Success, dag.ToString());
            var svg = XDocument.Load(svgFile);
            var nodes = svg.Descendants().Where(e => (string?)e.Attribute("class") == "node").ToList();
            nodes.Count.ShouldBe(10);
            nodes.ShouldAllBe(n => (string?)n.Attribute("data-state") == "complete");
            svg.Descendants().Count(e => (string?)e.Attribute("class") == "edge").ShouldBe(11);
        }
        finally
        {
            File.Delete(svgFile);
        }
    }

    [Fact]
    public async Task A_weekly_run_at_a_later_date_reuses_the_selected_model_and_can_fail_on_drift()
    {
        var later = "2014-09-08";
        // Thresholds of zero make any difference an alert: --fail-on-drift must then say so with its own code.
        var result = await Db.RunAsync("run", "--date", later, "--source", SampleData.Csv, "--fail-on-drift");
        var config = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = Db.ConnectionString,
            ["Monitoring:PsiAlert"] = "0",
            ["Monitoring:KsAlert"] = "0",
        };
        result.Out.ShouldContain($"complete bias(date={SampleData.RunDate}");
        result.Out.ShouldNotContain("ran      train(");
        (await QueryAsync<long>("select count(*) from models.registry")).ShouldBe(1);
        var status = await QueryAsync<string>("select status from monitoring.drift where monitor_date = @d",
            new { d = DateOnly.Parse(later) });
        result.ExitCode.ShouldBe(status == "alert" ? ExitCodes.DriftAlert : ExitCodes.Success, result.ToString());

        var strict = await CliRunner.RunAsync(
            ["monitor", "--date", later, "--source", SampleData.Csv, "--fail-on-drift", "--force"], config);
        strict.ExitCode.ShouldBe(ExitCodes.DriftAlert, strict.ToString());
        (await QueryAsync<string>("select status from monitoring.drift where monitor_date = @d",
            new { d = DateOnly.Parse(later) })).ShouldBe("alert");
    }

    [Fact]
    public async Task Bad_input_on_pipeline_verbs_is_one_line_and_a_usage_error()
    {
        var badDate = await Db.RunAsync("predict", "--date", "2014-13-01");
        badDate.ExitCode.ShouldBe(ExitCodes.UsageError);
        badDate.Error.ShouldContain("'2014-13-01' is not a date: there is no month 13");

        var missing = await Db.RunAsync("ingest", "--date", "2014-01-01", "--source", "/no/such/file.csv");
        missing.ExitCode.ShouldBe(ExitCodes.UsageError);
        missing.ErrorLines.ShouldHaveSingleItem(missing.ToString())
            .ShouldBe("error: --source '/no/such/file.csv': no such file " +
                "(give a portal CSV export, a saved SODA JSON file, or socrata)");
        missing.LastErrorLine.ShouldBe("exit code 2 (UsageError)");

        var badStage = await Db.RunAsync("run", "--until", "everything");
        badStage.ExitCode.ShouldBe(ExitCodes.UsageError);
    }
}
