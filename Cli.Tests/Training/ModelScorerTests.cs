using Inspections.Features;
using Inspections.Training;

namespace Inspections.Tests.Training;

public sealed class ModelScorerTests
{
    private static IReadOnlyList<FeatureRow> Rows => SmallModels.Rows;

    public static TheoryData<string> Algorithms => SmallModels.Algorithms;

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void A_saved_model_loaded_back_scores_as_before_saving(string algorithm)
    {
        var candidate = SmallModels.Small(algorithm);
        var fitted = ModelScorer.Fit(candidate, Rows);
        var before = fitted.Score(Rows);
        var bytes = fitted.Save();

        var loaded = ModelScorer.Load(bytes, algorithm, fitted.HyperParametersJson(candidate), FeatureSet.All,
            fitted.TransformJson, ModelScorer.Sha256(bytes));

        var after = loaded.Score(Rows);
        before.Distinct().Count().ShouldBeGreaterThan(10);
        before.ShouldAllBe(s => s > 0 && s < 1);
        after.ShouldBe(before);   // the same bytes, the same arithmetic: exactly
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Fitting_twice_on_the_same_rows_in_another_order_gives_the_same_scores(string algorithm)
    {
        var first = ModelScorer.Fit(SmallModels.Small(algorithm), Rows).Score(Rows);
        var second = ModelScorer.Fit(SmallModels.Small(algorithm), Rows.Reverse().ToList()).Score(Rows);
        second.ShouldBe(first);
    }

    [Theory]
    [InlineData(Candidate.FastTree)]
    [InlineData(Candidate.LightGbm)]
    public void Tree_models_do_not_depend_on_the_number_of_threads_that_built_them(string algorithm)
    {
        // Enough rows that the trainers split the work between threads; select refits with every core on this promise.
        var rows = SnapshotGenerator.Generate(licenses: 2000, weeks: 20, TrainedDatabase.FirstAsOf)
            .Where(r => r.LabelFail is not null)
            .ToList();
        var candidate = Candidate.Create(algorithm,
            new() { ["leaves"] = 16, ["trees"] = 30, ["min_leaf"] = 20, ["lr"] = 0.1 });

        var one = ModelScorer.Fit(candidate, rows, treeThreads: 1);
        var four = ModelScorer.Fit(candidate, rows, treeThreads: 4);

        rows.Count.ShouldBeGreaterThan(10_000);
        var scores = one.Score(rows);
        scores.Distinct().Count().ShouldBeGreaterThan(100);
        four.Score(rows).ShouldBe(scores);
    }

    [Fact]
    public void Bytes_that_do_not_match_their_sha256_are_refused()
    {
        var candidate = SmallModels.Small(Candidate.LightGbm);
        var bytes = ModelScorer.Fit(candidate, Rows).Save();
        Should.Throw<InvalidOperationException>(() => ModelScorer.Load(bytes, Candidate.LightGbm, "{}", FeatureSet.All,
                null, ModelScorer.Sha256([1, 2, 3])))
            .Message.ShouldContain("sha256");
    }
}
