using Inspections.Features;
using Inspections.Prediction;
using Inspections.Tests.Training;
using Inspections.Training;

namespace Inspections.Tests.Prediction;

public sealed class ScoreReasonsTests
{
    private static IReadOnlyList<FeatureRow> Rows => SmallModels.Rows;

    public static TheoryData<string> Algorithms => SmallModels.Algorithms;

    private static ModelScorer Reloaded(Candidate candidate, ModelScorer fitted)
    {
        var bytes = fitted.Save();
        return ModelScorer.Load(bytes, candidate.Algorithm, fitted.HyperParametersJson(candidate), FeatureSet.All,
            fitted.TransformJson);
    }

    [Fact]
    public void A_logistic_models_contributions_are_its_coefficients_times_the_rows_transformed_values_largest_first()
    {
        var candidate = SmallModels.Small(Candidate.Logistic);
        var fitted = ModelScorer.Fit(candidate, Rows);
        var stored = Reloaded(candidate, fitted);
        var weights = fitted.Explanation().ToDictionary(w => w.Feature, w => w.Weight);
        var transform = FeatureTransform.FromJson(fitted.TransformJson!);
        var rows = Rows.Take(50).ToList();

        var contributions = stored.Contributions(rows, 3);

        contributions.Count.ShouldBe(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            // By hand: every numeric slot's weight times its standardised value, and the weight of each category the
            // row has.
            var z = transform.Apply(rows[i].Numeric);
            var expected = FeatureSet.Numeric
                .Select((f, j) => (Feature: f, Effect: weights.GetValueOrDefault(f) * z[j]))
                .Concat(FeatureSet.Categorical.Select((c, j) => $"{c}={rows[i].Categorical[j]}")
                    .Select(slot => (Feature: slot, Effect: weights.GetValueOrDefault(slot))))
                .Where(p => p.Effect != 0)
                .OrderByDescending(p => Math.Abs(p.Effect)).Take(3).ToList();
            contributions[i].Length.ShouldBe(3);
            contributions[i].Select(c => c.Feature).ShouldBe(expected.Select(e => e.Feature));
            for (var k = 0; k < 3; k++) contributions[i][k].Effect.ShouldBe(expected[k].Effect, 1e-5);
        }
    }

    [Fact]
    public void A_logistic_models_contributions_are_what_ML_NETs_contribution_calculator_gives()
    {
        var candidate = SmallModels.Small(Candidate.Logistic);
        var stored = Reloaded(candidate, ModelScorer.Fit(candidate, Rows));

        var direct = stored.Contributions(Rows, 3);
        var calculated = stored.CalculatedContributions(Rows, 3);

        for (var i = 0; i < Rows.Count; i++)
        {
            direct[i].Select(c => c.Feature).ShouldBe(calculated[i].Select(c => c.Feature), $"row {i}");
            for (var k = 0; k < 3; k++) direct[i][k].Effect.ShouldBe(calculated[i][k].Effect, 1e-5);
        }
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void A_stored_model_gives_the_contributions_the_fitted_one_gave(string algorithm)
    {
        var candidate = SmallModels.Small(algorithm);
        var fitted = ModelScorer.Fit(candidate, Rows);

        var before = fitted.Contributions(Rows, 3);
        var after = Reloaded(candidate, fitted).Contributions(Rows, 3);

        before.ShouldAllBe(c => c.Length == 3);
        before.SelectMany(c => c).Select(c => c.Feature).Distinct().Count().ShouldBeGreaterThan(3);
        after.Select(c => string.Join(",", c.Select(p => $"{p.Feature}:{p.Effect:R}")))
            .ShouldBe(before.Select(c => string.Join(",", c.Select(p => $"{p.Feature}:{p.Effect:R}"))));
    }

    [Fact]
    public void Every_feature_and_category_has_words()
    {
        var row = Rows[0];
        foreach (var feature in FeatureSet.Numeric)
            ScoreReasons.Reason(row, feature, 0.2).Text.ShouldEndWith("(raises the risk)");
        foreach (var column in FeatureSet.Categorical)
            ScoreReasons.Reason(row, $"{column}={row.Categorical[FeatureSet.CategoricalIndex(column)]}", -0.2).Text
                .ShouldEndWith("(lowers the risk)");
        Should.Throw<ArgumentException>(() => ScoreReasons.Reason(row, "not_a_feature", 0.1));
    }

    [Fact]
    public void A_reason_says_the_rows_own_values_in_words()
    {
        var numeric = new float[FeatureSet.Numeric.Count];
        void Set(string feature, float value) => numeric[FeatureSet.Numeric.ToList().IndexOf(feature)] = value;
        Set("inspections_before", 5);
        Set("fails_before", 3);
        Set("last_result_fail", 1);
        Set("nearby_fail_12m_1km", 0.25f);
        Set("days_since_last_inspection", 412);
        var row = new FeatureRow(new DateOnly(2014, 7, 7), "1234", numeric, ["restaurant", "high", "north"], null);

        ScoreReasons.Reason(row, "fails_before", 0.31).ShouldBe(
            new ScoreReason("fails_before", "3", 0.31, "Failed 3 of its 5 inspections (raises the risk)"));
        ScoreReasons.Reason(row, "last_result_fail", 0.123456).Text
            .ShouldBe("Its last pass/fail inspection failed (raises the risk)");
        ScoreReasons.Reason(row, "last_result_fail", 0.123456).Effect.ShouldBe(0.1235);
        ScoreReasons.Reason(row, "nearby_fail_12m_1km", 0.1).Text
            .ShouldBe("Other places within about 1 km failed 25% of their inspections in the last 12 months " +
                "(raises the risk)");
        ScoreReasons.Reason(row, "days_since_last_inspection", -0.05).Text
            .ShouldBe("Last inspected 412 days before the prediction date (lowers the risk)");
        ScoreReasons.Reason(row, "risk_level=high", 0.2).ShouldBe(
            new ScoreReason("risk_level=high", "high", 0.2, "The City rates it high risk (raises the risk)"));
    }

    [Fact]
    public void The_reasons_round_trip_through_their_stored_json()
    {
        var reasons = new[]
        {
            new ScoreReason("fails_before", "3", 0.31, "Failed 3 of its 5 inspections (raises the risk)"),
        };

        var json = ScoreReasons.ToJson(reasons);

        json.ShouldContain("\"feature\":\"fails_before\"");
        ScoreReasons.FromJson(json).ShouldBe(reasons);
        ScoreReasons.FromJson(null).ShouldBeEmpty();
    }
}
