using Inspections.Features;
using Dapper;
using Inspections.Hosting;
using Inspections.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;
using Inspections.Training;

namespace Inspections.Tests.Training;

public sealed class TrainCommandTests(TrainedDatabase trained) : IClassFixture<TrainedDatabase>
{
    private static readonly string Date = TrainedDatabase.RunDate.ToString("yyyy-MM-dd");

    [Fact]
    public async Task Train_selects_a_model_that_beats_the_risk_baseline_on_synthetic_snapshots()
    {
        trained.Train.ExitCode.ShouldBe(ExitCodes.Success, trained.Train.ToString());
        await using var connection = await trained.Db.DataSource.OpenConnectionAsync();
        var results = await CandidateFolds.ReadAsync(connection, null, TrainedDatabase.RunDate, default);
        var model = (await ModelRegistry.TrainedOnAsync(connection, null, TrainedDatabase.RunDate, default))
            .ShouldNotBeNull();

        model.Algorithm.ShouldNotBe(Candidate.Baseline);
        double Mean(string candidate) => results.Where(r => r.Candidate == candidate).Average(r => r.RocAuc!.Value);
        Mean(model.Candidate).ShouldBeGreaterThan(Mean(Candidate.Baseline));
        results.Where(r => r.Candidate != Candidate.Baseline).ShouldAllBe(r => r.RocAuc > 0.6);
        results.GroupBy(r => r.Candidate).ShouldAllBe(g => g.Count() == 3);
        model.ModelId.ShouldStartWith($"{Date}-{model.Algorithm}-");
    }

    [Fact]
    public async Task Train_prints_the_candidates_with_the_selected_one_marked()
    {
        var model = await trained.Db.ScalarAsync<string>("select candidate from models.registry");
        trained.Train.Out.ShouldContain("roc_auc   p@5    p@10   p@20   r@10   lift10  brier    days");
        trained.Train.Out.ShouldContain($"* {model}");
        trained.Train.Out.ShouldContain($"  {Candidate.Baseline}");
        trained.Train.Out.ShouldContain("DAG green: 3 ran");
    }

    [Fact]
    public async Task Train_again_with_the_same_date_runs_nothing_and_prints_the_same_table()
    {
        var again = await trained.TrainAsync();

        again.ExitCode.ShouldBe(ExitCodes.Success, again.ToString());
        again.Out.ShouldContain("DAG green: everything already complete");
        var table = trained.Train.Out[trained.Train.Out.IndexOf("Candidates,", StringComparison.Ordinal)..];
        again.Out.ShouldEndWith(table);
    }

    [Fact]
    public async Task The_registry_keeps_the_features_the_threshold_rule_and_the_out_of_sample_validation_scores()
    {
        await using var connection = await trained.Db.DataSource.OpenConnectionAsync();
        var row = await connection
            .QuerySingleAsync<(string Features, string Rule, double Threshold, string Parameters, int Folds)>(
                "select features::text, threshold_rule, threshold, task_parameters::text, " +
                "jsonb_array_length(fold_metrics) from models.registry");
        System.Text.Json.JsonSerializer.Deserialize<string[]>(row.Features).ShouldBe(FeatureSet.All);
        row.Rule.ShouldContain("top 10%");
        row.Parameters.ShouldContain($"\"date\": \"{Date}\"");
        row.Folds.ShouldBe(3);

        // 10% of the run date's cohort, as the stored model scores it, is flagged at the threshold, give or take ties.
        row.Rule.ShouldContain("training date's cohort");
        var cohort =
            await FeatureRows.ReadAsync(connection, null, FeatureRows.Cohort, TrainedDatabase.RunDate, default);
        cohort.Count.ShouldBe(200);
        var stored = (await ModelRegistry.TrainedOnAsync(connection, null, TrainedDatabase.RunDate, default))
            .ShouldNotBeNull();
        var scores = stored.Scorer().Score(cohort);
        ((double)scores.Count(s => s >= row.Threshold) / scores.Length).ShouldBeInRange(0.10, 0.12);
    }

