using Inspections.Monitoring;

namespace Inspections.Tests.Monitoring;

public sealed class RealisedPerformanceTests
{
    private static Outcome O(string license, double score, bool fail, int day) =>
        new(license, score, fail, new DateOnly(2014, 3, 1).AddDays(day));

    [Fact]
    public void Days_earlier_revisits_the_same_dates_in_score_order()
    {
        // Dates 0, 10, 20, 30. The failing one inspected last (day 30) has the top score: it would have been visited on
        // day 0, 30 days earlier; the other failure (day 10, third score) gets day 20: 10 days later. Mean 10.
        Outcome[] outcomes =
            [O("a", 0.9, true, 30), O("b", 0.7, false, 0), O("c", 0.5, true, 10), O("d", 0.1, false, 20)];
        RealisedPerformance.DaysEarlier(outcomes).ShouldBe(10);
    }

    [Fact]
    public void Tied_scores_share_the_mean_of_their_places_dates()
    {
        // All tied: each gets the mean date (15); the failure inspected on day 30 is 15 days earlier, on day 0 15 days
        // later.
        Outcome[] outcomes =
            [O("a", 0.5, true, 30), O("b", 0.5, false, 10), O("c", 0.5, false, 20), O("d", 0.5, true, 0)];
        RealisedPerformance.DaysEarlier(outcomes).ShouldBe(0);
        RealisedPerformance.DaysEarlier([O("a", 0.5, false, 1)]).ShouldBeNull();
    }

    [Fact]
    public void Measure_gives_the_ranking_metrics_lift_and_ten_calibration_groups()
    {
        var outcomes = Enumerable.Range(0, 100)
            .Select(i => O($"L{i:000}", i / 100.0, i >= 80 || i % 10 == 0, i % 60))
            .ToList();

        var figures = RealisedPerformance.Measure(outcomes);

        figures.Evaluated.ShouldBe(100);
        figures.Fails.ShouldBe(28); // 20 at the top, plus 0, 10, ..., 70
        figures.FailRate.ShouldBe(0.28);
        figures.PrecisionAt10.ShouldBe(1);
        figures.PrecisionAt20.ShouldBe(1);
        figures.LiftAt10!.Value.ShouldBe(1 / 0.28, 1e-12);
        figures.RocAuc!.Value.ShouldBeGreaterThan(0.8);
        figures.Calibration.Count.ShouldBe(10);
        figures.Calibration.Sum(c => c.Rows).ShouldBe(100);
        figures.Calibration[^1].FailRate.ShouldBe(1);
        figures.Calibration[0].MeanScore.ShouldBe(0.045, 1e-12);
    }

    [Fact]
    public void Shortfall_below_validation_warns_then_alerts()
    {
        MonitoringSettings.Shortfall(0.60, 0.62, 0.05, 0.1).ShouldBe("ok");
        MonitoringSettings.Shortfall(0.56, 0.62, 0.05, 0.1).ShouldBe("warn");
        MonitoringSettings.Shortfall(0.50, 0.62, 0.05, 0.1).ShouldBe("alert");
        MonitoringSettings.Shortfall(null, 0.62, 0.05, 0.1).ShouldBe("ok");
    }

    [Fact]
    public void Validation_figures_are_the_means_over_the_stored_folds()
    {
        var figures = ValidationFigures.FromFoldMetrics("""
            [{"fold": 1, "roc_auc": 0.60, "precision_at_10": 0.30, "brier": 0.14},
             {"fold": 2, "roc_auc": 0.64, "precision_at_10": 0.34, "brier": "NaN"}]
            """);
        figures.Folds.ShouldBe(2);
        figures.RocAuc!.Value.ShouldBe(0.62, 1e-12);
        figures.PrecisionAt10!.Value.ShouldBe(0.32, 1e-12);
        figures.Brier.ShouldBe(0.14);
        figures.DaysEarlier.ShouldBeNull();
    }
}
