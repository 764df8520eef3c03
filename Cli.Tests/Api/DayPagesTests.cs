using System.Globalization;
using System.Net;
using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Api;

/// <summary>Endpoint 2 for a day older than the newest: pages cached by the day's store-api run.</summary>
public sealed class DayPagesTests : IAsyncLifetime
{
    private static readonly DateOnly Older = new(2024, 5, 1), Newest = new(2024, 5, 8);

    private readonly TestDatabase _db = new();

    public Task InitializeAsync() => _db.InitializeAsync();

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task An_older_day_stored_again_is_paged_afresh_not_from_the_cache()
    {
        var days = await StoredDays.SeedAsync(_db.DataSource);
        await days.StoreAsync(Older, StoredDays.Scores(10, seed: 1));
        await days.StoreAsync(Newest, StoredDays.Scores(5, seed: 2));
        var (server, readOnly) = await ApiServer.StartAsync(_db.ConnectionString);
        await using var _ = readOnly;
        await using var __ = server;
        var path = $"/predictions?date={Older.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}&limit=100";

        var (response, first) = await server.GetJsonAsync(path);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        first.GetProperty("total").GetInt32().ShouldBe(10);
        (await server.GetJsonAsync(path)).Json.GetProperty("total").GetInt32().ShouldBe(10); // now from the cache

        await days.StoreAsync(Older, StoredDays.Scores(12, seed: 9), force: true);

        var again = await ServedDayTests.EventuallyAsync(server, path,
            json => json.GetProperty("total").GetInt32() == 12);
        again.GetProperty("items").GetArrayLength().ShouldBe(12);
        (await server.GetJsonAsync("/ready")).Json.GetProperty("servedFromMemory").GetString().ShouldBe("2024-05-08");
    }
}