    [Fact]
    public async Task A_model_loaded_from_the_registry_scores_cohort_rows_as_the_model_fitted_in_process()
    {
        await using var connection = await trained.Db.DataSource.OpenConnectionAsync();
        var stored = (await ModelRegistry.TrainedOnAsync(connection, null, TrainedDatabase.RunDate, default))
            .ShouldNotBeNull();

        // The refit's training rows, fitted again here: the same candidate on the same rows.
        var training =
            await FeatureRows.ReadLabelledAsync(connection, null, TrainedDatabase.RunDate, 28, from: null, default);
        var settings = TrainingSettings.From(AppSettings.Load(trained.Config));
        var candidate = Candidate.Grid(settings).Single(c => c.Name == stored.Candidate);
        var original = ModelScorer.Fit(candidate, training, settings.RecencyHalfLifeMonths);

        // Rows read back from features.cohort (no labels), as the predict task will.
        var asOf = TrainedDatabase.FirstAsOf.AddDays(7 * 23);
        await SnapshotGenerator.InsertAsync(trained.Db.DataSource, FeatureRows.Cohort,
            trained.Rows.Where(r => r.AsOfDate == asOf).Select(r => r with { LabelFail = null }));
        var cohort = await FeatureRows.ReadAsync(connection, null, FeatureRows.Cohort, asOf, default);
        cohort.Count.ShouldBe(200);
        cohort.ShouldAllBe(r => r.LabelFail == null);

        var loaded = stored.Scorer().Score(cohort);
        var expected = original.Score(cohort);
        loaded.Length.ShouldBe(200);
        loaded.Distinct().Count().ShouldBeGreaterThan(20);
        loaded.ShouldBe(expected);
    }

    [Fact]
    public async Task Same_rows_and_settings_give_identical_fold_metrics_and_selection_in_process_and_in_the_pipeline()
    {
        var settings = TrainingSettings.From(AppSettings.Load(trained.Config));
        // The same labelled rows the pipeline read, handed over in another order: the folds sort them.
        var labelled = trained.Rows
            .Where(r => r.LabelFail is not null && r.AsOfDate.AddDays(28) <= TrainedDatabase.RunDate)
            .Reverse()
            .ToList();
        var grid = Candidate.Grid(settings);
        var inProcess = TemporalValidation.Evaluate(grid, TemporalValidation.Folds(labelled, settings),
            settings.RecencyHalfLifeMonths).Metrics;

        await using var connection = await trained.Db.DataSource.OpenConnectionAsync();
        var stored = await CandidateFolds.ReadAsync(connection, null, TrainedDatabase.RunDate, default);
        stored.Select(r =>
                (r.Candidate, r.Fold, r.TrainRows, r.PrecisionAt5, r.PrecisionAt10, r.PrecisionAt20, r.RocAuc, r.Brier))
            .ShouldBe(inProcess.OrderBy(r => r.Candidate, StringComparer.Ordinal).ThenBy(r => r.Fold)
                .Select(r => (r.Candidate, r.Fold, r.TrainRows, r.PrecisionAt5, r.PrecisionAt10, r.PrecisionAt20,
                    r.RocAuc, r.Brier)));

        var selected = await trained.Db.ScalarAsync<string>("select candidate from models.registry");
        TemporalValidation.Rank(inProcess, grid.Select(c => c.Name).ToList(), settings.SelectionMetric)[0].Candidate
            .ShouldBe(selected);
    }

