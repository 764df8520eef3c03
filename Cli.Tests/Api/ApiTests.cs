using System.Net;
using System.Text.Json;

namespace Inspections.Tests.Api;

/// <summary>A database with two prediction days and two registry rows, and the API running over it.</summary>
public sealed class SeededApi() : SeededApiServer(Seed)
{
    // 2024-05-08 is the latest day, made by model m-2024-04-01; m-2024-05-05 was trained afterwards and serves nothing
    // yet. Establishment 1000004 was predicted on 2024-05-01 only.
    private const string Seed = """
        insert into models.registry (model_id, trained_on, task_parameters, candidate, algorithm, hyper_parameters,
            training_window_start, training_window_end, training_rows, features, fold_metrics, selection_metric,
            selection_value, threshold, threshold_rule, model, model_sha256, run_id)
        values
        ('m-2024-04-01', '2024-04-01', '{"date": "2024-04-01"}', 'lightgbm(leaves=16, trees=200)', 'lightgbm',
         '{"leaves": 16, "trees": 200}', '2012-01-02', '2024-02-26', 41000,
         '["days_since_last", "prior_fails", "risk_level"]',
         '[{"fold": 1, "roc_auc": 0.71, "precision_at_10": 0.42, "brier": 0.15}]', 'precision_at_10', 0.42, 0.5,
         'top 10% of the last fold', '\x00', 'abc123', gen_random_uuid()),
        ('m-2024-05-05', '2024-05-05', '{"date": "2024-05-05"}', 'logistic(l2=0.1)', 'logistic',
         '{"l2": 0.1}', '2012-01-02', '2024-03-31', 42000, '["days_since_last"]',
         '[]', 'precision_at_10', 0.40, 0.45, 'top 10% of the last fold', '\x00', 'def456', gen_random_uuid());

        insert into api.predictions (prediction_date, license, name, address, facility_group, risk_level, score, label,
                                     rank, threshold, model_id)
        values
        ('2024-05-08', '2294381', 'TACO PALACE', '1 N STATE ST', 'restaurant', 'Risk 1 (High)',
         0.91, 'fail', 1, 0.5, 'm-2024-04-01'),
        ('2024-05-08', '1000001', 'CORNER GROCERY', '2 W MADISON ST', 'grocery', 'Risk 2 (Medium)',
         0.55, 'fail', 2, 0.5, 'm-2024-04-01'),
        ('2024-05-08', '1000002', 'BAKERY ONE', '3 S CLARK ST', 'bakery', 'Risk 3 (Low)',
         0.30, 'pass', 3, 0.5, 'm-2024-04-01'),
        ('2024-05-08', '1000003', 'SCHOOL CAFE', '4 E LAKE ST', 'school', 'Risk 1 (High)',
         0.10, 'pass', 4, 0.5, 'm-2024-04-01'),
        ('2024-05-01', '2294381', 'TACO PALACE', '1 N STATE ST', 'restaurant', 'Risk 1 (High)',
         0.42, 'pass', 2, 0.5, 'm-2024-04-01'),
        ('2024-05-01', '1000001', 'CORNER GROCERY', '2 W MADISON ST', 'grocery', 'Risk 2 (Medium)',
         0.60, 'fail', 1, 0.5, 'm-2024-04-01'),
        ('2024-05-01', '1000004', 'OLD DINER', '5 N WELLS ST', 'restaurant', 'Risk 1 (High)',
         0.20, 'pass', 3, 0.5, 'm-2024-04-01');

        -- Predict's three largest contributions, on one row (the 2024-05-01 rows were stored before predict wrote
        -- reasons).
        update api.predictions set reasons = '[
            {"feature": "fails_before", "value": "3", "effect": 0.41,
             "text": "Failed 3 of its 5 inspections (raises the risk)"},
            {"feature": "last_result_fail", "value": "1", "effect": 0.2,
             "text": "Its last pass/fail inspection failed (raises the risk)"},
            {"feature": "risk_level=high", "value": "high", "effect": -0.05,
             "text": "The City rates it high risk (lowers the risk)"}]'
        where prediction_date = '2024-05-08' and license = '2294381';

        -- The day records store-api writes with the rows: the server holds 2024-05-08 in memory.
        insert into api.days (prediction_date, model_id, establishments, fails, stored_at, run_id, model_choice,
                              model_reason)
        values ('2024-05-08', 'm-2024-04-01', 4, 2, now(), gen_random_uuid(), 'pinned',
                'pinned by ops at 2024-05-07 09:00Z (inspections models promote)'),
               ('2024-05-01', 'm-2024-04-01', 3, 1, now(), gen_random_uuid(), null, null);
        """;
}

