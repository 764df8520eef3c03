using Inspections.Features;
using Inspections.Tests.Infrastructure;
using static Inspections.Tests.Ingest.InspectionCsv;

namespace Inspections.Tests.Features;

public sealed class PlaceFeaturesTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    public Task InitializeAsync() => db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    // 2001 and 2002 are 800 m apart (one 1 km cell east, the same 2 km cell); 2005 failed at 2001's very place in
    // October, outside the 2- and 3-month windows of 2013-03-01; 2003 is 13 km north, beyond every kernel's reach, in
    // another ZIP code. 2002's fail on the as-of date labels its snapshot and must count nowhere in the features of
    // that date.
    // Names differ, so the name block sees no other licence.
    private const string West = "-87.675", East = "-87.66534";
    private static readonly Row[] History =
    [
        At(1, "2013-01-10", "2001") with { Name = "ALPHA", Latitude = "41.8855", Longitude = West, Zip = "60601" },
        At(2, "2013-02-15", "2001") with { Name = "ALPHA", Latitude = "41.8855", Longitude = West, Zip = "60601" },
        At(3, "2013-03-20", "2001") with { Name = "ALPHA", Latitude = "41.8855", Longitude = West, Zip = "60601" },
        At(4, "2013-02-01", "2002", "Fail")
            with { Name = "BRAVO", Latitude = "41.8855", Longitude = East, Zip = "60601" },
        At(5, "2013-03-01", "2002", "Fail")
            with { Name = "BRAVO", Latitude = "41.8855", Longitude = East, Zip = "60601" },
        At(6, "2013-01-20", "2003", "Fail") with { Name = "CHARLIE", Latitude = "42.0", Longitude = West },
        At(7, "2013-03-10", "2003") with { Name = "CHARLIE", Latitude = "42.0", Longitude = West },
        At(8, "2012-10-15", "2005", "Fail")
            with { Name = "ECHO", Latitude = "41.8855", Longitude = West, Zip = "60601" },
    ];

    private Task<CliResult> FeaturesAsync(string date, string csv) => CliRunner.RunAsync(
        [
            "features", "--date", date, "--source", csv,
            "--check", "clean.min_fail_share=0", "--check", "clean.max_fail_share=1",
        ],
        new() { ["ConnectionStrings:Postgres"] = db.ConnectionString, ["Features:FirstAsOf"] = "2013-03-01" });

    private Task<string> SnapshotAsync(string license) => db.ScalarAsync<string>(
        "select concat_ws('/', trim_scale(round(nearby_fail_12m_1km::float8::numeric, 5)), " +
        "trim_scale(round(nearby_fail_12m_2km::float8::numeric, 5)), " +
        "trim_scale(round(nearby_fail_6m_1km::float8::numeric, 5)), " +
        "trim_scale(round(nearby_fail_3m_1km::float8::numeric, 5)), " +
        "trim_scale(round(nearby_fail_3m_2km::float8::numeric, 5)), " +
        "trim_scale(round(nearby_fail_2m_1km::float8::numeric, 5)), " +
        "trim_scale(round(nearby_fail_2m_2km::float8::numeric, 5)), " +
        "trim_scale(round(nearby_bad_12m_1km::float8::numeric, 5)), " +
        "trim_scale(round(zip_fail_12m::float8::numeric, 5)), trim_scale(round(zip_fail_24m::float8::numeric, 5))) " +
        $"from features.snapshots where license = '{license}' and as_of_date = '2013-03-01'");

    [Fact]
    public void Two_inspections_800_m_apart_are_one_1_km_cell_apart_and_share_a_2_km_cell()
    {
        var west = FeatureEvents.Cell(41.8855, -87.675, 1);
        var east = FeatureEvents.Cell(41.8855, -87.66534, 1);
        (east.X - west.X, east.Y - west.Y).ShouldBe((1, 0));
        FeatureEvents.Cell(41.8855, -87.66534, 2).ShouldBe(FeatureEvents.Cell(41.8855, -87.675, 2));
        PlaceFeatures.Weight(1, 0).ShouldBe(607_000);   // exp(-1/2) in thousandths, times exp(0)
        PlaceFeatures.Weight(0, 0).ShouldBe(1_000_000);
        PlaceFeatures.Weight(3, 3).ShouldBe(121);
        PlaceFeatures.Weight(4, 0).ShouldBe(0);
    }

    [Fact]
    public async Task The_place_block_weighs_other_licences_inspections_nearby_per_window_before_the_as_of_date_only()
    {
        var result = await FeaturesAsync("2013-05-01", Write(History));
        result.ExitCode.ShouldBe(0, result.ToString());

        // Before 2013-03-01: 5 pass/fail inspections, 3 fails (p = 0.6 over 6, 12 and 24 months); over 2 and 3 months
        // (from 2013-01-01, 2012-12-01) 2005's October fail is out: 2 fails in 4 (p = 0.5).
        // 2001, 12 months, 1 km: 2002's fail (K 0.607), 2005's (K 1): (0.607 + 1 + 2 x 0.6) / (1.607 + 2);
        // 2 km: (1 + 1 + 1.2) / (2 + 2); 3 and 2 months: 2002 only, (0.607 + 1) / (0.607 + 2) and (1 + 1) / (1 + 2).
        // ZIP 60601, 12 and 24 months: 2002's and 2005's fails, (2 + 20 x 0.6) / (2 + 20). Never 2002's fail of
        // 2013-03-01.
        (await SnapshotAsync("2001"))
            .ShouldBe("0.77821/0.8/0.77821/0.61642/0.66667/0.61642/0.66667/0.77821/0.63636/0.63636");
        // 2002, its own fail left out: 2001's two passes (K 0.607 each) and 2005's fail (K 0.607):
        // (0.607 + 1.2) / (1.821 + 2); 2 km: (1 + 1.2) / (3 + 2); 3 months: the passes only, (0 + 1) / (1.214 + 2)
        // and (0 + 1) / (2 + 2); ZIP: 2 passes and 1 fail, (1 + 12) / (3 + 20).
        (await SnapshotAsync("2002"))
            .ShouldBe("0.47291/0.44/0.47291/0.31114/0.25/0.31114/0.25/0.47291/0.56522/0.56522");
        // 2003, alone within 6 km and in its ZIP code: every rate is the city's.
        (await SnapshotAsync("2003")).ShouldBe("0.6/0.6/0.6/0.5/0.5/0.5/0.5/0.6/0.6/0.6");
    }

    [Fact]
    public async Task The_leakage_check_catches_place_features_that_count_the_as_of_date_itself()
    {
        (await FeaturesAsync("2013-05-01", Write(History))).ExitCode.ShouldBe(0);
        await using var connection = await db.DataSource.OpenConnectionAsync();
        (await LeakingVariant.CheckAsync(connection, new DateOnly(2013, 5, 1))).Mismatches.ShouldBeEmpty();

        await LeakingVariant.StoreNextDaysFeaturesAsync(
            db.DataSource, new DateOnly(2013, 5, 1), new DateOnly(2013, 3, 1), PlaceFeatures.Columns);

        // 2002's fail of 2013-03-01 now counts around 2001 (and in the city's fail share): not the 0.7782 of 2001's own
        // window.
        var leaks = await LeakingVariant.CheckAsync(connection, new DateOnly(2013, 5, 1));
        leaks.Mismatches.ShouldContain(m =>
            m.StartsWith("snapshots 2001@2013-03-01: nearby_fail_12m_1km stored ", StringComparison.Ordinal)
            && m.EndsWith(", recomputed 0.7782", StringComparison.Ordinal));
    }
}
