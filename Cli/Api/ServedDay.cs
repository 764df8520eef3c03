using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Data;
using System.Diagnostics;
using Dapper;
using Inspections.Database;
using Inspections.Training;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Inspections.Api;

/// <summary>
/// The newest prediction day, whole, in memory: what almost every request asks about. Immutable once
/// built; <see cref="ServedDayCache"/> swaps in a new one. The records are the ones the SQL path reads
/// for the same rows, serialised with the same options, so both paths answer the same bytes.
/// </summary>
internal sealed class ServedDay
{
    // Endpoint 1's bodies, serialised once at load: a request from memory writes bytes (a prediction with its three
    // reasons cost 110 µs of CPU to serialise per request; its bytes, a few).
    private readonly FrozenDictionary<string, byte[]> _json;
    private readonly PredictionItem[] _ranked;
    private readonly PredictionItem[] _fails;
    private readonly PredictionItem[] _passes;

    // Endpoint 2's bodies for the pages asked of this day, serialised once each (a page of 100 items cost about 130 µs
    // per request to serialise), up to 16 MiB of them: a client walking every offset at the largest page size does
    // not grow the day without end; past the bound, pages are serialised per request as before.
    private const long MaxCachedPageBytes = 16L << 20;
    private readonly ConcurrentDictionary<(string? Label, int Limit, int Offset), byte[]> _pages = new();
    private long _cachedPageBytes;
    private readonly Func<PredictionPage, byte[]> _serializePage;

    /// <param name="rows">The day's rows in rank order (rank 1 first); at least one.</param>
    /// <param name="serialize">Endpoint 1's body of a row, as the SQL path's response serialises it.</param>
    /// <param name="serializePage">Endpoint 2's body of a page, likewise.</param>
    public ServedDay(DateOnly date, Guid runId, IReadOnlyList<EstablishmentPrediction> rows,
        Func<EstablishmentPrediction, byte[]> serialize, Func<PredictionPage, byte[]> serializePage)
    {
        _serializePage = serializePage;
        Date = date;
        RunId = runId;
        ModelId = rows[0].ModelId;
        _json = rows.ToFrozenDictionary(r => r.License, serialize, StringComparer.Ordinal);
        _ranked = [.. rows.Select(r => new PredictionItem(r.License, r.Name, r.Score, r.Label, r.Rank))];
        _fails = [.. _ranked.Where(i => i.Label == "fail")];
        _passes = [.. _ranked.Where(i => i.Label == "pass")];
    }

    public DateOnly Date { get; }

    /// <summary>The store-api run that wrote the day: another run id means the day was stored again.</summary>
    public Guid RunId { get; }

    /// <summary>The model of rank 1, as the SQL path reports it.</summary>
    public string ModelId { get; }

    public int Establishments => _ranked.Length;

    /// <summary>
    /// The card of the model that made the day (the current model), or null when the registry no longer has it.
    /// </summary>
    public ModelCard? ModelCard { get; init; }

    /// <summary>
    /// Endpoint 1's body for <paramref name="license"/> on this day (UTF-8 JSON), when it was predicted.
    /// </summary>
    public bool TryGetJson(string license, out byte[] json) => _json.TryGetValue(license, out json!);

    /// <summary>Endpoint 2's body of <see cref="Page"/>, serialised the first time it is asked for.</summary>
    public byte[] PageJson(string? label, int limit, int offset)
    {
        var key = (label, limit, offset);
        if (_pages.TryGetValue(key, out var json)) return json;
        json = _serializePage(Page(label, limit, offset));
        if (Interlocked.Read(ref _cachedPageBytes) + json.Length <= MaxCachedPageBytes && _pages.TryAdd(key, json))
            Interlocked.Add(ref _cachedPageBytes, json.Length);
        return json;
    }

    /// <summary>One page of the ranking, or of one label's items (ranks stay the day's ranks): O(page).</summary>
    public PredictionPage Page(string? label, int limit, int offset)
    {
        var items = label switch { null => _ranked, "fail" => _fails, "pass" => _passes, _ => [] };
        IReadOnlyList<PredictionItem> page = offset >= items.Length
            ? Array.Empty<PredictionItem>()
            : new ArraySegment<PredictionItem>(items, offset, Math.Min(limit, items.Length - offset));
        return new PredictionPage(Date, ModelId, label, items.Length, limit, offset, page);
    }
}

