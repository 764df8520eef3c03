using System.Collections.Frozen;
using System.Data;
using System.Diagnostics;
using Dapper;
using Inspections.Database;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Inspections.Api;

/// <summary>
/// The newest prediction day, whole, in memory: what almost every request asks about. Immutable once
/// built; <see cref="ServedDayCache"/> swaps in a new one. The records are the ones the SQL path reads
/// for the same rows, so both paths serialize to the same bytes.
/// </summary>
internal sealed class ServedDay
{
    private readonly FrozenDictionary<string, EstablishmentPrediction> _byLicense;
    private readonly PredictionItem[] _ranked;
    private readonly PredictionItem[] _fails;
    private readonly PredictionItem[] _passes;

    /// <param name="rows">The day's rows in rank order (rank 1 first); at least one.</param>
    public ServedDay(DateOnly date, Guid runId, IReadOnlyList<EstablishmentPrediction> rows)
    {
        Date = date;
        RunId = runId;
        ModelId = rows[0].ModelId;
        _byLicense = rows.ToFrozenDictionary(r => r.License, StringComparer.Ordinal);
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

    public bool TryGet(string license, out EstablishmentPrediction prediction) => _byLicense.TryGetValue(license, out prediction!);

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
/// Holds the <see cref="ServedDay"/> the handlers read, and keeps it current: loads it at start, then
/// polls <c>api.days</c> every <c>Api:RefreshSeconds</c> and reloads when the newest day changed (a new
/// date, the same date stored again, or nothing left to serve). Requests never wait for a refresh:
/// they read one volatile reference to an immutable day. When a poll fails (database down) the last
/// day keeps being served.
/// </summary>
internal sealed partial class ServedDayCache(NpgsqlDataSource db, ApiSettings settings, ILoggerFactory logs) : BackgroundService
{
    // The newest day's record, and the newest date with rows: they agree whenever store-api wrote the rows.
    // When they do not (rows written some other way), nothing is served from memory and every request reads SQL.
    private const string PollSql = """
        select newest.prediction_date as Date, newest.run_id as RunId, newest.stored_at as StoredAt,
               (select max(prediction_date) from api.predictions) as NewestRows
        from (select 1) as one
        left join (select prediction_date, run_id, stored_at from api.days order by prediction_date desc limit 1) as newest on true
        """;

    private const string DaySql = "select run_id from api.days where prediction_date = @date";

    private const string RowsSql = $"""
        select {EstablishmentsApi.Columns}
        from api.predictions
        where prediction_date = @date
        order by rank
        """;

    private sealed record Version(DateOnly? Date, Guid? RunId, DateTime? StoredAt, DateOnly? NewestRows);

    private readonly ILogger _log = logs.CreateLogger("Api.ServedDay");
    private volatile ServedDay? _current;
    private Version? _seen;
    private bool _failing;

    /// <summary>The newest day, or null when there is none to serve from memory (yet): then the handlers read SQL.</summary>
    public ServedDay? Current => _current;

    public override async Task StartAsync(CancellationToken ct)
    {
        // Once at start: the app's StartAsync returns after this load (requests arriving during it read SQL).
        await RefreshAsync(ct);
        await base.StartAsync(ct);
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

    /// <summary>Polls once and reloads the day when it changed. Never throws for an unavailable database: it logs and keeps the day.</summary>
    private async Task RefreshAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            var version = await connection.QuerySingleAsync<Version>(new CommandDefinition(PollSql, cancellationToken: ct));
            if (_failing)
            {
                _failing = false;
                Recovered(_log);
            }
            if (version == _seen) return;

            var started = Stopwatch.GetTimestamp();
            var served = version.Date is { } date && version.NewestRows == date ? await LoadAsync(connection, date, ct) : null;
            if (served is not null) Loaded(_log, served.Date, served.Establishments, served.RunId, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
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

    private static async Task<ServedDay?> LoadAsync(NpgsqlConnection connection, DateOnly date, CancellationToken ct)
    {
        // One snapshot for the record and the rows: a store-api committing meanwhile changes neither.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var parameters = new { date };
        var runId = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(DaySql, parameters, transaction, cancellationToken: ct));
        var rows = (await connection.QueryAsync<EstablishmentPrediction>(new CommandDefinition(RowsSql, parameters, transaction, cancellationToken: ct))).AsList();
        await transaction.CommitAsync(ct);
        return runId is { } run && rows.Count > 0 ? new ServedDay(date, run, rows) : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving {Date:yyyy-MM-dd} from memory: {Establishments} establishments, store-api run {RunId}, loaded in {ElapsedMs:0} ms")]
    private static partial void Loaded(ILogger logger, DateOnly date, int establishments, Guid runId, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "No prediction day to serve from memory: every request reads the database")]
    private static partial void NothingToServe(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot check for a newer prediction day ({Reason}); serving the last one loaded, retrying")]
    private static partial void PollFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The database answers again")]
    private static partial void Recovered(ILogger logger);
}
