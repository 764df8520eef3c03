using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Inspections.Hosting;

namespace Inspections.Tests.Api;

/// <summary>
/// One stored day (one name is markup) served by an API that has one key configured, on real Kestrel.
/// </summary>
public sealed class KeyedApi() : SeededApiServer(Seed, new() { ["Api:Keys:alice"] = ApiKeys.Hash(Key) })
{
    public const string Day = "2024-05-08";
    public const string ModelId = "m-2024-04-01";
    public const string Script = "<script>alert(1)</script>";

    public static readonly string Key = ApiKeys.NewKey();

    private const string Seed = $"""
        insert into api.predictions (prediction_date, license, name, address, facility_group, risk_level, score, label,
                                     rank, threshold, model_id)
        values
        ('{Day}', '2294381', 'TACO PALACE', '1 N STATE ST', 'restaurant', 'Risk 1 (High)',
         0.91, 'fail', 1, 0.5, '{ModelId}'),
        ('{Day}', '1000001', '{Script}', '2 W MADISON ST', 'grocery', 'Risk 2 (Medium)',
         0.30, 'pass', 2, 0.5, '{ModelId}');
        insert into api.days (prediction_date, model_id, establishments, fails, stored_at, run_id)
        values ('{Day}', '{ModelId}', 2, 1, now(), gen_random_uuid());
        """;
}

public sealed class ApiSecurityTests(KeyedApi api) : IClassFixture<KeyedApi>
{
    private HttpClient Client => api.Server.Client;

    /// <summary>
    /// A GET with the key as a bearer token, or with the headers <paramref name="headers"/> sets instead.
    /// </summary>
    private static HttpRequestMessage Get(string path, Action<HttpRequestHeaders>? headers = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        (headers ?? (h => h.Authorization = new AuthenticationHeaderValue("Bearer", KeyedApi.Key)))(request.Headers);
        return request;
    }

    private static HttpRequestMessage Anonymous(string path) => Get(path, _ => { });

    private static HttpRequestMessage WithKey(string path, string key) =>
        Get(path, h => h.Authorization = new AuthenticationHeaderValue("Bearer", key));

    private async Task<(HttpResponseMessage Response, JsonElement Json)> SendAsync(HttpRequestMessage request)
    {
        var response = await Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return (response, body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone());
    }

    [Theory]
    [InlineData("/predictions?date=" + KeyedApi.Day)]
    [InlineData("/establishments/2294381/prediction")]
    [InlineData("/predictions/dates")]
    [InlineData("/models/current")]
    [InlineData("/metrics")]
    [InlineData("/no/such/path")]
    public async Task Without_a_key_every_route_but_the_open_ones_is_a_401_problem_with_a_challenge(string path)
    {
        var result = await SendAsync(Anonymous(path));

        result.ShouldBeProblem(401, "Authorization: Bearer KEY");
        result.Response.Headers.WwwAuthenticate.ShouldHaveSingleItem().Scheme.ShouldBe("Bearer");
    }

    [Fact]
    public async Task A_wrong_key_is_a_401_and_so_is_a_key_that_differs_in_one_character()
    {
        (await SendAsync(WithKey("/predictions/dates", "insp_wrong"))).ShouldBeProblem(401);
        var almost = KeyedApi.Key[..^1] + (KeyedApi.Key[^1] == 'a' ? 'b' : 'a');
        (await SendAsync(WithKey("/predictions/dates", almost))).ShouldBeProblem(401);
    }

    [Fact]
    public async Task The_key_is_accepted_as_a_bearer_token_as_x_api_key_and_as_a_basic_password()
    {
        (await Client.SendAsync(Get("/establishments/2294381/prediction"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Client.SendAsync(Get("/establishments/2294381/prediction",
                headers: h => h.Add("X-Api-Key", KeyedApi.Key))))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"anyone:{KeyedApi.Key}"));
        (await Client.SendAsync(Get("/establishments/2294381/prediction",
                headers: h => h.Authorization = new("Basic", basic))))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("/health", 200)]
    [InlineData("/ready", 200)]
    [InlineData("/openapi/v1.json", 200)]
    [InlineData("/swagger/index.html", 200)]
    [InlineData("/", 302)]
    public async Task Liveness_readiness_and_the_documentation_answer_without_a_key(string path, int status)
    {
        var response = await Client.SendAsync(Anonymous(path));

        ((int)response.StatusCode).ShouldBe(status);
    }

