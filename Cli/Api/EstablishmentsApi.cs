using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Dapper;
using Inspections.Hosting;
using Inspections.Prediction;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Npgsql;

namespace Inspections.Api;

/// <summary>Endpoint 1: one establishment's prediction.</summary>
internal sealed record EstablishmentPrediction(
    [property: Description("The establishment's license number (`License #` on the City's portal).")] string License,
    [property: Description("The establishment's name (`DBA Name`) as of the prediction date.")] string Name,
    [property: Description("Its street address as of the prediction date.")] string Address,
    [property: Description("Its facility type folded into a group (the City has 250-odd spellings).")]
    [property: AllowedValues(
        ApiValues.Daycare, ApiValues.School, ApiValues.HospitalCare, ApiValues.Mobile, ApiValues.Bakery,
        ApiValues.Restaurant, ApiValues.Grocery, ApiValues.LiquorTavern, ApiValues.Other, ApiValues.Unknown)]
    string FacilityGroup,
    [property: Description(
        "The City's risk category: `high` (Risk 1), `medium` (Risk 2), `low` (Risk 3), `all`, or `unknown` when " +
        "the record has none.")]
    [property: AllowedValues(ApiValues.High, ApiValues.Medium, ApiValues.Low, ApiValues.All, ApiValues.Unknown)]
    string RiskLevel,
    [property: Description("The date the score is for (Chicago local date).")] DateOnly PredictionDate,
    [property: Description("Probability, 0 to 1, that the establishment's next inspection is a Fail.")] double Score,
    [property: Description("`fail` when the score is at least the model's threshold, else `pass`.")]
    [property: AllowedValues(ApiValues.Fail, ApiValues.Pass)] string Label,
    [property: Description("The model's threshold: the score from which the label is `fail`.")] double Threshold,
    [property: Description("Rank among every establishment predicted that day, 1 = highest score.")] int Rank,
    [property: Description("The model that made the score (its card: `GET /models/current`).")] string ModelId,
    [property: Description(
        "The three largest contributions to the score, largest first, as predict computed them with the model: " +
        "the feature, the establishment's value, its effect and the reason in words. Empty for predictions stored " +
        "before reasons were.")]
    IReadOnlyList<ScoreReason> Reasons);

/// <summary>A row of <c>api.predictions</c> as Dapper reads it: the reasons as their JSON text.</summary>
internal sealed record EstablishmentRow(
    string License,
    string Name,
    string Address,
    string FacilityGroup,
    string RiskLevel,
    DateOnly PredictionDate,
    double Score,
    string Label,
    double Threshold,
    int Rank,
    string ModelId,
    string? ReasonsJson)
{
    public EstablishmentPrediction AsPrediction() => new(
        License,
        Name,
        Address,
        FacilityGroup,
        RiskLevel,
        PredictionDate,
        Score,
        Label,
        Threshold,
        Rank,
        ModelId,
        ScoreReasons.FromJson(ReasonsJson));
}

internal static class EstablishmentsApi
{
    /// <summary>The columns of <see cref="EstablishmentRow"/>, also what <see cref="ServedDayCache"/> loads.</summary>
    internal const string Columns = """
        license as License, name as Name, address as Address, facility_group as FacilityGroup, risk_level as RiskLevel,
        prediction_date as PredictionDate, score as Score, label as Label, threshold as Threshold, rank as Rank,
        model_id as ModelId, reasons::text as ReasonsJson
        """;

    private const string LatestSql = $"""
        select {Columns}
        from api.predictions
        where license = @license
        order by prediction_date desc
        limit 1
        """;

    private const string OnDateSql = $"""
        select {Columns}
        from api.predictions
        where license = @license and prediction_date = @date
        """;

    private const string KnownSql = "select exists (select 1 from api.predictions where license = @license)";

    public static RouteGroupBuilder MapEstablishments(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/establishments").WithTags("Establishments");
        group.MapGet("/{licenseId}/prediction", GetPredictionAsync)
            .WithParameterProblems()
            .WithName("GetEstablishmentPrediction")
            .WithSummary("One establishment's prediction")
            .WithDescription(
                "The score (probability that the establishment's next inspection is a Fail), the label (`fail` when " +
                "the score is at least the model's threshold), the day's rank, the three largest contributions to " +
                "the score in words, and the establishment's name, address, facility group and risk level, for the " +
                "given prediction date or, without one, the latest date the establishment was predicted. " +
                "400 when the license is not 1-10 digits or the date is not yyyy-MM-dd; 404 when the establishment " +
                "or date is unknown.");
        return group;
    }

    private static async Task<Results<Ok<EstablishmentPrediction>, JsonBody, NotFoundProblem>> GetPredictionAsync(
        [Description("The establishment's license number (`License #` on the City's portal): 1 to 10 digits.")]
        LicenseId licenseId,
        [Description("Prediction date, yyyy-MM-dd (Chicago local date); without it, the establishment's latest.")]
        DateParameter? date,
        ServedDayCache served,
        NpgsqlDataSource db,
        CancellationToken ct)
    {
        var license = licenseId.Value;
        var onDate = date?.Value;

        // The newest day is every establishment's latest date when it was predicted that day; anything else
        // (older dates, establishments absent from it, the 404 wording) is the database's to answer.
        if (served.Current is { } newest
            && (onDate is null || onDate == newest.Date)
            && newest.TryGetJson(license, out var cached))
            return new JsonBody(cached);

        await using var connection = await db.OpenConnectionAsync(ct);
        var row = onDate is { } day
            ? await connection.QuerySingleOrDefaultAsync<EstablishmentRow>(
                new CommandDefinition(OnDateSql, new { license, date = day }, cancellationToken: ct))
            : await connection.QuerySingleOrDefaultAsync<EstablishmentRow>(
                new CommandDefinition(LatestSql, new { license }, cancellationToken: ct));
        if (row is not null) return TypedResults.Ok(row.AsPrediction());

        if (onDate is null) return Problems.NotFound($"No prediction for establishment {license}.");
        var known = await connection.ExecuteScalarAsync<bool>(
            new CommandDefinition(KnownSql, new { license }, cancellationToken: ct));
        return Problems.NotFound(known
            ? $"Establishment {license} was not predicted on {Dates.Text(onDate.Value)}."
            : $"No prediction for establishment {license}.");
    }
}

/// <summary>
/// A JSON body serialised once, when the served day was loaded (<see cref="ServedDay.TryGetJson"/>): the response
/// <see cref="Ok{TValue}"/> would write for the same record, without serialising it per request. OpenAPI documents the
/// 200 from <see cref="Ok{TValue}"/>, the other arm of the same union.
/// </summary>
internal sealed class JsonBody(byte[] utf8) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = utf8.Length;
        return response.Body.WriteAsync(utf8, httpContext.RequestAborted).AsTask();
    }
}
