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
        var reference = new CohortSample(1, new double[2000], new Dictionary<string, double[]> { ["age"] = before, ["visits"] = before },
            new Dictionary<string, string[]> { ["risk"] = [.. Enumerable.Repeat("high", 2000)] });
        var current = new CohortSample(1, new double[2000], new Dictionary<string, double[]> { ["age"] = after, ["visits"] = before },
            new Dictionary<string, string[]> { ["risk"] = [.. Enumerable.Repeat("high", 2000)] });
        var settings = new MonitoringSettings { PsiBins = 10, FeaturePsiWarn = 0.1, FeaturePsiAlert = 0.25, FeaturesNotCounted = ["age"] };

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
    public void A_flag_feature_collapses_to_two_bins()
    {
        double[] flags = [.. Enumerable.Repeat(0.0, 700), .. Enumerable.Repeat(1.0, 300)];
        Drift.PsiBins(flags, 10).ShouldBe(2);
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
