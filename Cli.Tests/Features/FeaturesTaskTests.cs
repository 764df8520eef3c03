using Inspections.Features;
using Inspections.Tests.Infrastructure;
using static Inspections.Tests.Ingest.InspectionCsv;

namespace Inspections.Tests.Features;

public sealed class FeaturesTaskTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    public Task InitializeAsync() => db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private const string Critical = "3. POTENTIALLY HAZARDOUS FOOD MEETS TEMPERATURE REQUIREMENT - Comments: 50F | " +
                                    "18. NO EVIDENCE OF RODENTS - Comments: DROPPINGS";

    // 1001: pass, fail with violations, then inspected on the as-of date 2013-02-01 itself (a pass), then fails in
    // March. 1002: one pass, then nothing until a pass in late April. 1003: out of business in January: closed.
    private static readonly Row[] History =
    [
        At(1, "2012-12-03", "1001"),
        At(2, "2013-01-05", "1001", "Fail") with { Violations = Critical, Type = "Complaint" },
        At(3, "2013-02-01", "1001") with { Type = "Canvass Re-Inspection" }, At(4, "2013-03-11", "1001", "Fail"),
        At(5, "2012-12-10", "1002", "Pass w/ Conditions") with { Zip = "60601" },
        At(8, "2013-04-20", "1002") with { Zip = "60601" },
        At(6, "2012-12-12", "1003"), At(7, "2013-01-20", "1003", "Out of Business"),
    ];

    private Task<CliResult> FeaturesAsync(string date, string csv, int rereadDays = 14) => CliRunner.RunAsync(
        [
            "features", "--date", date, "--source", csv,
            "--check", "clean.min_fail_share=0", "--check", "clean.max_fail_share=1",
        ],
        new()
        {
            ["ConnectionStrings:Postgres"] = db.ConnectionString, ["Features:FirstAsOf"] = "2013-01-01",
            ["Ingest:RereadDays"] = rereadDays.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

    [Fact]
    public async Task A_snapshot_uses_only_inspections_before_its_as_of_date_and_labels_from_the_window_after()
    {
        var result = await FeaturesAsync("2013-05-01", Write(History));
        result.ExitCode.ShouldBe(0, result.ToString());

        var row = "select concat_ws('/', inspections_before, fails_before, fail_share_before, last_result_fail, " +
                  "violations_at_last, critical_at_last, serious_at_last, complaints_before, reinspections_before, " +
                  "days_since_last_inspection, days_since_first_inspection, label_fail, label_inspection_date, " +
                  "label_known_on) from features.snapshots where license = '1001' and as_of_date = '{0}'";
        // Inspection 3, on the as-of date, is the label, not a feature.
        (await db.ScalarAsync<string>(string.Format(row, "2013-02-01")))
            .ShouldBe("2/1/0.5/1/2/1/1/1/0/27/60/f/2013-02-01/2013-04-02");
        (await db.ScalarAsync<string>(string.Format(row, "2013-03-01")))
            .ShouldBe("3/1/0.33333334/0/0/0/0/1/1/28/88/t/2013-03-11/2013-04-30");
        // No pass/fail inspection within 60 days: a closed window without a label is not stored; nor is a window
        // still open on the run date (1002's April pass is in it, but the window closes on 2013-05-31).
        (await db.ScalarAsync<long>(
            "select count(*) from features.snapshots where license = '1002' and as_of_date = '2013-01-01'"))
            .ShouldBe(0);
        (await db.ScalarAsync<long>("select count(*) from features.snapshots where as_of_date + 60 > '2013-05-01'"))
            .ShouldBe(0);
    }

    [Fact]
    public async Task A_snapshot_is_the_same_whichever_later_date_computes_it_and_an_earlier_date_leaves_it_alone()
    {
        var export = Write(History);
        (await FeaturesAsync("2013-06-03", export)).ExitCode.ShouldBe(0);
        const string snapshots =
            "select count(*) || ':' || md5(string_agg(s::text, '|' order by as_of_date, license)) " +
            "from features.snapshots s";
        var later = await db.ScalarAsync<string>(snapshots);
        later.ShouldStartWith("5:"); // 1001 on 2013-01-01, 02-01 and 03-01; 1002 on 2013-03-01 and 04-01

        (await FeaturesAsync("2013-05-01", export)).ExitCode.ShouldBe(0);
        (await db.ScalarAsync<string>(snapshots)).ShouldBe(later);
        (await db.ScalarAsync<string>("select figures->>'snapshot_rows' from pipeline.task_metadata " +
                                      "where task = 'features' and parameters->>'date' = '2013-05-01'"))
            .ShouldBe("4"); // all but 2013-04-01's, whose window was still open
    }

    [Fact]
    public async Task A_date_with_unchanged_records_is_skipped_and_a_late_record_recomputes_the_dates_it_reaches()
    {
        var export = Write(History);
        (await FeaturesAsync("2013-06-03", export)).ExitCode.ShouldBe(0);
        const string figures = "select figures->>'snapshot_dates' || '/' || (figures->>'snapshot_dates_computed') " +
                               "|| '/' || (figures->>'snapshot_rows') " +
                               "from pipeline.task_metadata where task = 'features' and parameters->>'date' = '{0}'";
        (await db.ScalarAsync<string>(string.Format(figures, "2013-06-03"))).ShouldBe("4/4/5");

        // A week later, nothing new before any closed window: the four dates are read, none is computed again.
        (await FeaturesAsync("2013-06-10", export)).ExitCode.ShouldBe(0);
        (await db.ScalarAsync<string>(string.Format(figures, "2013-06-10"))).ShouldBe("4/0/5");

        // A late record dated 2013-03-20 reaches the snapshots whose features or label window include it: as-of
        // 2013-02-01 (window to 04-02), 03-01 and 04-01; not 2013-01-01's, whose window closed on 03-02. (Ingest
        // re-reads the last Ingest:RereadDays of the source: a record this late is read by a longer re-read.)
        Write([.. History, At(9, "2013-03-20", "1002", "Fail") with { Zip = "60601" }], export);
        (await FeaturesAsync("2013-06-17", export, rereadDays: 120)).ExitCode.ShouldBe(0);
        (await db.ScalarAsync<string>(string.Format(figures, "2013-06-17"))).ShouldStartWith("4/3/");
        const string snapshots =
            "select count(*) || ':' || md5(string_agg(s::text, '|' order by as_of_date, license)) " +
            "from features.snapshots s";
        var incremental = await db.ScalarAsync<string>(snapshots);

        // What a fresh database gives the same records.
        await db.ResetAsync();
        (await FeaturesAsync("2013-06-17", export)).ExitCode.ShouldBe(0);
        (await db.ScalarAsync<string>(string.Format(figures, "2013-06-17"))).ShouldStartWith("4/4/");
        (await db.ScalarAsync<string>(snapshots)).ShouldBe(incremental);
    }

    [Fact]
    public async Task The_cohort_holds_the_active_establishments_of_the_run_date_with_the_same_features()
    {
        // The cohort of 2013-03-01, then the snapshots of 2013-03-01, stored once their window closed (2013-04-30).
        var export = Write(History);
        (await FeaturesAsync("2013-03-01", export)).ExitCode.ShouldBe(0);
        (await FeaturesAsync("2013-05-01", export)).ExitCode.ShouldBe(0);

        (await db.ScalarAsync<string>(
            "select string_agg(license || ':' || area || ':' || name || ':' || address, ',' order by license) " +
            "from features.cohort where as_of_date = '2013-03-01'"))
            .ShouldBe("1001:north:CAFE:1 N STATE ST,1002:central:CAFE:1 N STATE ST");
        (await db.ScalarAsync<long>("""
            select count(*) from features.cohort c join features.snapshots s using (as_of_date, license)
            where (c.inspections_before, c.fails_before, c.last_result_fail, c.days_since_last_inspection)
                = (s.inspections_before, s.fails_before, s.last_result_fail, s.days_since_last_inspection)
            """)).ShouldBe(2);
    }

    [Fact]
    public async Task The_leakage_check_catches_a_feature_that_counts_inspections_on_the_as_of_date()
    {
        (await FeaturesAsync("2013-04-15", Write(History))).ExitCode.ShouldBe(0);
        await using var connection = await db.DataSource.OpenConnectionAsync();
        (await LeakingVariant.CheckAsync(connection, new DateOnly(2013, 4, 15))).Mismatches.ShouldBeEmpty();

        // A leaking definition: inspections_before counting the as-of date itself (<= instead of <).
        await using (var leak = connection.CreateCommand())
        {
            leak.CommandText = """
                update features.snapshots s set inspections_before =
                    (select count(*) from clean.inspections i
                     where i.license = s.license and i.inspection_date <= s.as_of_date)
                """;
            await leak.ExecuteNonQueryAsync();
        }

        var leaks = await LeakingVariant.CheckAsync(connection, new DateOnly(2013, 4, 15));
        leaks.Mismatches.ShouldContain("snapshots 1001@2013-02-01: inspections_before stored 3, recomputed 2");
    }

    [Fact]
    public void The_schedule_runs_monthly_from_enough_history_up_to_the_run_date()
    {
        var settings = new FeatureSettings { SnapshotEvery = "month", MinHistoryDays = 180, FirstAsOf = "" };
        var dates = FeaturesTask.Schedule(settings, new DateOnly(2010, 1, 4), new DateOnly(2010, 10, 1));
        dates.ShouldBe([new DateOnly(2010, 8, 1), new DateOnly(2010, 9, 1), new DateOnly(2010, 10, 1)]);
    }

    [RealDataFact]
    public async Task Features_over_the_real_data_pass_the_leakage_check()
    {
        var result = await db.RunAsync("features", "--date", "2012-07-01", "--source", SharedData.ChicagoCsv);

        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<bool>("select passed from pipeline.check_results where check_name = 'max_leaking_pairs'"))
            .ShouldBeTrue();
        (await db.ScalarAsync<string>("select locals->>'leakage_pairs_checked' from pipeline.check_results " +
                                      "where check_name = 'max_leaking_pairs'"))
            // The draw is deterministic: 100 pairs at random, 98 more inspected in the week from their as-of date.
            .ShouldBe("198");
        (await db.ScalarAsync<long>("select count(*) from features.cohort")).ShouldBeGreaterThan(1000);
    }
}
