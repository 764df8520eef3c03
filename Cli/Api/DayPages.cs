using Dapper;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;

namespace Inspections.Api;

/// <summary>
/// Endpoint 2's pages of the days not held whole in memory (every day but the newest), each read once with one
/// statement and then kept in a cache bounded by the items it holds (<c>Api:CachedPageItems</c>, least recently
/// used first out). A page is keyed by the store-api run that wrote its day, so a day stored again is read afresh
/// and the old run's pages just age out.
/// </summary>
internal sealed class DayPages(NpgsqlDataSource db, int maxItems, Func<PredictionPage, byte[]> serialize) : IDisposable
{
    // The day's record and the page's rows in one statement, so one snapshot: the counts always count the rows paged
    // (store-api writes both in one transaction). Ranks are 1..N (store-api numbers them with row_number), so a page
    // of the whole ranking is a range of the (prediction_date, rank) index, not an offset scan.
    private const string RankRangeSql = """
        select d.run_id as RunId, d.model_id as ModelId, d.establishments as Establishments, d.fails as Fails,
               p.license as License, p.name as Name, p.score as Score, p.label as Label, p.rank as Rank
        from api.days d
        left join api.predictions p
            on p.prediction_date = d.prediction_date and p.rank > @offset and p.rank <= @offset + @limit
        where d.prediction_date = @date
        order by p.rank
        """;

    // One label's items: their ranks have gaps, so the offset is counted along the (prediction_date, rank) index.
    private const string LabelPageSql = """
        select d.run_id as RunId, d.model_id as ModelId, d.establishments as Establishments, d.fails as Fails,
               p.license as License, p.name as Name, p.score as Score, p.label as Label, p.rank as Rank
        from api.days d
        left join lateral (
            select license, name, score, label, rank from api.predictions
            where prediction_date = d.prediction_date and label = @label
            order by rank
            limit @limit offset @offset
        ) p on true
        where d.prediction_date = @date
        order by p.rank
        """;

    private sealed record PageRow(Guid RunId, string ModelId, int Establishments, int Fails,
        string? License, string? Name, double? Score, string? Label, int? Rank);

    private readonly record struct Key(DateOnly Date, Guid RunId, string? Label, int Limit, int Offset);

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = maxItems });

    /// <summary>
    /// The page's body (UTF-8 JSON, as endpoint 2's <c>Ok</c> would write it), from the cache when
    /// <paramref name="runId"/> (the day's store-api run, as last polled) has it, else from the database; null when the
    /// database has no record of the day.
    /// </summary>
    public async Task<byte[]?> GetAsync(
        DateOnly date,
        Guid? runId,
        string? label,
        int limit,
        int offset,
        CancellationToken ct)
    {
        if (runId is { } run
            && _cache.TryGetValue(new Key(date, run, label, limit, offset), out byte[]? cached))
            return cached;

        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<PageRow>(new CommandDefinition(
            label is null ? RankRangeSql : LabelPageSql,
            new { date, label, limit, offset },
            cancellationToken: ct))).AsList();
        if (rows.Count == 0) return null;

        var day = rows[0];
        var total = label switch
        {
            null => day.Establishments,
            "fail" => day.Fails,
            _ => day.Establishments - day.Fails,
        };
        PredictionItem[] items = day.License is null
            ? []
            : [.. rows.Select(r => new PredictionItem(
                r.License!, r.Name!, r.Score!.Value, r.Label == "fail" ? "fail" : "pass", r.Rank!.Value))];
        var page = serialize(new PredictionPage(date, day.ModelId, label, total, limit, offset, items));
        // Keyed by the run read, which is newer than the polled one when the day was stored again meanwhile.
        _cache.Set(
            new Key(date, day.RunId, label, limit, offset),
            page,
            new MemoryCacheEntryOptions { Size = Math.Max(1, items.Length) });
        return page;
    }

    public void Dispose() => _cache.Dispose();
}
