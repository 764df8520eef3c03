using Inspections.Monitoring;

namespace Inspections.Tests.Monitoring;

public sealed class FeatureDriftTests
{
    [Fact]
    public void Categorical_psi_and_jensen_shannon_match_hand_computed_values()
    {
        string[] reference = [.. Enumerable.Repeat("a", 50), .. Enumerable.Repeat("b", 50)];
        string[] current = [.. Enumerable.Repeat("a", 80), .. Enumerable.Repeat("b", 20)];

        var psi = (0.8 - 0.5) * Math.Log(0.8 / 0.5) + (0.2 - 0.5) * Math.Log(0.2 / 0.5);
        Drift.CategoricalPsi(reference, current).ShouldBe(psi, 1e-12);
        // JS = H(m) - (H(p) + H(q)) / 2 with m = (0.65, 0.35), in bits.
        double H(params double[] p) => -p.Sum(x => x * Math.Log2(x));
        Drift.JensenShannon(reference, current).ShouldBe(H(0.65, 0.35) - (H(0.5, 0.5) + H(0.8, 0.2)) / 2, 1e-12);
        Drift.CategoricalPsi(reference, reference).ShouldBe(0, 1e-12);
        Drift.JensenShannon(reference, reference).ShouldBe(0, 1e-12);
    }

    [Fact]
    public void A_category_the_reference_never_saw_is_a_bin_of_its_own_and_disjoint_samples_diverge_fully()
    {
        Drift.JensenShannon(["a", "a"], ["b", "b"]).ShouldBe(1, 1e-12);
        Drift.Categories(["a", "b"], ["b", "c"]).ShouldBe(3);
        Drift.CategoricalPsi(["a", "a", "a", "a"], ["a", "a", "a", "new"]).ShouldBeGreaterThan(1);
    }

    [Fact]
    public void Every_shared_feature_is_compared_and_only_counted_ones_can_set_the_status()
    {
        var random = new Random(4);
        var before = Enumerable.Range(0, 2000).Select(_ => random.NextDouble() * 100).ToArray();
        var after = before.Select(v => v + 60).ToArray();
        var reference = new CohortSample(1, new double[2000],
            new Dictionary<string, double[]> { ["age"] = before, ["visits"] = before },
            new Dictionary<string, string[]> { ["risk"] = [.. Enumerable.Repeat("high", 2000)] });
        var current = new CohortSample(1, new double[2000],
            new Dictionary<string, double[]> { ["age"] = after, ["visits"] = before },
            new Dictionary<string, string[]> { ["risk"] = [.. Enumerable.Repeat("high", 2000)] });
        var settings = new MonitoringSettings
        {
            PsiBins = 10, FeaturePsiWarn = 0.1, FeaturePsiAlert = 0.25, FeaturesNotCounted = ["age"],
            FeatureSpreadAlertFactor = 1.5,
        };

        var drifts = FeatureDrift.Compare(reference, current, settings);

        drifts.Select(d => d.Feature).ShouldBe(["age", "visits", "risk"]);
        var age = drifts[0];
        age.Status.ShouldBe("alert");
        age.Counted.ShouldBeFalse();
        age.Bins.ShouldBe(10);
        age.MeanCurrent!.Value.ShouldBe(age.MeanReference!.Value + 60, 1e-9);
        drifts[1].Status.ShouldBe("ok");
        drifts[2].Kind.ShouldBe("categorical");
        drifts[2].JsDivergence.ShouldBe(0);
        MonitoringSettings.Worst([.. drifts.Where(d => d.Counted).Select(d => d.Status)]).ShouldBe("ok");
    }

