using Inspections.Monitoring;

namespace Inspections.Tests.Monitoring;

public sealed class DriftTests
{
    private static List<double> Uniform(int n, double from, double to, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => from + random.NextDouble() * (to - from)).ToList();
    }

    [Fact]
    public void Psi_of_a_distribution_against_itself_is_zero()
    {
        var scores = Uniform(5000, 0, 1, 1);
        Drift.Psi(scores, scores, 10).ShouldBe(0, 1e-12);
        Drift.KolmogorovSmirnov(scores, scores).ShouldBe(0, 1e-12);
    }

    [Fact]
    public void Psi_matches_a_hand_computed_example()
    {
        // Reference deciles of 0..999/1000 put edges at 0.1, 0.2, ...; the current sample puts
        // half its scores in the first bin and spreads the other half evenly over the other nine.
        var reference = Enumerable.Range(0, 1000).Select(i => i / 1000.0).ToList();
        var current = Enumerable.Range(0, 500).Select(i => i / 5000.0)
            .Concat(Enumerable.Range(0, 450).Select(i => 0.101 + i * 0.002)).ToList();
        // 950 values: shares are 500/950 and 50/950.
        var a0 = 500.0 / 950;
        var ai = 50.0 / 950;
        var expected = (a0 - 0.1) * Math.Log(a0 / 0.1) + 9 * ((ai - 0.1) * Math.Log(ai / 0.1));
        Drift.Psi(reference, current, 10).ShouldBe(expected, 1e-9);
    }

    [Fact]
    public void A_shifted_distribution_has_high_psi_and_ks()
    {
        var reference = Uniform(4000, 0, 0.5, 2);
        var shifted = Uniform(4000, 0.25, 0.75, 3);
        Drift.Psi(reference, shifted, 10).ShouldBeGreaterThan(0.25);
        Drift.KolmogorovSmirnov(reference, shifted).ShouldBe(0.5, 0.03);
    }

    [Fact]
    public void Ks_is_the_largest_cdf_gap()
    {
        Drift.KolmogorovSmirnov([0.1, 0.2, 0.3, 0.4], [0.3, 0.4, 0.5, 0.6]).ShouldBe(0.5, 1e-12);
    }

    [Fact]
    public void Histogram_counts_every_value_once_with_outliers_in_the_end_bins()
    {
        var bins = Drift.Histogram([0, 0.05, 0.5, 0.99, 1.0, 1.5, -0.2], 10);
        bins.Count.ShouldBe(10);
        bins.Sum(b => b.Count).ShouldBe(7);
        bins[0].Count.ShouldBe(3);
        bins[9].Count.ShouldBe(3);
        bins.Sum(b => b.Share).ShouldBe(1, 1e-12);
        bins[3].Lower.ShouldBe(0.3, 1e-12);
    }

    [Fact]
    public void Tied_reference_scores_collapse_bins_instead_of_dividing_by_zero()
    {
        var reference = Enumerable.Repeat(0.2, 500).Concat(Enumerable.Repeat(0.8, 500)).ToList();
        Drift.QuantileEdges(reference, 10).ShouldBe([0.8]);
        double.IsFinite(Drift.Psi(reference, [0.2, 0.2, 0.9], 10)).ShouldBeTrue();
    }
}