public sealed class ApiTests(SeededApi api) : IClassFixture<SeededApi>
{
    private ApiServer Server => api.Server;

    [Fact]
    public async Task Establishment_prediction_without_a_date_is_the_latest_with_every_field()
    {
        var (response, json) = await Server.GetJsonAsync("/establishments/2294381/prediction");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.ContentType().MediaType.ShouldBe("application/json");
        json.PropertyNames().ShouldBe([
            "license", "name", "address", "facilityGroup", "riskLevel", "predictionDate", "score", "label", "threshold",
            "rank", "modelId", "reasons",
        ]);
        json.GetProperty("license").GetString().ShouldBe("2294381");
        json.GetProperty("name").GetString().ShouldBe("TACO PALACE");
        json.GetProperty("address").GetString().ShouldBe("1 N STATE ST");
        json.GetProperty("facilityGroup").GetString().ShouldBe("restaurant");
        json.GetProperty("riskLevel").GetString().ShouldBe("Risk 1 (High)");
        json.GetProperty("predictionDate").GetString().ShouldBe("2024-05-08");
        json.GetProperty("score").GetDouble().ShouldBe(0.91);
        json.GetProperty("label").GetString().ShouldBe("fail");
        json.GetProperty("threshold").GetDouble().ShouldBe(0.5);
        json.GetProperty("rank").GetInt32().ShouldBe(1);
        json.GetProperty("modelId").GetString().ShouldBe("m-2024-04-01");
        var reasons = json.GetProperty("reasons").EnumerateArray().ToList();
        reasons.Select(r => r.GetProperty("feature").GetString())
            .ShouldBe(["fails_before", "last_result_fail", "risk_level=high"]);
        reasons[0].PropertyNames().ShouldBe(["feature", "value", "effect", "text"]);
        reasons[0].GetProperty("value").GetString().ShouldBe("3");
        reasons[0].GetProperty("effect").GetDouble().ShouldBe(0.41);
        reasons[0].GetProperty("text").GetString().ShouldBe("Failed 3 of its 5 inspections (raises the risk)");
    }

    [Fact]
    public async Task Establishment_prediction_on_a_date_is_that_day_s()
    {
        var (response, json) = await Server.GetJsonAsync("/establishments/2294381/prediction?date=2024-05-01");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        json.GetProperty("predictionDate").GetString().ShouldBe("2024-05-01");
        json.GetProperty("score").GetDouble().ShouldBe(0.42);
        json.GetProperty("label").GetString().ShouldBe("pass");
        json.GetProperty("rank").GetInt32().ShouldBe(2);
        json.GetProperty("reasons").GetArrayLength().ShouldBe(0);   // stored before predict wrote reasons
    }

    [Fact]
    public async Task Establishment_latest_prediction_is_its_own_latest_day_not_the_global_one()
    {
        var (response, json) = await Server.GetJsonAsync("/establishments/1000004/prediction");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        json.GetProperty("predictionDate").GetString().ShouldBe("2024-05-01");
        json.GetProperty("name").GetString().ShouldBe("OLD DINER");
    }

    [Theory]
    [InlineData("/establishments/9999999/prediction", "No prediction for establishment 9999999")]
    [InlineData("/establishments/9999999/prediction?date=2024-05-08", "No prediction for establishment 9999999")]
    [InlineData("/establishments/1000004/prediction?date=2024-05-08", "was not predicted on 2024-05-08")]
    [InlineData("/establishments/2294381/prediction?date=2030-01-01", "was not predicted on 2030-01-01")]
    public async Task Establishment_prediction_of_an_unknown_establishment_or_date_is_a_404_problem(
        string path,
        string detail)
    {
        (await Server.GetJsonAsync(path)).ShouldBeProblem(404, detail);
    }

