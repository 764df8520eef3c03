using Inspections.Training;

namespace Inspections.Tests.Training;

public sealed class TemporalValidationTests
{
    private static readonly TrainingSettings Settings = new() { Folds = 3, FoldAsOfDates = 2, LabelWindowDays = 28 };

    [Fact]
    public void Folds_are_consecutive_as_of_dates_and_learn_only_from_labels_known_before_them()
    {
        var rows = SnapshotGenerator.Generate(licenses: 20, weeks: 24, TrainedDatabase.FirstAsOf)
            .Where(r => r.LabelFail is not null)
            .ToList();

        var folds = TemporalValidation.Folds(rows, Settings);

        folds.Select(f => f.Start).ShouldBe([
            TrainedDatabase.FirstAsOf.AddDays(7 * 18),
            TrainedDatabase.FirstAsOf.AddDays(7 * 20),
            TrainedDatabase.FirstAsOf.AddDays(7 * 22),
        ]);
        folds.ShouldAllBe(f => f.End == f.Start.AddDays(7));
        foreach (var fold in folds)
        {
            fold.Valid.ShouldAllBe(r => r.AsOfDate >= fold.Start && r.AsOfDate <= fold.End);
            fold.Train.ShouldAllBe(r => r.AsOfDate.AddDays(28) <= fold.Start);
            // Four weeks before the fold: labels still open on its first day, so left out.
            fold.Train.Max(r => r.AsOfDate).ShouldBe(fold.Start.AddDays(-28));
        }
    }

    [Fact]
    public void Too_few_as_of_dates_for_the_folds_is_an_error_that_says_so()
    {
        var rows = SnapshotGenerator.Generate(licenses: 5, weeks: 6, TrainedDatabase.FirstAsOf);
        Should.Throw<InvalidOperationException>(() => TemporalValidation.Folds(rows, Settings))
            .Message.ShouldContain("6 labelled as-of dates");
    }

    [Fact]
    public void Ranking_prefers_the_higher_mean_and_for_brier_the_lower()
    {
        FoldMetrics Row(string candidate, int fold, double p10, double brier) =>
            new(candidate, "x", "{}", fold, default, default, 1, 1, 1, 0.5, p10, p10, p10, 0, 0, 0, brier);
        FoldMetrics[] results =
            [Row("a", 1, 0.2, 0.10), Row("a", 2, 0.4, 0.10), Row("b", 1, 0.35, 0.20), Row("b", 2, 0.35, 0.20)];

        TemporalValidation.Rank(results, ["a", "b"], "precision_at_10")[0].Candidate.ShouldBe("b");
        TemporalValidation.Rank(results, ["a", "b"], "brier")[0].Candidate.ShouldBe("a");
        TemporalValidation.Rank(results, ["b", "a"], "precision_at_5").Select(r => r.Candidate).ShouldBe(["b", "a"]);
    }
}
