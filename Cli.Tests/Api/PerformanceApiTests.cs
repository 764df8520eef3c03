using System.Net;
using System.Text.Json;

namespace Inspections.Tests.Api;

/// <summary>Two evaluated prediction dates, as the evaluate task stores them, and the API over them.</summary>
public sealed class EvaluatedApi() : SeededApiServer(Seed)
{
    private const string Seed = """
        insert into monitoring.performance (prediction_date, evaluated_on, model_id, window_end, predicted, evaluated,
            fails, fail_rate, roc_auc, precision_at_5, precision_at_10, precision_at_20, lift_at_10, days_earlier,
            brier, validation_roc_auc, validation_precision_at_10, validation_days_earlier, status, run_id)
        values ('2024-03-04', '2024-05-06', 'm-2024-01-01', '2024-05-03', 10400, 1530,
                266, 0.1739, 0.612, 0.38, 0.33, 0.29, 1.90, 4.1, 0.139,
                0.62, 0.339, null, 'ok', gen_random_uuid()),
               ('2024-03-11', '2024-05-13', 'm-2024-01-01', '2024-05-10', 10410, 40,
                9, 0.225, 0.55, 0.5, 0.5, 0.375, 2.22, null, 0.17,
                0.62, 0.339, null, 'too-few', gen_random_uuid());
        insert into monitoring.calibration (prediction_date, decile, rows, mean_score, fail_rate)
        select '2024-03-04', d, 153, 0.04 * d, 0.035 * d from generate_series(1, 10) d;
        """;
}

public sealed class PerformanceApiTests(EvaluatedApi api) : IClassFixture<EvaluatedApi>
{
    private ApiServer Server => api.Server;

    [Fact]
    public async Task Performance_lists_every_evaluated_date_newest_first_beside_validation()
    {
        var (response, json) = await Server.GetJsonAsync("/performance");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var items = json.EnumerateArray().ToList();
        items.Select(i => i.GetProperty("predictionDate").GetString()).ShouldBe(["2024-03-11", "2024-03-04"]);
        var first = items[1];
        first.GetProperty("evaluated").GetInt32().ShouldBe(1530);
        first.GetProperty("rocAuc").GetDouble().ShouldBe(0.612);
        first.GetProperty("validationRocAuc").GetDouble().ShouldBe(0.62);
        first.GetProperty("precisionAt10").GetDouble().ShouldBe(0.33);
        first.GetProperty("daysEarlier").GetDouble().ShouldBe(4.1);
        first.GetProperty("status").GetString().ShouldBe("ok");
        items[0].GetProperty("status").GetString().ShouldBe("too-few");
        items[0].GetProperty("daysEarlier").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task One_date_carries_its_calibration_and_an_unknown_or_malformed_date_is_a_problem()
    {
        var (response, json) = await Server.GetJsonAsync("/performance/2024-03-04");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        json.GetProperty("performance").GetProperty("windowEnd").GetString().ShouldBe("2024-05-03");
        var deciles = json.GetProperty("calibration").EnumerateArray().ToList();
        deciles.Select(d => d.GetProperty("decile").GetInt32()).ShouldBe(Enumerable.Range(1, 10));
        deciles[9].GetProperty("meanScore").GetDouble().ShouldBe(0.4, 1e-12);
        deciles[9].GetProperty("failRate").GetDouble().ShouldBe(0.35, 1e-12);

        (await Server.GetJsonAsync("/performance/2024-04-01")).ShouldBeProblem(404, "have not been evaluated");
        (await Server.GetJsonAsync("/performance/2024-13-01")).ShouldBeProblem(400);
    }
}
