using Inspections.Features;
using Dapper;
using Inspections.Hosting;
using Inspections.Pipeline;
using Inspections.Tests.Infrastructure;
using Inspections.Training;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inspections.Tests.Training;

public sealed class BiasTaskTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    /// <summary>
    /// Stores a model trained on <paramref name="date"/> whose validation scores are <paramref name="rows"/>, with
    /// their snapshots.
    /// </summary>
    private async Task StoreModelAsync(DateOnly date, IReadOnlyList<AuditRow> rows, double threshold)
    {
        var modelId = $"{date:yyyy-MM-dd}-test";
        var snapshots = rows.Select((r, i) => new FeatureRow(
                date.AddDays(-30),
                $"{900 + i}",
                new float[FeatureSet.Numeric.Count],
                FeatureSet.Categorical
                    .Select(c => new AuditRow(0, false, r.FacilityGroup, r.RiskLevel, r.Area).Attribute(c))
                    .ToArray(),
                r.LabelFail))
            .ToList();
        await SnapshotGenerator.InsertAsync(db.DataSource, FeatureRows.Snapshots, snapshots);
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            insert into models.registry (model_id, trained_on, task_parameters, candidate, algorithm, hyper_parameters,
                training_window_start, training_window_end, training_rows, features, fold_metrics, selection_metric,
                selection_value, threshold, threshold_rule, model, model_sha256, run_id)
            values (@modelId, @date, '{}', 'baseline-risk', 'baseline-risk', '{}', @date, @date, 0, '[]', '[]',
                'precision_at_10', 0, @threshold, 'test', '\x', '', gen_random_uuid())
            """, new { modelId, date, threshold });
        for (var i = 0; i < rows.Count; i++)
            await connection.ExecuteAsync(
                "insert into models.validation_scores (model_id, as_of_date, license, score, label_fail) " +
                "values (@modelId, @asOf, @license, @score, @label)",
                new
                {
                    modelId,
                    asOf = snapshots[i].AsOfDate,
                    license = snapshots[i].License,
                    score = rows[i].Score,
                    label = rows[i].LabelFail,
                });
    }

    private async Task<RunReport> RunBiasAsync(DateOnly date)
    {
        var settings = AppSettings.Load(
            new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString });
        var terminal = new Terminal(new StringWriter(), new StringWriter(), IsInteractive: false);
        return await new TaskRunner(db.DataSource, settings, CheckOverrides.None, terminal, NullLoggerFactory.Instance)
            .RunAsync(new BiasTask(date, "socrata", []), force: false, CancellationToken.None);
    }

    [Fact]
    public async Task Bias_stores_the_hand_computed_rates_of_each_group()
    {
        var date = new DateOnly(2014, 3, 3);
        await StoreModelAsync(date, BiasAuditTests.Rows, threshold: 0.5);

        var report = await RunBiasAsync(date);

        report.IsGreen.ShouldBeTrue();
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var b = await connection
            .QuerySingleAsync<(int Size, double? Tpr, double? Fpr, double? FdrDisparity, bool IsReference)>(
                "select group_size, tpr, fpr, fdr_disparity, is_reference from models.bias_audit " +
                "where model_id = '2014-03-03-test' and attribute = 'facility_group' and group_value = 'b'");
        b.Size.ShouldBe(4);
        b.Tpr.ShouldBeNull();
        b.Fpr!.Value.ShouldBe(0.5, 1e-12);
        b.FdrDisparity!.Value.ShouldBe(3.0, 1e-12);
        b.IsReference.ShouldBeFalse();
        (await db.ScalarAsync<long>("select count(*) from models.bias_audit where model_id = '2014-03-03-test'"))
            .ShouldBe(6);
    }

    [Fact]
    public async Task Bias_fails_its_check_and_stores_nothing_when_an_attribute_has_a_single_group()
    {
        var date = new DateOnly(2014, 4, 7);
        var oneFacilityGroup = BiasAuditTests.Rows.Select(r => r with { FacilityGroup = "restaurant" }).ToList();
        await StoreModelAsync(date, oneFacilityGroup, threshold: 0.5);

        var report = await RunBiasAsync(date);

        report.ExitCode.ShouldBe(ExitCodes.CheckFailed);
        var failed = report.Outcomes.Single().Checks.Where(c => !c.Passed).ShouldHaveSingleItem();
        failed.Name.ShouldBe("min_groups_per_attribute");
        failed.OffendingKeys.ShouldBe(["facility_group: 1 group(s)"]);
        (await db.ScalarAsync<long>("select count(*) from models.bias_audit where model_id = '2014-04-07-test'"))
            .ShouldBe(0);
    }
}