    [Theory]
    [InlineData("/establishments/abc/prediction", "not a license number")]
    [InlineData("/establishments/12345678901/prediction", "not a license number")]
    [InlineData("/establishments/-1/prediction", "not a license number")]
    [InlineData("/establishments/1.5/prediction", "not a license number")]
    // Arabic-Indic digits are not license digits.
    [InlineData("/establishments/%D9%A1%D9%A2/prediction", "not a license number")]
    [InlineData("/establishments/2294381/prediction?date=2024-13-01", "not a date")]
    [InlineData("/establishments/2294381/prediction?date=05%2F08%2F2024", "not a date")]
    [InlineData("/establishments/2294381/prediction?date=2024-5-8", "not a date")]
    [InlineData("/establishments/2294381/prediction?date=", "not a date")]
    public async Task Establishment_prediction_with_a_malformed_id_or_date_is_a_400_problem(string path, string detail)
    {
        (await Server.GetJsonAsync(path)).ShouldBeProblem(400, detail);
    }

    [Fact]
    public async Task Predictions_of_a_day_are_ranked_highest_risk_first_with_every_field()
    {
        var (response, json) = await Server.GetJsonAsync("/predictions?date=2024-05-08");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        json.PropertyNames().ShouldBe(["date", "modelId", "label", "total", "limit", "offset", "items"]);
        json.GetProperty("date").GetString().ShouldBe("2024-05-08");
        json.GetProperty("modelId").GetString().ShouldBe("m-2024-04-01");
        json.GetProperty("label").ValueKind.ShouldBe(JsonValueKind.Null);
        json.GetProperty("total").GetInt32().ShouldBe(4);
        json.GetProperty("limit").GetInt32().ShouldBe(100);
        json.GetProperty("offset").GetInt32().ShouldBe(0);
        var items = json.GetProperty("items").EnumerateArray().ToList();
        items.Select(i => i.GetProperty("license").GetString()).ShouldBe(["2294381", "1000001", "1000002", "1000003"]);
        items.Select(i => i.GetProperty("rank").GetInt32()).ShouldBe([1, 2, 3, 4]);
        items[0].PropertyNames().ShouldBe(["license", "name", "score", "label", "rank"]);
        items[0].GetProperty("name").GetString().ShouldBe("TACO PALACE");
        items[0].GetProperty("score").GetDouble().ShouldBe(0.91);
        items[0].GetProperty("label").GetString().ShouldBe("fail");
    }

