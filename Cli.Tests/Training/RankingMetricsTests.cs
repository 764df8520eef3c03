using Inspections.Training;

namespace Inspections.Tests.Training;

public sealed class RankingMetricsTests
{
    // Ranked: 0.9 fail | 0.8 fail, 0.8 pass, 0.8 pass | 0.5 fail, 0.5 pass | 0.3 pass | 0.2 fail | 0.1 pass, 0.1 pass
    private static readonly double[] Scores = [0.8, 0.1, 0.5, 0.9, 0.8, 0.3, 0.8, 0.2, 0.5, 0.1];
    private static readonly bool[] Labels = [true, false, true, true, false, false, false, true, false, false];

    [Fact]
    public void Precision_at_k_takes_the_expected_share_of_a_tied_block_at_the_boundary()
    {
        // Top 20% of 10 rows: k = 2. One row above the tie (a fail), then one place for a block of three
        // rows at 0.8 holding one fail: expected fails = 1 + 1 x 1/3, precision = (4/3)/2, recall = (4/3)/4.
        var at20 = RankingMetrics.AtTopShare(Scores, Labels, 0.20);
        at20.K.ShouldBe(2);
        at20.Precision.ShouldBe(2.0 / 3, 1e-12);
        at20.Recall!.Value.ShouldBe(1.0 / 3, 1e-12);

        // Top 50%: k = 5; four rows above 0.5 (two fails), one place for the block {0.5 fail, 0.5 pass}.
        var at50 = RankingMetrics.AtTopShare(Scores, Labels, 0.50);
        at50.Precision.ShouldBe(2.5 / 5, 1e-12);
        at50.Recall!.Value.ShouldBe(2.5 / 4, 1e-12);

        // Top 5% of 10 rounds up to one row: the 0.9 fail alone.
        RankingMetrics.AtTopShare(Scores, Labels, 0.05).Precision.ShouldBe(1.0);
    }

    [Fact]
    public void Precision_at_k_does_not_depend_on_the_order_of_tied_rows()
    {
        var reversed = RankingMetrics.AtTopShare(Scores.Reverse().ToArray(), Labels.Reverse().ToArray(), 0.20);
        reversed.Precision.ShouldBe(RankingMetrics.AtTopShare(Scores, Labels, 0.20).Precision, 1e-12);
    }

    [Fact]
    public void Recall_at_k_is_undefined_without_positives()
    {
        RankingMetrics.AtTopShare([0.3, 0.2], [false, false], 0.5).Recall.ShouldBeNull();
    }

    [Fact]
    public void Roc_auc_counts_a_tie_between_a_fail_and_a_pass_as_one_half()
    {
        // Pairs (fail, pass): (0.8, 0.8) = 1/2, (0.8, 0.2), (0.9, 0.8), (0.9, 0.2) = 1 each: 3.5 / 4.
        RankingMetrics.RocAuc([0.8, 0.8, 0.2, 0.9], [true, false, false, true])!.Value.ShouldBe(0.875, 1e-12);
        RankingMetrics.RocAuc([0.8, 0.2], [true, true]).ShouldBeNull();
    }

    [Fact]
    public void Brier_is_the_mean_squared_error_of_the_probabilities()
    {
        RankingMetrics.Brier([0.8, 0.2, 0.5], [true, false, true]).ShouldBe((0.04 + 0.04 + 0.25) / 3, 1e-12);
    }
}
