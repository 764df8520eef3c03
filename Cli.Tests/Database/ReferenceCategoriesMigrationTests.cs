using Dapper;
using Inspections.Database;
using Inspections.Features;
using Inspections.Monitoring;
using Inspections.Tests.Infrastructure;
using Inspections.Tests.Training;
using Inspections.Training;

namespace Inspections.Tests.Database;

/// <summary>
/// Migration 0019 on a database whose reference was stored before it: each reference row takes its categories from
/// the fold cohort row it was scored from, and monitoring reads them from the reference alone.
/// </summary>
public sealed class ReferenceCategoriesMigrationTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly DateOnly AsOf = new(2024, 3, 4);

    // The state before 0019: a stored model whose reference has three rows, one of them without a fold cohort row.
    private const string Before = """
        alter table models.reference_cohort drop column categories;
        alter table models.candidate_cohort_scores drop column categories;
        insert into models.registry (model_id, trained_on, task_parameters, candidate, algorithm, hyper_parameters,
            training_window_start, training_window_end, training_rows, features, fold_metrics, selection_metric,
            selection_value, threshold, threshold_rule, model, model_sha256, run_id)
        values ('m-1', '2024-04-01', '{}', 'logistic', 'logistic', '{}', '2020-01-01', '2024-03-01', 1,
            @features::jsonb, '[]', 'roc_auc', 0.6, 0.5, 'top share', '\x00', '', gen_random_uuid());
        insert into models.candidate_cohort_scores (train_date, candidate, as_of_date, license, score, features)
        values ('2024-04-01', 'logistic', @asOf, @first, 0.25, @numeric);
        insert into models.reference_cohort (model_id, as_of_date, license, score, features)
        values ('m-1', @asOf, @first, 0.25, @numeric), ('m-1', @asOf, @second, 0.5, @numeric),
               ('m-1', @asOf, 'zzz', 0.75, @numeric);
        """;

    [Fact]
    public async Task Each_reference_row_takes_the_categories_of_its_fold_cohort_row_and_monitoring_reads_them()
    {
        var rows = SnapshotGenerator.Generate(licenses: 2, weeks: 1, AsOf)
            .Select(r => r with { LabelFail = null })
            .ToList();
        rows.Count.ShouldBe(2);
        await SnapshotGenerator.InsertAsync(db.DataSource, FeatureRows.FoldCohort, rows);
        var numeric = Enumerable.Range(0, FeatureSet.Numeric.Count).Select(i => (double)i).ToArray();
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(Before, new
        {
            features = System.Text.Json.JsonSerializer.Serialize(FeatureSet.All),
            asOf = AsOf,
            numeric,
            first = rows[0].License,
            second = rows[1].License,
        });

        await connection.ExecuteAsync(Migrator.All.Single(m => m.Version == 19).Sql);

        var stored = (await connection.QueryAsync<(string License, string[]? Categories)>(
            "select license, categories from models.reference_cohort order by license")).ToList();
        stored.Count.ShouldBe(3);
        stored[0].Categories.ShouldBe(rows[0].Categorical);
        stored[1].Categories.ShouldBe(rows[1].Categorical);
        stored[2].Categories.ShouldBeNull(); // no fold cohort row: none, as the join gave it none
        (await connection.QuerySingleAsync<string[]>("select categories from models.candidate_cohort_scores"))
            .ShouldBe(rows[0].Categorical);

        // A reference with a row without categories has no categorical features; one whose rows all have them has.
        var partial = await CohortSample.ReferenceAsync(connection, null, "m-1", FeatureSet.All, default);
        partial.Rows.ShouldBe(3);
        partial.Categorical.ShouldBeEmpty();
        partial.Numeric[FeatureSet.Numeric[2]].ShouldBe([2.0, 2.0, 2.0]);
        await connection.ExecuteAsync("delete from models.reference_cohort where license = 'zzz'");
        var whole = await CohortSample.ReferenceAsync(connection, null, "m-1", FeatureSet.All, default);
        whole.Scores.ShouldBe([0.25, 0.5]);
        whole.Dates.ShouldBe([AsOf, AsOf]);
        foreach (var (column, i) in FeatureSet.Categorical.Select((c, i) => (c, i)))
            whole.Categorical[column].ShouldBe(rows.Select(r => r.Categorical[i]).ToArray());
    }
}
