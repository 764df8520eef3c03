using Inspections.Features;
using Inspections.Training;

namespace Inspections.Tests.Training;

public sealed class BaselineTests
{
    private static FeatureRow Row(string risk, bool fail) =>
        new(new DateOnly(2013, 1, 7), "1", new float[FeatureSet.Numeric.Count],
            FeatureSet.Categorical.Select(c => c == "risk_level" ? risk : "x").ToArray(), fail);

    [Fact]
    public void The_baseline_scores_each_risk_category_by_its_training_prevalence_never_against_the_risk_order()
    {
        // medium fails more often than high here (1/2 vs 1/4): pooled, both score 2/6.
        FeatureRow[] rows =
        [
            Row("high", true), Row("high", false), Row("high", false), Row("high", false),
            Row("medium", true), Row("medium", false),
            Row("low", false), Row("low", false), Row("low", false), Row("low", true),
            Row("unknown", false),
        ];
        var model = ModelScorer.Fit(Candidate.Create(Candidate.Baseline, []), rows);
        var scores = model.Score([Row("high", false), Row("medium", false), Row("low", false), Row("all", false)]);
        scores.ShouldBe([2.0 / 6, 2.0 / 6, 0.25, 0.0], tolerance: 1e-12);
    }

    [Fact]
    public void A_stored_baseline_has_no_model_bytes_and_scores_from_its_risk_table()
    {
        FeatureRow[] rows =
        [
            Row("high", true), Row("high", false), Row("low", false), Row("low", false), Row("low", true),
            Row("low", false),
        ];
        var candidate = Candidate.Create(Candidate.Baseline, []);
        var fitted = ModelScorer.Fit(candidate, rows);
        var bytes = fitted.Save();
        bytes.ShouldBeEmpty();
        var loaded = ModelScorer.Load(bytes, Candidate.Baseline, fitted.HyperParametersJson(candidate), FeatureSet.All,
            null, ModelScorer.Sha256(bytes));
        FeatureRow[] probe = [Row("high", false), Row("medium", false), Row("low", false)];
        loaded.Score(probe).ShouldBe(fitted.Score(probe));
        loaded.Score(probe).ShouldBe([0.5, 0.5, 0.25], tolerance: 1e-12);
    }

    [Fact]
    public void A_model_trained_on_other_features_is_refused()
    {
        Should.Throw<InvalidOperationException>(
                () => ModelScorer.Load([], Candidate.Baseline, "{}", ["fails_before"], null))
            .Message.ShouldContain("features");
    }
}
