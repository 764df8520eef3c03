using System.ComponentModel;
using Dapper;
using Inspections.Database;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Inspections.Api;

internal sealed record HealthStatus([property: Description("Always `up`: the process answers.")] string Status);

/// <summary><c>ServedFromMemory</c>: the prediction date the API holds in memory, null while it holds none.</summary>
internal sealed record Readiness(
    [property: Description("Always `ready` in a 200; a 503 is a problem saying why not.")] string Status,
    [property: Description("The newest date with stored predictions.")] DateOnly LatestPredictionDate,
    [property: Description("The prediction date the API holds in memory, or null while it holds none (then it reads the database).")] DateOnly? ServedFromMemory);

/// <summary>Liveness (the process answers) and readiness (the database answers and has predictions to serve).</summary>
internal static class HealthApi
{
    private const string LatestDateSql = "select max(prediction_date) from api.predictions";

    public static RouteGroupBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        var services = routes.ServiceProvider;
        var database = new DatabaseOutage(services.GetRequiredService<NpgsqlDataSource>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger("Api.Ready"));
        var group = routes.MapGroup("").WithTags("Health");
        group.MapGet("/health", () => TypedResults.Ok(new HealthStatus("up")))
            .WithName("GetHealth")
            .WithSummary("Liveness")
            .WithDescription("200 whenever the process answers; it does not touch the database.");
        group.MapGet("/ready", (NpgsqlDataSource db, ServedDayCache served, CancellationToken ct) => GetReadyAsync(database, db, served, ct))
            .WithName("GetReady")
            .WithSummary("Readiness")
            .WithDescription("200 with the latest prediction date, and the date held in memory (null while none is), when the database answers and holds predictions; 503 otherwise.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return group;
    }

    private static async Task<Results<Ok<Readiness>, ProblemHttpResult>> GetReadyAsync(DatabaseOutage database, NpgsqlDataSource db,
        ServedDayCache served, CancellationToken ct)
    {
        DateTime? latest;
        try
        {
            latest = await database.ReadAsync(async () =>
            {
                await using var connection = await db.OpenConnectionAsync(ct);
                return await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(LatestDateSql, cancellationToken: ct));
            });
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            // Why is in the log, once per outage: it names the socket's path and quotes the server, which clients never see.
            return Unavailable("The database is unavailable.");
        }
        return latest is { } date
            ? TypedResults.Ok(new Readiness("ready", DateOnly.FromDateTime(date), served.Current?.Date))
            : Unavailable("The database holds no predictions yet: run the pipeline through store-api.");
    }

    private static ProblemHttpResult Unavailable(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready");
}