    [Fact]
    public async Task The_reference_cohort_holds_each_fold_dates_whole_cohort_scored_by_that_folds_own_model()
    {
        var settings = TrainingSettings.From(AppSettings.Load(trained.Config));
        var labelled = trained.Rows
            .Where(r => r.LabelFail is not null && r.AsOfDate.AddDays(28) <= TrainedDatabase.RunDate)
            .ToList();
        var folds = TemporalValidation.Folds(labelled, settings);
        await using var connection = await trained.Db.DataSource.OpenConnectionAsync();
        var selected = await connection.QuerySingleAsync<(string ModelId, string Candidate)>(
            "select model_id as ModelId, candidate as Candidate from models.registry");
        var stored = (await connection.QueryAsync<(DateTime AsOf, string License, double Score, double[] Features,
            string[] Categories)>(
            "select as_of_date, license, score, features, categories from models.reference_cohort " +
            "where model_id = @id order by as_of_date, license",
            new { id = selected.ModelId })).ToList();

        // Every fold date, every licence of its cohort (200), labelled in the window or not.
        var foldDates = folds.SelectMany(f => f.Valid.Select(r => r.AsOfDate)).Distinct().Order().ToList();
        foldDates.Count.ShouldBe(6);
        stored.Select(s => DateOnly.FromDateTime(s.AsOf)).Distinct().ShouldBe(foldDates);
        stored.Count.ShouldBe(6 * 200);

        // Recomputed here: each fold's model fitted on what was known before the fold scores its dates' cohorts as
        // stored.
        var candidate = Candidate.Grid(settings).Single(c => c.Name == selected.Candidate);
        foreach (var fold in folds)
        {
            var model = ModelScorer.Fit(candidate, fold.Train, settings.RecencyHalfLifeMonths);
            foreach (var date in fold.Valid.Select(r => r.AsOfDate).Distinct())
            {
                var cohort = await FeatureRows.ReadAsync(connection, null, FeatureRows.FoldCohort, date, default);
                var kept = stored.Where(s => DateOnly.FromDateTime(s.AsOf) == date).ToList();
                kept.Select(s => s.License).ShouldBe(cohort.Select(r => r.License));
                kept.Select(s => s.Score).ShouldBe(model.Score(cohort), $"fold {fold.Number}, {date}");
                kept[0].Features.ShouldBe(cohort[0].Numeric.Select(v => (double)v).ToArray());
                kept.Select(s => s.Categories).ShouldBe(cohort.Select(r => r.Categorical));
            }
        }
    }

    [Fact]
    public async Task The_validation_scores_are_the_latest_fold_models_scores_kept_by_train_for_every_candidate()
    {
        var settings = TrainingSettings.From(AppSettings.Load(trained.Config));
        var labelled = trained.Rows
            .Where(r => r.LabelFail is not null && r.AsOfDate.AddDays(28) <= TrainedDatabase.RunDate)
            .ToList();
        var latest = TemporalValidation.Folds(labelled, settings)[^1];
        var grid = Candidate.Grid(settings);

        await using var connection = await trained.Db.DataSource.OpenConnectionAsync();
        foreach (var candidate in grid)
        {
            // Fitted here, independently of the pipeline: train's kept scores must be this model's, row for row.
            var expected = ModelScorer.Fit(candidate, latest.Train, settings.RecencyHalfLifeMonths).Score(latest.Valid);
            var kept = await CandidateFolds.ReadLatestFoldScoresAsync(connection, null, TrainedDatabase.RunDate,
                candidate.Name, latest.Valid, default);
            kept.ShouldBe(expected, candidate.Name);
        }

        var selected = await connection.QuerySingleAsync<(string ModelId, string Candidate)>(
            "select model_id as ModelId, candidate as Candidate from models.registry");
        var stored = (await connection.QueryAsync<(DateTime AsOf, string License, double Score)>(
            "select as_of_date, license, score from models.validation_scores where model_id = @id " +
            "order by as_of_date, license",
            new { id = selected.ModelId })).ToList();
        stored.Select(s => s.Score).ShouldBe(
            await CandidateFolds.ReadLatestFoldScoresAsync(connection, null, TrainedDatabase.RunDate,
                selected.Candidate, latest.Valid, default));
        stored.Select(s => (DateOnly.FromDateTime(s.AsOf), s.License))
            .ShouldBe(latest.Valid.Select(r => (r.AsOfDate, r.License)));
    }