/// <summary>
/// The days <c>api.days</c> records: the store-api run that wrote each, and the list, newest first, as the JSON body
/// <c>GET /predictions/dates</c> sends (serialised once, when the list is read).
/// </summary>
internal sealed class StoredDayList(byte[] json, IReadOnlyDictionary<DateOnly, Guid> runIds)
{
    public byte[] Json { get; } = json;

    public Guid? RunOf(DateOnly date) => runIds.TryGetValue(date, out var run) ? run : null;
}

/// <summary>
/// Holds what the handlers read without asking the database, and keeps it current: the <see cref="ServedDay"/>, the
/// list of stored days, and the replication state. Loads them at start, then polls every <c>Api:RefreshSeconds</c>:
/// it reloads the day when the newest day changed (a new date, the same date stored again, or nothing left to serve),
/// the list when any day's record changed, and samples the replication state every time. Requests never wait for a
/// refresh: they read volatile references to immutable objects. When a poll fails (database down) the last ones keep
/// being served.
/// </summary>
/// <remarks>
/// On a hot standby a day arrives by WAL replay, and replay makes a transaction visible at its commit record, all of
/// it at once. store-api writes a day's rows and its <c>api.days</c> record in one transaction, the poll reads the
/// record and the newest rows' date in one statement, and the reload reads the record and the rows in one repeatable
/// read snapshot: so the day served is always one store-api commit, whole, never part of one being replayed.
/// </remarks>
internal sealed partial class ServedDayCache(
    NpgsqlDataSource db,
    ApiSettings settings,
    ILoggerFactory logs,
    IOptions<JsonOptions> json)
    : BackgroundService
{
    // The newest day's record, and the newest date with rows: they agree whenever store-api wrote the rows.
    // When they do not (rows written some other way), nothing is served from memory and every request reads SQL.
    // The record count and latest stored_at change whenever any day is stored again or removed. Then what the standby
    // has received and replayed: positions as bytes from 0/0.
    private const string PollSql = """
        select newest.prediction_date as Date, newest.run_id as RunId, newest.stored_at as StoredAt,
               (select max(prediction_date) from api.predictions) as NewestRows,
               catalogue.days as Days, catalogue.last_stored as LastStored,
               pg_is_in_recovery() as Standby,
               (pg_last_wal_receive_lsn() - '0/0'::pg_lsn)::bigint as Received,
               (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint as Replayed,
               exists (select from pg_stat_wal_receiver) as Streaming
        from (select count(*)::int as days, max(stored_at) as last_stored from api.days) as catalogue
        left join (
            select prediction_date, run_id, stored_at from api.days order by prediction_date desc limit 1
        ) as newest on true
        """;

    private const string DaySql = """
        select run_id as RunId, model_choice as ModelChoice, model_reason as ModelReason
        from api.days
        where prediction_date = @date
        """;

    private sealed record DayHeader(Guid RunId, string? ModelChoice, string? ModelReason);

    private const string RowsSql = $"""
        select {EstablishmentsApi.Columns}
        from api.predictions
        where prediction_date = @date
        order by rank
        """;

    private const string DaysSql = """
        select prediction_date as Date, establishments as Establishments, fails as Fails, model_id as ModelId,
               run_id as RunId
        from api.days
        order by prediction_date desc
        """;

    private sealed record Poll(
        DateOnly? Date,
        Guid? RunId,
        DateTime? StoredAt,
        DateOnly? NewestRows,
        int Days,
        DateTime? LastStored,
        bool Standby,
        long? Received,
        long? Replayed,
        bool Streaming);

    private sealed record Version(DateOnly? Date, Guid? RunId, DateTime? StoredAt, DateOnly? NewestRows);

    private sealed record DayRecord(DateOnly Date, int Establishments, int Fails, string ModelId, Guid RunId);

    private readonly ILogger _log = logs.CreateLogger("Api.ServedDay");
    private readonly ReplicationLag _lag = new();
    private volatile ServedDay? _current;
    private volatile StoredDayList? _days;
    private volatile ReplicationState? _replication;
    private Version? _seen;
    private (int Days, DateTime? LastStored)? _seenDays;
    private bool _failing;

    /// <summary>
    /// The newest day, or null when there is none to serve from memory (yet): then the handlers read SQL.
    /// </summary>
    public ServedDay? Current => _current;

    /// <summary>The stored days as last polled, or null before the first poll that reached the database.</summary>
    public StoredDayList? Days => _days;

    /// <summary>The replication state at the last poll, or null before the first that reached the database.</summary>
    public ReplicationState? Replication => _replication;

    /// <summary>Endpoint 2's pages of the other days.</summary>
    public DayPages Pages { get; } = new(db, settings.CachedPageItems, page => Utf8(json.Value, page));

    public override async Task StartAsync(CancellationToken ct)
    {
        // Once at start: the app's StartAsync returns after this load (requests arriving during it read SQL).
        await RefreshAsync(ct);
        await base.StartAsync(ct);
    }

    public override void Dispose()
    {
        Pages.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.RefreshSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await RefreshAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Polls once and reloads what changed. Never throws for an unavailable database: it logs and keeps what it has.
    /// </summary>
    private async Task RefreshAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            var poll = await connection.QuerySingleAsync<Poll>(new CommandDefinition(PollSql, cancellationToken: ct));
            _replication = _lag.Observe(
                new ReplicationSample(poll.Standby, poll.Received, poll.Replayed, poll.Streaming),
                Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency);
            if (_failing)
            {
                _failing = false;
                Recovered(_log);
            }

            if ((poll.Days, poll.LastStored) != _seenDays)
            {
                var records = (await connection.QueryAsync<DayRecord>(
                    new CommandDefinition(DaysSql, cancellationToken: ct))).AsList();
                IReadOnlyList<PredictionDay> newestFirst =
                    [.. records.Select(d => new PredictionDay(d.Date, d.Establishments, d.Fails, d.ModelId))];
                _days = new StoredDayList(
                    Utf8(json.Value, newestFirst), records.ToFrozenDictionary(d => d.Date, d => d.RunId));
                _seenDays = (poll.Days, poll.LastStored);
            }

            var version = new Version(poll.Date, poll.RunId, poll.StoredAt, poll.NewestRows);
            if (version == _seen) return;
            var started = Stopwatch.GetTimestamp();
            var served = version.Date is { } date && version.NewestRows == date
                ? await LoadAsync(connection, date, ct)
                : null;
            if (served is not null)
                Loaded(_log, served.Date, served.Establishments, served.RunId,
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            else if (_current is not null) NothingToServe(_log);
            _current = served;
            _seen = version;
        }
        catch (Exception e) when (e is NpgsqlException || DatabaseErrors.IsUnavailable(e))
        {
            // One line per outage, not one per poll.
            if (_failing) return;
            _failing = true;
            PollFailed(_log, DatabaseErrors.Describe(e));
        }
    }

    /// <summary>A body as the endpoints' <c>Ok</c> results serialise it: the API's JSON options.</summary>
    private static byte[] Utf8<T>(JsonOptions options, T value) =>
        JsonSerializer.SerializeToUtf8Bytes(value, options.SerializerOptions.GetTypeInfo(typeof(T)));

    private async Task<ServedDay?> LoadAsync(NpgsqlConnection connection, DateOnly date, CancellationToken ct)
    {
        // One snapshot for the record, the rows and the model card: a store-api committing (or being replayed)
        // meanwhile changes none of them.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var parameters = new { date };
        var header = await connection.QuerySingleOrDefaultAsync<DayHeader>(
            new CommandDefinition(DaySql, parameters, transaction, cancellationToken: ct));
        var rows = (await connection.QueryAsync<EstablishmentRow>(
                new CommandDefinition(RowsSql, parameters, transaction, cancellationToken: ct)))
            .Select(r => r.AsPrediction())
            .ToList();
        var model = rows.Count > 0 ? await ModelRegistry.EntryAsync(connection, rows[0].ModelId, ct) : null;
        await transaction.CommitAsync(ct);
        return header is not null && rows.Count > 0
            ? new ServedDay(date, header.RunId, rows, r => Utf8(json.Value, r), p => Utf8(json.Value, p))
            {
                ModelCard = model?.AsModelCard(servesLatestPredictions: true, header.ModelChoice, header.ModelReason),
            }
            : null;
    }
    [LoggerMessage(Level = LogLevel.Information,
        Message = "Serving {Date:yyyy-MM-dd} from memory: {Establishments} establishments, store-api run {RunId}, " +
            "loaded in {ElapsedMs:0} ms")]
    private static partial void Loaded(ILogger logger, DateOnly date, int establishments, Guid runId, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "No prediction day to serve from memory: every request reads the database")]
    private static partial void NothingToServe(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Cannot check for a newer prediction day ({Reason}); serving the last one loaded, retrying")]
    private static partial void PollFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The database answers again")]
    private static partial void Recovered(ILogger logger);
}
