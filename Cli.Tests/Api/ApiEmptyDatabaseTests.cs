using System.Net;
using Inspections.Tests.Infrastructure;
using Npgsql;

namespace Inspections.Tests.Api;

/// <summary>The API before the pipeline stored anything, and the API when the database is gone.</summary>
public sealed class ApiEmptyDatabaseTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Ready_is_a_503_problem_while_the_database_holds_no_predictions_and_health_stays_200()
    {
        await using var server = await ApiServer.StartAsync(db.DataSource);

        (await server.GetJsonAsync("/ready")).ShouldBeProblem(503, "no predictions");
        (await server.Client.GetAsync("/health")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_empty_database_gives_404_problems_and_no_dates()
    {
        await using var server = await ApiServer.StartAsync(db.DataSource);

        (await server.GetJsonAsync("/models/current")).ShouldBeProblem(404, "No model");
        (await server.GetJsonAsync("/establishments/2294381/prediction")).ShouldBeProblem(404);
        (await server.GetJsonAsync("/predictions?date=2024-05-08")).ShouldBeProblem(404);
        var (response, dates) = await server.GetJsonAsync("/predictions/dates");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        dates.GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task An_unreachable_database_gives_503_problems_without_internals_and_health_stays_200()
    {
        var nobody = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = TestCluster.FreePort(),
            Username = "nobody",
            Database = "nothing",
            Timeout = 2,
        };
        await using var dataSource = NpgsqlDataSource.Create(nobody.ConnectionString);
        await using var server = await ApiServer.StartAsync(dataSource);

        (await server.GetJsonAsync("/ready")).ShouldBeProblem(503, "database is unavailable");
        var (response, json) = await server.GetJsonAsync("/establishments/2294381/prediction");
        (response, json).ShouldBeProblem(503);
        json.ToString().ShouldNotContain("Npgsql");
        json.ToString().ShouldNotContain("   at ");
        (await server.Client.GetAsync("/health")).StatusCode.ShouldBe(HttpStatusCode.OK);
        server.Log.ShouldContain("GET /establishments/2294381/prediction 503");
    }

    [Fact]
    public async Task A_server_error_is_a_500_problem_without_a_stack_trace()
    {
        var broken = new TestDatabase();
        await broken.InitializeAsync();
        try
        {
            await using (var drop = broken.DataSource.CreateCommand("drop table api.predictions"))
                await drop.ExecuteNonQueryAsync();
            await using var server = await ApiServer.StartAsync(broken.DataSource);

            var (response, json) = await server.GetJsonAsync("/establishments/2294381/prediction");

            (response, json).ShouldBeProblem(500);
            json.ToString().ShouldNotContain("api.predictions");
            json.ToString().ShouldNotContain("   at ");
            server.Log.ShouldContain("GET /establishments/2294381/prediction 500");
        }
        finally
        {
            await broken.DisposeAsync();
        }
    }
}