    [Fact]
    public async Task Training_reads_only_the_snapshots_of_the_history_window_whose_label_is_known()
    {
        var from = TrainedDatabase.FirstAsOf.AddDays(7 * 10);
        await using var connection = await trained.Db.DataSource.OpenConnectionAsync();

        var windowed =
            await FeatureRows.ReadLabelledAsync(connection, null, TrainedDatabase.RunDate, 28, from, default);
        var whole =
            await FeatureRows.ReadLabelledAsync(connection, null, TrainedDatabase.RunDate, 28, from: null, default);

        var expected = trained.Rows
            .Where(r => r.LabelFail is not null && r.AsOfDate.AddDays(28) <= TrainedDatabase.RunDate)
            .ToList();
        whole.Select(r => (r.AsOfDate, r.License)).ShouldBe(expected.Select(r => (r.AsOfDate, r.License)).Order());
        windowed.Select(r => (r.AsOfDate, r.License))
            .ShouldBe(expected.Where(r => r.AsOfDate >= from).Select(r => (r.AsOfDate, r.License)).Order());
        windowed.Count.ShouldBeLessThan(whole.Count);
        windowed.Min(r => r.AsOfDate).ShouldBe(from);
    }

    [Theory]
    [InlineData("60", "2019-12-30")]
    [InlineData("1", "2024-11-30")]
    [InlineData("0", null)]
    public void The_history_window_counts_back_whole_months_from_the_run_date(string months, string? start)
    {
        var settings = TrainingSettings.From(
            AppSettings.Load(new Dictionary<string, string?> { ["Training:HistoryMonths"] = months }));
        settings.HistoryStart(new DateOnly(2024, 12, 30)).ShouldBe(start is null
            ? null
            : DateOnly.Parse(start, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void A_negative_history_window_is_refused()
    {
        Should.Throw<InvalidOperationException>(() => TrainingSettings.From(
                AppSettings.Load(new Dictionary<string, string?> { ["Training:HistoryMonths"] = "-1" })))
            .Message.ShouldContain("Training:HistoryMonths");
    }

    [Fact]
    public async Task Select_fails_its_check_and_commits_nothing_when_the_lift_over_the_baseline_is_too_small()
    {
        // The select instance with this override is a new one (its key carries the override); train is already
        // complete.
        var settings = AppSettings.Load(trained.Config);
        var output = new StringWriter();
        var errors = new StringWriter();
        var runner = new TaskRunner(trained.Db.DataSource, settings,
            CheckOverrides.Parse(["select.min_lift_over_baseline=0.99"], settings.Configuration),
            new Terminal(output, errors, IsInteractive: false), NullLoggerFactory.Instance);
        var report = await runner.RunAsync(new SelectTask(TrainedDatabase.RunDate, TrainedDatabase.Source,
            [new TrainTask(TrainedDatabase.RunDate, TrainedDatabase.Source, [])]), force: false, default);

        report.ExitCode.ShouldBe(ExitCodes.CheckFailed, output.ToString() + errors);
        report.Outcomes[0].State.ShouldBe(TaskState.AlreadyComplete);
        report.Outcomes[1].Checks.Single(c => !c.Passed).Name.ShouldBe("min_lift_over_baseline");
        errors.ToString().ShouldContain("must beat the risk-category baseline on mean roc_auc");
        (await trained.Db.ScalarAsync<long>(
                "select count(*) from pipeline.task_metadata " +
                "where task_key like 'select(%check.min_lift_over_baseline%'"))
            .ShouldBe(0);
        (await trained.Db.ScalarAsync<long>(
                "select count(*) from pipeline.task_runs " +
                "where state = 'failed' and task_key like 'select(%check.min_lift_over_baseline%'"))
            .ShouldBe(1);
        (await trained.Db.ScalarAsync<long>("select count(*) from models.registry")).ShouldBe(1);
    }
}
