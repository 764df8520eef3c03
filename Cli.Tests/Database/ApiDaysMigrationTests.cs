using Dapper;
using Inspections.Database;
using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Database;

/// <summary>Migration 0006 on a database that already served days: api.days is filled from the stored rows.</summary>
public sealed class ApiDaysMigrationTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    // The state before 0006: rows of two days, and the store-api run that completed the first.
    private const string Before = """
        drop table api.days;
        insert into api.predictions (prediction_date, license, name, address, facility_group, risk_level, score, label,
                                     rank, threshold, model_id)
        values ('2024-05-08', '1', 'A', 'a', 'restaurant', 'Risk 1 (High)', 0.9, 'fail', 1, 0.5, 'm-1'),
               ('2024-05-08', '2', 'B', 'b', 'restaurant', 'Risk 1 (High)', 0.6, 'fail', 2, 0.5, 'm-1'),
               ('2024-05-08', '3', 'C', 'c', 'restaurant', 'Risk 1 (High)', 0.1, 'pass', 3, 0.5, 'm-1'),
               ('2024-05-01', '1', 'A', 'a', 'restaurant', 'Risk 1 (High)', 0.2, 'pass', 1, 0.5, 'm-0');
        insert into pipeline.task_runs (run_id, task, task_key, parameters, state, started_at, finished_at)
        values (@run, 'store-api', 'store-api(date=2024-05-08)', '{"date": "2024-05-08", "source": "socrata"}',
                'succeeded', @finished, @finished);
        insert into pipeline.task_metadata (run_id, task, task_key, parameters, started_at, finished_at, duration_ms,
                                            rows_written, host, os_user, product_version, product_commit, figures)
        values (@run, 'store-api', 'store-api(date=2024-05-08)', '{"date": "2024-05-08", "source": "socrata"}',
                @finished, @finished, 1, 3, 'h', 'u', '1', 'c', '{}');
        """;

    private sealed record Day(
        DateOnly PredictionDate, string ModelId, int Establishments, int Fails, DateTime StoredAt, Guid RunId);

    [Fact]
    public async Task Api_days_is_backfilled_with_each_stored_day_s_counts_and_its_store_api_run()
    {
        var run = Guid.NewGuid();
        var finished = new DateTime(2024, 5, 8, 6, 0, 0, DateTimeKind.Utc);
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(Before, new { run, finished });

        await connection.ExecuteAsync(Migrator.All.Single(m => m.Version == 6).Sql);

        var days = (await connection.QueryAsync<Day>("""
            select prediction_date as PredictionDate, model_id as ModelId, establishments as Establishments,
                   fails as Fails, stored_at as StoredAt, run_id as RunId
            from api.days order by prediction_date desc
            """)).ToList();
        days.Count.ShouldBe(2);
        days[0].ShouldBe(new Day(new DateOnly(2024, 5, 8), "m-1", 3, 2, finished, run));
        (days[1].PredictionDate, days[1].ModelId, days[1].Establishments, days[1].Fails)
            .ShouldBe((new DateOnly(2024, 5, 1), "m-0", 1, 0));
        days[1].RunId.ShouldNotBe(Guid.Empty); // no run on record: a fresh id
    }
}
