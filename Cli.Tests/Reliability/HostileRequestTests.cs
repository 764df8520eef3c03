using System.Net.Sockets;
using System.Text;
using Inspections.Tests.Api;

namespace Inspections.Tests.Reliability;

/// <summary>
/// Request lines written byte for byte (no client normalising or escaping them): malformed percent-encoding,
/// invalid UTF-8, dot segments, repeated parameters, SQL-ish values, very long and non-ASCII input. The API
/// answers 200, 400 or 404, never a stack trace, and its data is intact afterwards.
/// (Cli.Tests/Api fuzzes with random, properly escaped values.)
/// </summary>
[Collection(SamplePipeline.Collection)]
public sealed class HostileRequestTests(SamplePipeline sample)
{
    private const string Day = SamplePipeline.FirstRun;

    public static TheoryData<string> Targets => new()
    {
        "/establishments/%ZZ/prediction",
        "/establishments/%/prediction",
        "/establishments/%00/prediction",
        "/establishments/%C0%AE%C0%AE/prediction",
        "/establishments/%FF%FE/prediction",
        "/establishments/../../../etc/passwd",
        "/establishments/..%2F..%2F..%2Fetc%2Fpasswd/prediction",
        "/establishments/%2e%2e/prediction",
        "/establishments/1%27%20OR%20%271%27%3D%271/prediction",
        "/establishments/1;select%20pg_sleep(10)/prediction",
        "/establishments/" + new string('9', 4000) + "/prediction",
        "/establishments/%EF%BC%91%EF%BC%90/prediction",
        "/establishments/1/prediction?date=" + Day + "&date=2014-06-02",
        "/establishments/1/prediction?date=" + Day + "T00:00:00Z",
        "/establishments/1/prediction?date=%E2%80%AE1002-60-4102",
        "/predictions?date=" + Day + "&date=" + Day,
        "/predictions?date=" + Day + "&limit=1&limit=2",
        "/predictions?date=" + Day + "&label=fail&label=pass",
        "/predictions?date=" + Day + "%27%20OR%201%3D1--",
        "/predictions?date=" + Day + "&limit=1;drop%20table%20api.predictions",
        "/predictions?date=" + Day + "&limit=99999999999999999999&offset=-1",
        "/predictions?date=" + Day + "&offset=99999999999999999999",
        "/predictions?date=" + new string('A', 4000),
        "/predictions?%ZZ=1&date=" + Day,
        "/predictions?date=" + Day + "&&&==&%",
        "/predictions?date=%EF%BC%92%EF%BC%90%EF%BC%91%EF%BC%94-06-01",
        "/predictions?date[]=" + Day,
        "/predictions/dates?limit=%00",
        "/models/current?model=../../etc/passwd",
        "/establishments/é/prediction",
        "/predictions?date=２０１４-０６-０１",
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task A_hostile_request_line_gets_200_400_or_404_and_no_stack_trace(string target)
    {
        var (server, dataSource) = await ApiServer.StartAsync(sample.Db.ConnectionString);
        await using var _ = dataSource;
        await using var __ = server;
        var rows = await DatabaseProbe.CountAsync(sample.Db.DataSource, "select count(*) from api.predictions");

        var (status, response) = await SendRawAsync(server.Client.BaseAddress!, target);

        status.ShouldBeOneOf([200, 400, 404], response);
        response.ShouldNotContain("   at ", Case.Sensitive);
        response.ShouldNotContain("Exception", Case.Sensitive);
        response.ShouldNotContain("Npgsql", Case.Sensitive);
        (await DatabaseProbe.CountAsync(sample.Db.DataSource, "select count(*) from api.predictions")).ShouldBe(rows);
        var (healthy, _) = await SendRawAsync(server.Client.BaseAddress!, $"/predictions?date={Day}&limit=1");
        healthy.ShouldBe(200);
    }

    /// <summary>One HTTP/1.1 request with <paramref name="target"/> sent as UTF-8 bytes, exactly as given.</summary>
    private static async Task<(int Status, string Response)> SendRawAsync(Uri server, string target)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(
            $"GET {target} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync();
        var statusLine = response.Split("\r\n")[0];
        statusLine.ShouldStartWith("HTTP/1.1 ", customMessage: response);
        return (int.Parse(statusLine.Split(' ')[1]), response);
    }
}