    [Fact]
    public async Task Every_response_says_nosniff_a_401_and_a_404_included()
    {
        foreach (var request in new[]
                 {
                     Anonymous("/health"), Anonymous("/predictions/dates"), Get("/establishments/42/prediction"),
                 })
        {
            var response = await Client.SendAsync(request);
            response.Headers.GetValues("X-Content-Type-Options")
                .ShouldBe(["nosniff"], $"{request.RequestUri} {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task Markup_in_a_name_is_escaped_in_the_json_from_memory_and_from_the_database()
    {
        foreach (var path in new[]
                 {
                     "/establishments/1000001/prediction", $"/establishments/1000001/prediction?date={KeyedApi.Day}",
                     $"/predictions?date={KeyedApi.Day}",
                 })
        {
            var response = await Client.SendAsync(Get(path));
            var body = await response.Content.ReadAsStringAsync();

            response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
            body.ShouldNotContain("<", customMessage: path);
            body.ShouldContain(@"\u003Cscript\u003E", Case.Insensitive, path);
            body.ShouldContain("alert(1)"); // the rest of the name as it was
        }
    }

    [Fact]
    public async Task Every_get_route_of_the_openapi_document_answers_head_with_the_status_of_get_and_no_body()
    {
        using var document = JsonDocument.Parse(await Client.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths").EnumerateObject()
            .Select(p => p.Name.Replace("{licenseId}", "2294381")
                + (p.Name == "/predictions" ? $"?date={KeyedApi.Day}" : ""))
            .Append("/health").Append("/swagger/index.html").Append("/metrics").Distinct().ToList();
        paths.Count.ShouldBeGreaterThan(5);

        foreach (var path in paths)
        {
            var get = await Client.SendAsync(Get(path));
            var head = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path)
            {
                Headers = { Authorization = new("Bearer", KeyedApi.Key) },
            });

            ((int)head.StatusCode).ShouldBe((int)get.StatusCode, path);
            head.StatusCode.ShouldNotBe(HttpStatusCode.MethodNotAllowed, path);
            (await head.Content.ReadAsByteArrayAsync()).ShouldBeEmpty(path);
        }
    }

    [Fact]
    public async Task Metrics_count_requests_by_route_template_and_status_and_say_which_day_and_model_are_served()
    {
        (await Client.SendAsync(Get("/establishments/2294381/prediction"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Client.SendAsync(Get("/establishments/999/prediction"))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await Client.SendAsync(Anonymous("/predictions/dates"))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var response = await Client.SendAsync(Get("/metrics"));
        var text = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.ContentType().MediaType.ShouldBe("text/plain");
        text.ShouldContain("# TYPE http_requests_total counter");
        text.ShouldContain("# TYPE http_request_duration_seconds histogram");
        text.ShouldContain(
            """http_requests_total{route="/establishments/{licenseId}/prediction",method="GET",status="200"}""");
        text.ShouldContain(
            """http_requests_total{route="/establishments/{licenseId}/prediction",method="GET",status="404"}""");
        text.ShouldContain("""http_requests_total{route="/predictions/dates",method="GET",status="401"}""");
        text.ShouldContain(
            """http_request_duration_seconds_bucket{route="/establishments/{licenseId}/prediction",""" +
            """method="GET",status="200",le="+Inf"}""");
        text.ShouldNotContain("2294381"); // a route template, never a path: one series per route
        text.ShouldContain(
            $$"""inspections_api_served_day_info{prediction_date="{{KeyedApi.Day}}",""" +
            $$"""model_id="{{KeyedApi.ModelId}}"} 1""");
        text.ShouldContain("inspections_api_served_establishments 2");
        text.ShouldContain("inspections_api_served_prediction_date_seconds " +
            $"{new DateTimeOffset(2024, 5, 8, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds()}");
        text.ShouldContain("process_cpu_seconds_total");
    }
}

/// <summary>
/// What Kestrel answers itself, before any middleware runs (so without a problem body, which it does not let an app
/// add): the status is right, the body empty, the connection closed, and the server answers the next request.
/// </summary>
public sealed class KestrelRejectionTests(KeyedApi api) : IClassFixture<KeyedApi>
{
    public static TheoryData<string, int> Rejected => new()
    {
        { "GET /establishments/%00/prediction HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
        { "GARBAGE\r\n\r\n", 400 },
        { $"GET /{new string('a', 9000)} HTTP/1.1\r\nHost: x\r\n\r\n", 414 },
        { $"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {new string('a', 40_000)}\r\n\r\n", 431 },
        { "GET /health HTTP/2.5\r\nHost: x\r\n\r\n", 505 },
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public async Task A_request_kestrel_rejects_gets_its_status_an_empty_body_and_no_trace(string request, int status)
    {
        var uri = api.Server.Client.BaseAddress!;
        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync(uri.Host, uri.Port);
            await using var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
            using var reader = new StreamReader(stream, Encoding.ASCII);
            var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));

            response.ShouldStartWith($"HTTP/1.1 {status} ");
            response.ShouldContain("Content-Length: 0");
            response.ShouldContain("Connection: close");
            response.ShouldEndWith("\r\n\r\n");
        }
        (await api.Server.Client.GetAsync("/health")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
