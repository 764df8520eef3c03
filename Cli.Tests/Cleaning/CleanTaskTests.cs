using Inspections.Hosting;
using Inspections.Tests.Infrastructure;
using Inspections.Tests.Ingest;
using static Inspections.Tests.Ingest.InspectionCsv;

namespace Inspections.Tests.Cleaning;

public sealed class CleanTaskTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    public Task InitializeAsync() => db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    // A handful of rows cannot meet the share bounds set for the City's data.
    private Task<CliResult> CleanAsync(string date, string csv) => db.RunAsync("clean", "--date", date, "--source", csv,
        "--check", "clean.min_fail_share=0", "--check", "clean.max_fail_share=1",
        "--check", "clean.max_unknown_risk_share=1", "--check", "clean.max_excluded_share=1");

    private const string TwoViolations =
        "18. NO EVIDENCE OF RODENT OR INSECT OUTER OPENINGS PROTECTED - Comments: MUST SEAL GAP | " +
        "3. POTENTIALLY HAZARDOUS FOOD MEETS TEMPERATURE REQUIREMENT DURING STORAGE - Comments: COOLER AT 50F | " +
        "34. FLOORS: CONSTRUCTED PER CODE, CLEANED, GOOD REPAIR - Comments:";

    private static readonly Row[] Rows =
    [
        At(1, "2013-01-02", "1001")
            with { Facility = "Grocery store", Risk = "Risk 2 (Medium)", Type = "Canvass Re-Inspection" },
        At(2, "2013-01-05", "1001", "Fail") with { Violations = TwoViolations, Type = "Short Form Complaint" },
        At(3, "2013-01-09", "1002", "Pass w/ Conditions")
            with { Facility = "Daycare (2 - 6 Years)", Risk = "Risk 3 (Low)", Type = "License" },
        At(4, "2013-01-15", "1002", "Out of Business") with { Facility = "Daycare (2 - 6 Years)", Risk = "" },
        At(5, "2013-01-20", "0", "Pass"),
        At(6, "2013-01-21", "01003", "No Entry")
            with { Facility = "TAVERN", Zip = "60614-1234", Type = "SFP/COMPLAINT" },
    ];

    [Fact]
    public async Task Clean_types_and_normalises_inspections_and_leaves_out_licenses_that_are_not_establishments()
    {
        var result = await CleanAsync("2013-01-31", Write(Rows));
        result.ExitCode.ShouldBe(0, result.ToString());

        (await db.ScalarAsync<long>("select count(*) from clean.inspections ")).ShouldBe(5);
        (await db.ScalarAsync<string>(
                "select figures->>'rows_not_establishments' from pipeline.task_metadata where task = 'clean'"))
            .ShouldBe("1");
        (await db.ScalarAsync<string>(
                "select facility_group || '/' || risk_level || '/' || inspection_type || '/' || is_reinspection " +
                "|| '/' || outcome from clean.inspections where inspection_id = 1"))
            .ShouldBe("grocery/medium/canvass/true/pass");
        (await db.ScalarAsync<string>(
                "select inspection_type || '/' || is_complaint || '/' || outcome from clean.inspections " +
                "where inspection_id = 2"))
            .ShouldBe("complaint/true/fail");
        (await db.ScalarAsync<string>(
                "select facility_group || '/' || risk_level || '/' || outcome || '/' || passed_with_conditions " +
                "from clean.inspections where inspection_id = 3"))
            .ShouldBe("daycare/low/pass/true");
        (await db.ScalarAsync<string>(
                "select risk_level || '/' || outcome || '/' || closes_business from clean.inspections " +
                "where inspection_id = 4"))
            .ShouldBe("unknown/none/true");
        (await db.ScalarAsync<string>(
                "select license || '/' || facility_group || '/' || zip || '/' || inspection_type " +
                "from clean.inspections where inspection_id = 6"))
            .ShouldBe("1003/liquor-tavern/60614/food-poisoning");
    }

    [Fact]
    public async Task Violations_are_split_numbered_and_given_their_severity()
    {
        (await CleanAsync("2013-01-31", Write(Rows))).ExitCode.ShouldBe(0);

        (await db.ScalarAsync<string>(
                "select string_agg(number || ':' || severity || ':' || coalesce(comments, '-'), ' ' " +
                "order by position) from clean.violations where inspection_id = 2"))
            .ShouldBe("18:serious:MUST SEAL GAP 3:critical:COOLER AT 50F 34:minor:-");
        (await db.ScalarAsync<string>("select title from clean.violations where inspection_id = 2 and position = 2"))
            .ShouldBe("POTENTIALLY HAZARDOUS FOOD MEETS TEMPERATURE REQUIREMENT DURING STORAGE");
        (await db.ScalarAsync<string>(
                "select concat_ws('/', violations_total, violations_critical, violations_serious, violations_minor, " +
                "has_violation_text) from clean.inspections where inspection_id = 2"))
            .ShouldBe("3/1/1/1/t");
        (await db.ScalarAsync<bool>("select has_violation_text from clean.inspections where inspection_id = 1"))
            .ShouldBeFalse();
    }

    [Fact]
    public async Task An_earlier_date_after_a_later_one_cleans_nothing_again_and_keeps_the_later_rows()
    {
        var export = Write(Rows);
        (await CleanAsync("2013-01-31", export)).ExitCode.ShouldBe(0);
        var before = await db.ScalarAsync<string>(
            "select md5(string_agg(c::text, '|' order by inspection_id)) from clean.inspections c");

        var earlier = await CleanAsync("2013-01-10", export);

        earlier.ExitCode.ShouldBe(0, earlier.ToString());
        (await db.ScalarAsync<string>(
            "select md5(string_agg(c::text, '|' order by inspection_id)) from clean.inspections c")).ShouldBe(before);
        (await db.ScalarAsync<long>("select count(*) from clean.inspections")).ShouldBe(5);
        var figures = "select figures->>'{0}' from pipeline.task_metadata " +
            "where task = 'clean' and parameters->>'date' = '2013-01-10'";
        (await db.ScalarAsync<string>(string.Format(figures, "rows_cleaned"))).ShouldBe("0");
        (await db.ScalarAsync<string>(string.Format(figures, "inspections_up_to_date"))).ShouldBe("3");
    }

    [Fact]
    public async Task A_later_date_cleans_new_and_changed_records_and_keeps_nothing_after_the_run_date()
    {
        var export = Write(Rows);
        (await CleanAsync("2013-01-10", export)).ExitCode.ShouldBe(0);
        (await db.ScalarAsync<long>("select count(*) from clean.inspections")).ShouldBe(3);

        var corrected = Write([.. Rows.Select(r => r.Id == 3 ? r with { Result = "Fail" } : r)], export);
        var later = await CleanAsync("2013-01-31", corrected);

        later.ExitCode.ShouldBe(0, later.ToString());
        (await db.ScalarAsync<string>("select outcome from clean.inspections where inspection_id = 3"))
            .ShouldBe("fail");
        (await db.ScalarAsync<long>("select count(*) from clean.inspections")).ShouldBe(5);
        (await db.ScalarAsync<string>(
                "select figures->>'rows_removed' from pipeline.task_metadata where task = 'clean' " +
                "and parameters->>'date' = '2013-01-31'"))
            .ShouldBe("1");
    }

    [Fact]
    public async Task A_fail_share_outside_its_bounds_fails_the_check_and_writes_nothing()
    {
        var allFail = Write(Rows.Select(r => r with { Result = "Fail" }));
        var result = await db.RunAsync("clean", "--date", "2013-01-31", "--source", allFail);

        result.ExitCode.ShouldBe(ExitCodes.CheckFailed, result.ToString());
        result.Error.ShouldContain("max_fail_share");
        (await db.ScalarAsync<long>("select count(*) from clean.inspections")).ShouldBe(0);
    }
}
