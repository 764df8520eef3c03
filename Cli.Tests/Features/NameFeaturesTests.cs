using Inspections.Features;
using Inspections.Tests.Infrastructure;
using static Inspections.Tests.Ingest.InspectionCsv;

namespace Inspections.Tests.Features;

public sealed class NameFeaturesTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    public Task InitializeAsync() => db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    // A chain of three licences under one name key (1001, 1002, 1003), another pizza place (1004) and a taco place
    // (1005). 1003's fail on the as-of date 2013-03-01 labels its snapshot and must count nowhere in the features of
    // that date.
    private static readonly Row[] History =
    [
        At(1, "2013-01-10", "1001", "Fail") with { Name = "JOE'S PIZZA #1" },
        At(2, "2013-02-10", "1001") with { Name = "JOE'S PIZZA #1" },
        At(3, "2013-03-15", "1001") with { Name = "JOE'S PIZZA #1" },
        At(4, "2013-01-15", "1002", "Fail") with { Name = "Joe's Pizza #2" },
        At(5, "2013-02-01", "1003") with { Name = "JOES PIZZA" },
        At(6, "2013-03-01", "1003", "Fail") with { Name = "JOES PIZZA" },
        At(7, "2013-01-20", "1004", "Fail") with { Name = "PIZZA PALACE" },
        At(8, "2013-01-05", "1005") with { Name = "TACO BELL" },
        At(9, "2013-02-05", "1005") with { Name = "TACO BELL" },
        At(10, "2013-04-01", "1005") with { Name = "TACO BELL" },
    ];

    private Task<CliResult> FeaturesAsync(string date, string csv) => CliRunner.RunAsync(
        [
            "features", "--date", date, "--source", csv,
            "--check", "clean.min_fail_share=0", "--check", "clean.max_fail_share=1",
        ],
        new() { ["ConnectionStrings:Postgres"] = db.ConnectionString, ["Features:FirstAsOf"] = "2013-03-01" });

    private Task<string> SnapshotAsync(string license) => db.ScalarAsync<string>(
        "select concat_ws('/', name_licences, name_outcomes, " +
        "trim_scale(round(name_fail_rate::float8::numeric, 5)), " +
        "trim_scale(round(name_word_min_rate::float8::numeric, 5)), " +
        "trim_scale(round(name_word_max_rate::float8::numeric, 5)), " +
        "trim_scale(round(name_word_excess::float8::numeric, 5))) " +
        $"from features.snapshots where license = '{license}' and as_of_date = '2013-03-01'");

    [Fact]
    public async Task A_name_key_drops_case_punctuation_numbers_and_company_words()
    {
        NameFeatures.Key("JOE'S PIZZA #1").ShouldBe("JOES PIZZA");
        NameFeatures.Key("Joe's Pizza #2").ShouldBe("JOES PIZZA");
        NameFeatures.Key("McDonald's #123").ShouldBe("MCDONALDS");
        NameFeatures.Key("The Pizza & Co, Inc.").ShouldBe("PIZZA");
        NameFeatures.Key("7-ELEVEN").ShouldBe("ELEVEN");
        NameFeatures.Key("#12").ShouldBe("");
        NameFeatures.Key(null).ShouldBe("");
        NameFeatures.Words("JOES PIZZA XL EXPRESS PIZZA").ShouldBe(["EXPRESS", "JOES", "PIZZA"]);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task The_name_block_counts_the_other_licences_of_a_chain_before_the_as_of_date_only()
    {
        var result = await FeaturesAsync("2013-05-01", Write(History));
        result.ExitCode.ShouldBe(0, result.ToString());

        // p, the city's fail share of the 12 months before 2013-03-01: 3 fails in 7 pass/fail inspections.
        // 1003: the other two licences of the chain, their 3 inspections (2 fails): (2 + 5p) / (3 + 5) = 29/56.
        // JOES: 1001 and 1002, 3 inspections, 2 fails: (2 + 20p) / 23 = 74/161; PIZZA: also 1004's fail:
        // (3 + 20p) / 24 = 81/168.
        (await SnapshotAsync("1003")).ShouldBe("2/3/0.51786/0.45963/0.48214/0.08463");
        // 1001: 1002's fail and 1003's pass only, not 1003's fail on the as-of date: (1 + 5p) / (2 + 5) = 22/49.
        // JOES: 67/154; PIZZA: 1002, 1003 and 1004, 2 fails in 3: 74/161. Excess: 1/154 + 5/161.
        (await SnapshotAsync("1001")).ShouldBe("2/2/0.44898/0.43506/0.45963/0.03755");
        // A name no other licence had: every rate is p = 3/7, no excess.
        (await SnapshotAsync("1005")).ShouldBe("0/0/0.42857/0.42857/0.42857/0");

        // Monitoring's copy of the city's shares (CityShares, read from clean.inspections) is the p the name block
        // smoothed toward: the stored rate of a name without evidence minus it is 0.
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var shares = await CityShares.ReadAsync(connection, null, [new DateOnly(2013, 3, 1)], CancellationToken.None);
        shares[new DateOnly(2013, 3, 1)]["fail_12m"].ShouldBe(3.0 / 7, 1e-12);
        var stored = await db.ScalarAsync<float>(
            "select name_fail_rate from features.snapshots where license = '1005' and as_of_date = '2013-03-01'");
        Math.Round(stored - shares[new DateOnly(2013, 3, 1)]["fail_12m"], 6).ShouldBe(0);
    }

    [Fact]
    public async Task A_renamed_licence_takes_out_its_inspections_under_each_name_it_had()
    {
        // 2001 was JOE'S PIZZA (a fail), then PIZZA PALACE (a pass) before 2013-03-01; its pass of 2013-03-05 labels
        // the snapshot. Most licences keep one name, and their own counts come from their running totals; this one
        // must have each name's taken out of that name's totals.
        Row[] history =
        [
            At(1, "2013-01-10", "2001", "Fail") with { Name = "JOE'S PIZZA" },
            At(2, "2013-02-10", "2001") with { Name = "PIZZA PALACE" },
            At(3, "2013-03-05", "2001") with { Name = "PIZZA PALACE" },
            At(4, "2013-01-15", "2002", "Fail") with { Name = "JOES PIZZA" },
            At(5, "2013-02-01", "2002") with { Name = "JOES PIZZA" },
            At(6, "2013-01-20", "2003", "Fail") with { Name = "PIZZA PALACE" },
        ];
        var result = await FeaturesAsync("2013-05-01", Write(history));
        result.ExitCode.ShouldBe(0, result.ToString());

        // p = 3 fails in 5 = 0.6. PIZZA PALACE: licences 2001 and 2003; 2003's fail only (2001's pass is its own):
        // (1 + 5p) / (1 + 5) = 2/3. PALACE: the same fail, (1 + 20p) / 21 = 13/21. PIZZA: every inspection but
        // 2001's two, 2 fails in 3: (2 + 20p) / 23 = 14/23. Excess: (13/21 - p) + (14/23 - p).
        (await SnapshotAsync("2001")).ShouldBe("1/1/0.66667/0.6087/0.61905/0.02774");
        await using var connection = await db.DataSource.OpenConnectionAsync();
        (await LeakingVariant.CheckAsync(connection, new DateOnly(2013, 5, 1))).Mismatches.ShouldBeEmpty();
    }

    [Fact]
    public async Task The_leakage_check_catches_name_features_that_count_the_as_of_date_itself()
    {
        (await FeaturesAsync("2013-05-01", Write(History))).ExitCode.ShouldBe(0);
        await using var connection = await db.DataSource.OpenConnectionAsync();
        (await LeakingVariant.CheckAsync(connection, new DateOnly(2013, 5, 1))).Mismatches.ShouldBeEmpty();

        await LeakingVariant.StoreNextDaysFeaturesAsync(
            db.DataSource, new DateOnly(2013, 5, 1), new DateOnly(2013, 3, 1), NameFeatures.Columns);

        // 1003's fail of 2013-03-01 now counts for 1001: three inspections of the chain instead of two.
        var leaks = await LeakingVariant.CheckAsync(connection, new DateOnly(2013, 5, 1));
        leaks.Mismatches.ShouldContain("snapshots 1001@2013-03-01: name_outcomes stored 3, recomputed 2");
    }
}
