using System.ComponentModel;
using System.Globalization;
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

/// <summary>
/// <c>ServedFromMemory</c>: the prediction date the API holds in memory, null while it holds none.
/// <c>ReplicationLagSeconds</c>: on a hot standby, how far behind its primary it is (at the last poll); null on a
/// primary.
/// </summary>
internal sealed record Readiness(
    [property: Description("Always `ready` in a 200; a 503 is a problem saying why not.")] string Status,
    [property: Description("The newest date with stored predictions.")] DateOnly LatestPredictionDate,
    [property: Description(
        "The prediction date the API holds in memory, or null while it holds none (then it reads the database).")]
    DateOnly? ServedFromMemory,
    [property: Description(
        "On a hot standby, how many seconds it is behind its primary (at the last poll); null on a primary.")]
    double? ReplicationLagSeconds);

/// <summary>
/// Liveness (the process answers) and readiness (the database answers and has predictions to serve, and, when it is a
/// hot standby, lags its primary by at most <c>Api:MaxReplicationLagSeconds</c>: a load balancer then sends requests
/// to the replicas that are current).
/// </summary>
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
        group.MapGet("/ready",
                (NpgsqlDataSource db, ServedDayCache served, ApiSettings settings, CancellationToken ct) =>
                    GetReadyAsync(database, db, served, settings.MaxReplicationLagSeconds, ct))
            .WithName("GetReady")
            .WithSummary("Readiness")
            .WithDescription(
                "200 with the latest prediction date, the date held in memory (null while none is) and, on a read " +
                "replica, its replication lag in seconds (null on a primary), when the database answers and holds " +
                "predictions and a replica lags by at most Api:MaxReplicationLagSeconds; 503 otherwise.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return group;
    }

    private static async Task<Results<Ok<Readiness>, ProblemHttpResult>> GetReadyAsync(
        DatabaseOutage database,
        NpgsqlDataSource db,
        ServedDayCache served,
        double maxLagSeconds,
        CancellationToken ct)
    {
        DateTime? latest;
        try
        {
            latest = await database.ReadAsync(async () =>
            {
                await using var connection = await db.OpenConnectionAsync(ct);
                return await connection.ExecuteScalarAsync<DateTime?>(
                    new CommandDefinition(LatestDateSql, cancellationToken: ct));
            });
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            // Why is in the log, once per outage: it names the socket's path and quotes the server, which clients
            // never see.
            return Unavailable("The database is unavailable.");
        }
        if (latest is not { } date)
            return Unavailable("The database holds no predictions yet: run the pipeline through store-api.");
        var replication = served.Replication is { Standby: true } standby ? standby : null;
        if (replication is { } r && maxLagSeconds > 0 && r.LagSeconds > maxLagSeconds)
            return Unavailable(r.Streaming
                ? string.Create(CultureInfo.InvariantCulture,
                    $"The read replica is {r.LagSeconds:0} s behind its primary, " +
                    $"more than Api:MaxReplicationLagSeconds ({maxLagSeconds:0.#} s).")
                : string.Create(CultureInfo.InvariantCulture,
                    $"The read replica has not received from its primary for {r.LagSeconds:0} s, " +
                    $"more than Api:MaxReplicationLagSeconds ({maxLagSeconds:0.#} s)."));
        return TypedResults.Ok(new Readiness(
            "ready",
            DateOnly.FromDateTime(date),
            served.Current?.Date,
            replication is null ? null : Math.Round(replication.LagSeconds, 1)));
    }

    private static ProblemHttpResult Unavailable(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready");
}
