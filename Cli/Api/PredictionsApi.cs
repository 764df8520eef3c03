using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Dapper;
using Inspections.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Npgsql;

namespace Inspections.Api;

/// <summary>Endpoint 2: one page of a day's ranking. <c>Total</c> counts the items matching the label filter.</summary>
internal sealed record PredictionPage(
    [property: Description("The prediction date asked for.")] DateOnly Date,
    [property: Description("The model of the day's rank 1: the model that scored the day.")] string ModelId,
    [property: Description("The label filter asked for, or null for every establishment.")]
    [property: AllowedValues(ApiValues.Fail, ApiValues.Pass, null)] string? Label,
    [property: Description(
        "How many items match (the day's establishments, or those with the label), over all pages.")]
    int Total,
    [property: Description("The page size used.")] int Limit,
    [property: Description("How many matching items come before this page.")] int Offset,
    [property: Description("This page's items, by rank.")] IReadOnlyList<PredictionItem> Items);

/// <summary>
/// <c>Rank</c> is the rank among all the day's establishments (1 = highest score), also when filtered by label.
/// </summary>
internal sealed record PredictionItem(
    [property: Description(
        "The establishment's license number (`License #`): its prediction is " +
        "`GET /establishments/{license}/prediction`.")]
    string License,
    [property: Description("The establishment's name as of the prediction date.")] string Name,
    [property: Description("Probability, 0 to 1, that its next inspection is a Fail.")] double Score,
    [property: Description("`fail` when the score is at least the model's threshold, else `pass`.")]
    [property: AllowedValues(ApiValues.Fail, ApiValues.Pass)] string Label,
    [property: Description("Rank among every establishment predicted that day, 1 = highest score.")] int Rank);

internal sealed record PredictionDay(
    [property: Description("A date with stored predictions.")] DateOnly Date,
    [property: Description("How many establishments were predicted that day.")] int Establishments,
    [property: Description("How many of them are labelled `fail`.")] int Fails,
    [property: Description("The model that scored the day.")] string ModelId);

internal static class PredictionsApi
{
    // store-api keeps one record per day next to the rows: no pass over every stored prediction. Read here only until
    // the server's first poll has listed them (it holds the list and reloads it when a record changes).
    private const string DatesSql = """
        select prediction_date as Date, establishments as Establishments, fails as Fails, model_id as ModelId
        from api.days
        order by prediction_date desc
        """;

    public static RouteGroupBuilder MapPredictions(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/predictions").WithTags("Predictions");
        group.MapGet("", GetPageAsync)
            .WithParameterProblems()
            .WithName("GetPredictions")
            .WithSummary("A day's predictions, highest risk first")
            .WithDescription(
                "Every establishment predicted on the date, ordered by rank (1 = highest score), one page at a time; " +
                "optionally only those labelled `fail` or `pass` (ranks stay the day's ranks). `total` counts the " +
                "matching items over all pages. 400 for a missing or malformed date, an unknown label, a limit " +
                "outside 1..max or a negative offset; 404 when nothing was predicted that day.");
        group.MapGet("/dates", GetDatesAsync)
            .WithName("GetPredictionDates")
            .WithSummary("The dates with predictions")
            .WithDescription(
                "Every prediction date, newest first, with the number of establishments predicted, how many are " +
                "labelled `fail`, and the model.");
        return group;
    }

    private static async Task<Results<Ok<PredictionPage>, JsonBody, ValidationProblem, NotFoundProblem>> GetPageAsync(
        [Description("Prediction date, yyyy-MM-dd (Chicago local date).")] DateParameter date,
        [Description("Only the establishments with this label.")] Label? label,
        [Description("Page size, from 1 to the maximum (Api:MaxPageSize).")] PageLimit? limit,
        [Description("How many items of the ranking to skip.")] PageOffset? offset,
        ApiSettings settings,
        ServedDayCache served,
        CancellationToken ct)
    {
        var pageSize = limit?.Value ?? settings.DefaultPageSize;
        if (pageSize > settings.MaxPageSize)
            return Problems.Invalid("limit",
                PageLimit.Problem(pageSize.ToString(CultureInfo.InvariantCulture), settings.MaxPageSize));
        var (day, only, skip) = (date.Value, label?.Value, offset?.Value ?? 0);

        if (served.Current is { } newest && newest.Date == day)
            return new JsonBody(newest.PageJson(only, pageSize, skip));

        // Any other day: a page cached by the day's store-api run, or read once. A day the last poll did not list
        // (stored a moment ago, or never) is asked of the database all the same.
        var page = await served.Pages.GetAsync(day, served.Days?.RunOf(day), only, pageSize, skip, ct);
        return page is null ? Problems.NotFound($"Nothing was predicted on {Dates.Text(day)}.") : new JsonBody(page);
    }

    private static async Task<Results<Ok<IReadOnlyList<PredictionDay>>, JsonBody>> GetDatesAsync(
        ServedDayCache served,
        NpgsqlDataSource db,
        CancellationToken ct)
    {
        if (served.Days is { } stored) return new JsonBody(stored.Json);
        await using var connection = await db.OpenConnectionAsync(ct);
        var days = await connection.QueryAsync<PredictionDay>(new CommandDefinition(DatesSql, cancellationToken: ct));
        return TypedResults.Ok<IReadOnlyList<PredictionDay>>(days.AsList());
    }
}