    [Fact]
    public async Task Predictions_are_paged_by_limit_and_offset()
    {
        var (response, json) = await Server.GetJsonAsync("/predictions?date=2024-05-08&limit=2&offset=1");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        json.GetProperty("total").GetInt32().ShouldBe(4);
        json.GetProperty("limit").GetInt32().ShouldBe(2);
        json.GetProperty("offset").GetInt32().ShouldBe(1);
        json.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("license").GetString())
            .ShouldBe(["1000001", "1000002"]);
    }

    [Fact]
    public async Task Predictions_filtered_by_label_keep_the_day_s_ranks_and_count_only_matches()
    {
        var (response, json) = await Server.GetJsonAsync("/predictions?date=2024-05-08&label=pass");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        json.GetProperty("label").GetString().ShouldBe("pass");
        json.GetProperty("total").GetInt32().ShouldBe(2);
        json.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("rank").GetInt32()).ShouldBe([3, 4]);
        json.GetProperty("items").EnumerateArray().ShouldAllBe(i => i.GetProperty("label").GetString() == "pass");
    }

    [Fact]
    public async Task Predictions_past_the_last_page_are_an_empty_page_not_an_error()
    {
        var (response, json) = await Server.GetJsonAsync("/predictions?date=2024-05-08&offset=10");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        json.GetProperty("total").GetInt32().ShouldBe(4);
        json.GetProperty("items").GetArrayLength().ShouldBe(0);
    }

    [Theory]
    [InlineData("/predictions", "'date' (yyyy-MM-dd) is required")]
    [InlineData("/predictions?date=yesterday", "not a date")]
    [InlineData("/predictions?date=2024-02-30", "not a date")]
    [InlineData("/predictions?date=2024-05-08&label=maybe", "not a label")]
    [InlineData("/predictions?date=2024-05-08&label=FAIL", "not a label")]
    [InlineData("/predictions?date=2024-05-08&limit=0", "not a limit")]
    [InlineData("/predictions?date=2024-05-08&limit=1001", "not a limit")]
    [InlineData("/predictions?date=2024-05-08&limit=ten", "not a limit")]
    [InlineData("/predictions?date=2024-05-08&limit=99999999999999999999", "not a limit")]
    [InlineData("/predictions?date=2024-05-08&offset=-1", "not an offset")]
    [InlineData("/predictions?date=2024-05-08&offset=1e3", "not an offset")]
    [InlineData("/predictions?date=2024-05-08&date=2024-05-01", "not a date")]
    [InlineData("/predictions?date=2024-05-08&limit=1&limit=2", "not a limit")]
    public async Task Predictions_with_bad_parameters_are_a_400_problem(string path, string detail)
    {
        (await Server.GetJsonAsync(path)).ShouldBeProblem(400, detail);
    }

    [Fact]
    public async Task Predictions_of_a_day_without_any_are_a_404_problem()
    {
        (await Server.GetJsonAsync("/predictions?date=2024-05-02"))
            .ShouldBeProblem(404, "Nothing was predicted on 2024-05-02");
    }

    [Fact]
    public async Task Prediction_dates_are_listed_newest_first_with_counts()
    {
        var (response, json) = await Server.GetJsonAsync("/predictions/dates");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var days = json.EnumerateArray().ToList();
        days.Count.ShouldBe(2);
        days[0].PropertyNames().ShouldBe(["date", "establishments", "fails", "modelId"]);
        days.Select(d => (
                d.GetProperty("date").GetString(),
                d.GetProperty("establishments").GetInt32(),
                d.GetProperty("fails").GetInt32()))
            .ShouldBe([("2024-05-08", 4, 2), ("2024-05-01", 3, 1)]);
    }

    [Fact]
    public async Task Current_model_is_the_one_that_made_the_latest_predictions_even_when_a_newer_one_exists()
    {
        var (response, json) = await Server.GetJsonAsync("/models/current");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        json.GetProperty("modelId").GetString().ShouldBe("m-2024-04-01");
        json.GetProperty("servesLatestPredictions").GetBoolean().ShouldBeTrue();
        json.GetProperty("modelChoice").GetString().ShouldBe("pinned");
        json.GetProperty("inUseBecause").GetString()
            .ShouldBe("pinned by ops at 2024-05-07 09:00Z (inspections models promote)");
        json.GetProperty("algorithm").GetString().ShouldBe("lightgbm");
        json.GetProperty("candidate").GetString().ShouldBe("lightgbm(leaves=16, trees=200)");
        json.GetProperty("hyperParameters").GetProperty("trees").GetInt32().ShouldBe(200);
        json.GetProperty("trainedOn").GetString().ShouldBe("2024-04-01");
        json.GetProperty("trainingWindowStart").GetString().ShouldBe("2012-01-02");
        json.GetProperty("trainingWindowEnd").GetString().ShouldBe("2024-02-26");
        json.GetProperty("trainingRows").GetInt32().ShouldBe(41000);
        json.GetProperty("features").EnumerateArray().Select(f => f.GetString())
            .ShouldBe(["days_since_last", "prior_fails", "risk_level"]);
        json.GetProperty("foldMetrics")[0].GetProperty("roc_auc").GetDouble().ShouldBe(0.71);
        // The means over the folds that realised performance (/performance) is set against.
        var validation = json.GetProperty("validation");
        validation.GetProperty("folds").GetInt32().ShouldBe(1);
        validation.GetProperty("rocAuc").GetDouble().ShouldBe(0.71);
        validation.GetProperty("precisionAt10").GetDouble().ShouldBe(0.42);
        validation.GetProperty("daysEarlier").ValueKind.ShouldBe(JsonValueKind.Null);
        json.GetProperty("threshold").GetDouble().ShouldBe(0.5);
        json.GetProperty("thresholdRule").GetString().ShouldBe("top 10% of the last fold");
        json.GetProperty("selectionMetric").GetString().ShouldBe("precision_at_10");
        json.PropertyNames().ShouldNotContain("model"); // the model bytes stay in the database
    }

    [Fact]
    public async Task Health_and_ready_answer_200_when_predictions_are_there()
    {
        var (health, healthJson) = await Server.GetJsonAsync("/health");
        health.StatusCode.ShouldBe(HttpStatusCode.OK);
        healthJson.GetProperty("status").GetString().ShouldBe("up");

        var (ready, readyJson) = await Server.GetJsonAsync("/ready");
        ready.StatusCode.ShouldBe(HttpStatusCode.OK);
        readyJson.GetProperty("status").GetString().ShouldBe("ready");
        readyJson.GetProperty("latestPredictionDate").GetString().ShouldBe("2024-05-08");
        readyJson.GetProperty("servedFromMemory").GetString().ShouldBe("2024-05-08");
    }

    [Fact]
    public async Task Root_redirects_to_the_swagger_ui_which_serves_html_reading_the_openapi_document()
    {
        var root = await Server.Client.GetAsync("/");
        ((int)root.StatusCode).ShouldBeInRange(301, 308);
        root.Headers.Location!.OriginalString.ShouldBe("/swagger");

        var swagger = await Server.Client.GetAsync("/swagger");
        ((int)swagger.StatusCode).ShouldBeInRange(301, 308);
        var page = await Server.Client.GetAsync(
            new Uri(new Uri(Server.Client.BaseAddress!, "/swagger"), swagger.Headers.Location!));
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        page.ContentType().MediaType.ShouldBe("text/html");
        (await page.Content.ReadAsStringAsync()).ShouldContain("swagger-ui");
        (await Server.Client.GetStringAsync("/swagger/index.js")).ShouldContain("\"/openapi/v1.json\"");
    }

    [Fact]
    public async Task Openapi_document_lists_every_endpoint_with_its_parameters_and_responses()
    {
        var (response, doc) = await Server.GetJsonAsync("/openapi/v1.json");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        doc.GetProperty("openapi").GetString().ShouldStartWith("3.1");
        doc.GetProperty("info").GetProperty("title").GetString().ShouldBe("Chicago food inspection risk API");
        var paths = doc.GetProperty("paths");
        paths.PropertyNames().Order().ShouldBe([
            "/establishments/{licenseId}/prediction", "/health", "/models/current", "/performance",
            "/performance/{date}", "/predictions", "/predictions/dates", "/ready",
        ]);

        var expected = new Dictionary<string, (string[] Parameters, string[] Responses)>
        {
            ["/establishments/{licenseId}/prediction"] = (["licenseId", "date"], ["200", "400", "401", "404", "503"]),
            ["/predictions"] = (["date", "label", "limit", "offset"], ["200", "400", "401", "404", "503"]),
            ["/predictions/dates"] = ([], ["200", "401", "503"]),
            ["/models/current"] = ([], ["200", "401", "404", "503"]),
            ["/performance"] = ([], ["200", "401", "503"]),
            ["/performance/{date}"] = (["date"], ["200", "400", "401", "404", "503"]),
            ["/health"] = ([], ["200"]),
            ["/ready"] = ([], ["200", "503"]),
        };
        foreach (var (path, (parameters, responses)) in expected)
        {
            var get = paths.GetProperty(path).GetProperty("get");
            get.GetProperty("summary").GetString().ShouldNotBeNullOrWhiteSpace(path);
            get.GetProperty("description").GetString().ShouldNotBeNullOrWhiteSpace(path);
            (get.TryGetProperty("parameters", out var p)
                    ? p.EnumerateArray().Select(x => x.GetProperty("name").GetString()!).ToArray()
                    : [])
                .ShouldBe(parameters, Case.Sensitive, path);
            get.GetProperty("responses").PropertyNames().Order().ShouldBe(responses, Case.Sensitive, path);
            foreach (var error in get.GetProperty("responses").EnumerateObject().Where(r => r.Name != "200"))
                error.Value.GetProperty("content").PropertyNames()
                    .ShouldBe(["application/problem+json"], Case.Sensitive, $"{path} {error.Name}");
        }

        var license = Parameter(paths, "/establishments/{licenseId}/prediction", "licenseId");
        license.GetProperty("required").GetBoolean().ShouldBeTrue();
        license.GetProperty("schema").GetProperty("pattern").GetString().ShouldBe("^[0-9]{1,10}$");
        Parameter(paths, "/establishments/{licenseId}/prediction", "date")
            .GetProperty("schema").GetProperty("format").GetString().ShouldBe("date");
        var date = Parameter(paths, "/predictions", "date");
        date.GetProperty("required").GetBoolean().ShouldBeTrue();
        date.GetProperty("schema").GetProperty("format").GetString().ShouldBe("date");
        var limit = Parameter(paths, "/predictions", "limit").GetProperty("schema");
        limit.GetProperty("type").GetString().ShouldBe("integer");
        limit.GetProperty("maximum").GetInt32().ShouldBe(1000);
        limit.GetProperty("default").GetInt32().ShouldBe(100);
        Parameter(paths, "/predictions", "label").GetProperty("schema").GetProperty("enum").EnumerateArray()
            .Select(e => e.GetString()).ShouldBe(["fail", "pass"]);

        var schemas = doc.GetProperty("components").GetProperty("schemas");
        schemas.GetProperty("EstablishmentPrediction").GetProperty("properties").PropertyNames()
            .ShouldBe([
                "license", "name", "address", "facilityGroup", "riskLevel", "predictionDate", "score", "label",
                "threshold", "rank", "modelId", "reasons",
            ]);
        schemas.GetProperty("EstablishmentPrediction").GetProperty("properties").GetProperty("score")
            .GetProperty("type").GetString().ShouldBe("number");
    }

    private static JsonElement Parameter(JsonElement paths, string path, string name) =>
        paths.GetProperty(path).GetProperty("get").GetProperty("parameters").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == name);

    [Fact]
    public async Task Unknown_routes_and_methods_are_problems_too()
    {
        (await Server.GetJsonAsync("/nowhere")).ShouldBeProblem(404);
        (await Server.GetJsonAsync("/establishments//prediction")).ShouldBeProblem(404);
        var post = await Server.Client.PostAsync("/predictions?date=2024-05-08", null);
        ((int)post.StatusCode).ShouldBe(405);
        post.ContentType().MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task Every_request_gets_an_access_log_line_with_method_path_status_and_time()
    {
        await Server.Client.GetAsync("/establishments/1000002/prediction?date=2024-05-01");

        Server.Log.ShouldMatch(
            @"info\s+Access: GET /establishments/1000002/prediction\?date=2024-05-01 404 \d+\.\d ms");
    }

    [Fact]
    public async Task Access_log_lines_cannot_be_forged_with_an_encoded_line_break()
    {
        await Server.Client.GetAsync("/establishments/1%0A00:00:00%20info%20%20Access:%20forged/prediction");

        Server.Log.ShouldContain("GET /establishments/1%0A00:00:00%20info%20%20Access:%20forged/prediction 400");
        Server.Log.Split('\n').ShouldNotContain(line => line.StartsWith("00:00:00 info  Access: forged"));
    }

    [Fact]
    public async Task Random_and_hostile_input_gets_only_200_400_or_404_and_never_a_stack_trace()
    {
        var random = new Random(20240508);
        string[] hostile =
        [
            "'", "\"", ";--", "' or '1'='1", "%", "%00", "../", "..%2F", "<script>", "${jndi:x}", " ", "+", "é", "𝟙",
            "١", "0x1F", "2294381", "1000004", "00000000001", "9999999999", "2024-05-08", "2024-05-01", "2024-02-29",
            "0001-01-01", "9999-12-31", "-1", "1e3", "fail", "pass", "1000", "1001", "NaN", "null", "[]", "{}",
            new string('9', 300), "2024-05-08T00:00:00",
        ];
        string Pick() => random.Next(3) switch
        {
            0 => hostile[random.Next(hostile.Length)],
            1 => new string([.. Enumerable.Range(0, random.Next(0, 16)).Select(_ => (char)random.Next(32, 0x2FF))]),
            _ => random.Next(-5, 12_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        string E(string s) => Uri.EscapeDataString(s);

        for (var i = 0; i < 300; i++)
        {
            var path = random.Next(4) switch
            {
                0 => $"/establishments/{E(Pick())}/prediction",
                1 => $"/establishments/{E(Pick())}/prediction?date={E(Pick())}",
                2 => $"/predictions?date={E(Pick())}&label={E(Pick())}&limit={E(Pick())}&offset={E(Pick())}",
                _ => $"/predictions?{E(Pick())}={E(Pick())}&date={(random.Next(2) == 0 ? "2024-05-08" : E(Pick()))}",
            };
            var response = await Server.Client.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            ((int)response.StatusCode).ShouldBeOneOf([200, 400, 404], path);
            if (response.StatusCode != HttpStatusCode.OK)
                response.ContentType().MediaType.ShouldBe("application/problem+json", path);
            body.ShouldNotContain("   at ", Case.Sensitive, path);
        }
    }
}