    [Fact]
    public void A_feature_is_judged_against_how_much_the_references_own_dates_differ()
    {
        // "area": shared by many rows, it moves by 15 between the reference's two dates; "own": the same on both.
        var random = new Random(7);
        double[] Uniform(int n, double from) =>
            [.. Enumerable.Range(0, n).Select(_ => from + random.NextDouble() * 100)];
        var dates = Enumerable.Repeat(new DateOnly(2013, 1, 1), 2000)
            .Concat(Enumerable.Repeat(new DateOnly(2013, 2, 1), 2000)).ToList();
        double[] area = [.. Uniform(2000, 0), .. Uniform(2000, 15)];
        double[] own = [.. Uniform(2000, 0), .. Uniform(2000, 0)];
        var reference = new CohortSample(2, new double[4000],
            new Dictionary<string, double[]> { ["area"] = area, ["own"] = own },
            new Dictionary<string, string[]>()) { Dates = dates };
        // Today both are 15 above the reference's first date: as far as its own second date is, for "area".
        var current = new CohortSample(1, new double[2000],
            new Dictionary<string, double[]> { ["area"] = Uniform(2000, 15), ["own"] = Uniform(2000, 15) },
            new Dictionary<string, string[]>());
        var settings = new MonitoringSettings
        {
            PsiBins = 10, FeaturePsiWarn = 0.1, FeaturePsiAlert = 0.25, FeatureSpreadAlertFactor = 1.5,
        };

        var drifts = FeatureDrift.Compare(reference, current, settings).ToDictionary(d => d.Feature);

        drifts["area"].ReferencePsi.ShouldBeGreaterThan(0.1);
        drifts["area"].Psi.ShouldBeLessThan(drifts["area"].ReferencePsi * 1.5);
        drifts["area"].Status.ShouldNotBe("alert");
        drifts["own"].ReferencePsi.ShouldBeLessThan(0.02);
        drifts["own"].Psi.ShouldBeGreaterThan(drifts["area"].Psi * 0.5);
        drifts["own"].Status.ShouldNotBe("ok");
        // The spread is measured like for like: each date against the others, on the whole reference's bins.
        var edges = Drift.QuantileEdges(area, 10);
        var first = Drift.Shares(area[..2000], edges);
        var second = Drift.Shares(area[2000..], edges);
        drifts["area"].ReferencePsi.ShouldBe(Math.Max(Drift.Psi(first, second), Drift.Psi(second, first)), 1e-12);
    }

    [Fact]
    public void A_smoothed_rate_is_compared_as_its_excess_over_the_city_share_of_its_date()
    {
        var dates = new List<DateOnly> { new(2013, 1, 1), new(2013, 2, 1) };
        // Without evidence a rate is its date's share, stored as a float4.
        var sample = new CohortSample(2, [0.1, 0.2], new Dictionary<string, double[]>
        {
            ["name_fail_rate"] = [(float)0.2004, (float)0.1885 + 0.05], ["fails_before"] = [3, 4],
        }, new Dictionary<string, string[]>()) { Dates = dates };
        var shares = new Dictionary<DateOnly, IReadOnlyDictionary<string, double>>
        {
            [dates[0]] = new Dictionary<string, double> { ["fail_12m"] = 0.2004 },
            [dates[1]] = new Dictionary<string, double> { ["fail_12m"] = 0.1885 },
        };

        var relative = sample.RelativeToCity(shares);

        relative.Numeric["name_fail_rate"].ShouldBe([0, 0.05]);
        relative.Numeric["fails_before"].ShouldBe([3, 4]);
    }

    [Fact]
    public void A_flag_feature_collapses_to_two_bins()
    {
        double[] flags = [.. Enumerable.Repeat(0.0, 700), .. Enumerable.Repeat(1.0, 300)];
        // A numeric PSI sums over the distinct reference quantile edges plus one bin.
        (Drift.QuantileEdges(flags, 10).Length + 1).ShouldBe(2);
    }

    [Fact]
    public void Histogram_range_is_the_scores_actual_range_rounded_out_to_hundredths()
    {
        Drift.Range([0.063, 0.2, 0.418]).ShouldBe((0.06, 0.42));
        Drift.Range([]).ShouldBe((0, 1));
        var (lower, upper) = Drift.Range([0.3, 0.3]);
        (upper - lower).ShouldBe(0.01, 1e-12);
    }
}
