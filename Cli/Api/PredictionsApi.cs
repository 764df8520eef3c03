using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Npgsql;

namespace Inspections.Api;

/// <summary>Endpoint 2: one page of a day's ranking. <c>Total</c> counts the items matching the label filter.</summary>
internal sealed record PredictionPage(DateOnly Date, string ModelId, string? Label, int Total, int Limit, int Offset, IReadOnlyList<PredictionItem> Items);

/// <summary><c>Rank</c> is the rank among all the day's establishments (1 = highest score), also when filtered by label.</summary>
internal sealed record PredictionItem(string License, string Name, double Score, string Label, int Rank);

internal sealed record PredictionDay(DateOnly Date, int Establishments, int Fails, string ModelId);

internal static class PredictionsApi
{
    // The model id comes from the day's first rank (one index probe) and the count reads only what it must:
    // without a label filter the (prediction_date, rank) index alone answers it, once vacuum has set the visibility map.
    private const string DaySql = """
        select (select model_id from api.predictions where prediction_date = @date order by rank limit 1) as ModelId,
               (select count(*)::int from api.predictions where prediction_date = @date) as Total
        """;

    private const string DayWithLabelSql = """
        select (select model_id from api.predictions where prediction_date = @date order by rank limit 1) as ModelId,
               (select count(*)::int from api.predictions where prediction_date = @date and label = @label) as Total
        """;

    private const string PageSql = """
        select license as License, name as Name, score as Score, label as Label, rank as Rank
        from api.predictions
        where prediction_date = @date and (@label::text is null or label = @label)
        order by rank
        limit @limit offset @offset
        """;

    // store-api keeps one record per day next to the rows: no pass over every stored prediction.
    private const string DatesSql = """
        select prediction_date as Date, establishments as Establishments, fails as Fails, model_id as ModelId
        from api.days
        order by prediction_date desc
        """;

    public static RouteGroupBuilder MapPredictions(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/predictions").WithTags("Predictions").WithProblemContentType();
        group.MapGet("", GetPageAsync)
            .WithName("GetPredictions")
            .WithSummary("A day's predictions, highest risk first")
            .WithDescription(
                "Every establishment predicted on the date, ordered by rank (1 = highest score), one page at a time; " +
                "optionally only those labelled `fail` or `pass` (ranks stay the day's ranks). `total` counts the matching " +
                "items over all pages. 400 for a missing or malformed date, an unknown label, a limit outside 1..max " +
                "or a negative offset; 404 when nothing was predicted that day.");
        group.MapGet("/dates", GetDatesAsync)
            .WithName("GetPredictionDates")
            .WithSummary("The dates with predictions")
            .WithDescription("Every prediction date, newest first, with the number of establishments predicted, how many are labelled `fail`, and the model.");
        return group;
    }

    private static async Task<Results<Ok<PredictionPage>, NotFound<ProblemDetails>, BadRequest<ProblemDetails>>> GetPageAsync(
        string? date, string? label, string? limit, string? offset, ApiSettings settings, ServedDayCache served, NpgsqlDataSource db, CancellationToken ct)
    {
        if (date is null) return Problems.BadRequest("The query parameter 'date' (yyyy-MM-dd) is required.");
        if (!ApiParameters.TryParseDate(date, out var day)) return Problems.BadRequest($"'{date}' is not a date of the form yyyy-MM-dd.");
        if (label is not null && !ApiParameters.Labels.Contains(label))
            return Problems.BadRequest($"'{label}' is not a label: use {string.Join(" or ", ApiParameters.Labels)}.");
        if (!ApiParameters.TryParseInt(limit, 1, settings.MaxPageSize, settings.DefaultPageSize, out var pageSize))
            return Problems.BadRequest($"'{limit}' is not a limit: a whole number from 1 to {settings.MaxPageSize}.");
        if (!ApiParameters.TryParseInt(offset, 0, int.MaxValue, 0, out var skip))
            return Problems.BadRequest($"'{offset}' is not an offset: a whole number, 0 or more.");

        if (served.Current is { } newest && newest.Date == day) return TypedResults.Ok(newest.Page(label, pageSize, skip));

        var parameters = new { date = day!.Value, label, limit = pageSize, offset = skip };
        await using var connection = await db.OpenConnectionAsync(ct);
        var summary = await connection.QuerySingleAsync<(string? ModelId, int Total)>(
            new CommandDefinition(label is null ? DaySql : DayWithLabelSql, parameters, cancellationToken: ct));
        if (summary.ModelId is null) return Problems.NotFound($"Nothing was predicted on {day:yyyy-MM-dd}.");
        var items = summary.Total == 0 || skip >= summary.Total
            ? []
            : (await connection.QueryAsync<PredictionItem>(new CommandDefinition(PageSql, parameters, cancellationToken: ct))).AsList();
        return TypedResults.Ok(new PredictionPage(day.Value, summary.ModelId, label, summary.Total, pageSize, skip, items));
    }

    private static async Task<Ok<IReadOnlyList<PredictionDay>>> GetDatesAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var days = await connection.QueryAsync<PredictionDay>(new CommandDefinition(DatesSql, cancellationToken: ct));
        return TypedResults.Ok<IReadOnlyList<PredictionDay>>(days.AsList());
    }
}
