using System.Globalization;
using Dapper;
using Inspections.Hosting;
using Inspections.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Inspections.Ingest;

/// <summary>
/// Loads inspections dated up to the run date into <c>raw.inspections</c>, incrementally: the first
/// run loads the whole history up to D; a later run reads only the window from the last stored
/// inspection date (at or before D) minus <c>Ingest:RereadDays</c>, so records published late or
/// corrected within those days are caught. A record is stored once per inspection id; a changed
/// one replaces it and counts as updated, except that a field it lacks keeps the stored value (an
/// export cannot tell an erased field from a missing one). Malformed records, and values a later
/// stage could not cast or serve (see <see cref="SourceRecord.Parse"/>), go to <c>raw.rejects</c>.
/// </summary>
/// <remarks>
/// <c>--force</c> re-reads the same kind of window idempotently: records already stored and
/// unchanged stay as they are, changed ones are updated, and the run's earlier rejects are replaced.
/// It does not remove records an earlier run stored (they are the source's records, whoever brought them).
/// </remarks>
/// <summary>
/// What an ingest run read and stored; every record read is counted in exactly one of the rows_ figures.
/// </summary>
internal sealed record IngestResult(
    DateOnly? LastStoredDate, DateOnly? WindowStart, long RowsRead, long RowsNew, long RowsUpdated, long RowsUnchanged,
    long RowsRejected, long RowsAfterDate, long RowsBeforeWindow, long DuplicateIdsInSource, double RejectShare,
    int? Pages) : TaskResult
{
    public override long RowsWritten => RowsNew + RowsUpdated + RowsRejected;
}

internal sealed class IngestTask(DateOnly date, string source, IReadOnlyList<PipelineTask> upstream)
    : StageTask<IngestResult>(date, source, upstream)
{
    public override string Name => "ingest";

    public override async Task<IngestResult> RunAsync(TaskContext ctx, CancellationToken ct)
    {
        var connection = ctx.Connection;
        var rereadDays = ctx.Settings.Configuration.GetValue<int>("Ingest:RereadDays");
        var lastStored = await ctx.ScalarAsync<DateOnly?>(
            "select max(inspection_date) from raw.inspections where inspection_date <= @date", new { date = Date }, ct);
        DateOnly? windowStart = lastStored?.AddDays(-rereadDays);

        await ctx.ExecuteAsync(CreateBatch, null, ct);

        var counts = new Counts();
        var rejects = new List<(SourceRecord Record, string Reason)>();
        var pages = 0;
        await using (var writer = await connection.BeginBinaryImportAsync(CopyBatch, ct))
        {
            await foreach (var record in Read(ctx, windowStart, page => pages = page, ct))
            {
                counts.Read++;
                if (counts.Read % 5000 == 0)
                    ctx.Progress.Report(counts.Read, null, pages > 0 ? $"rows ({pages} pages)" : "rows");
                var keys = record.Parse();
                if (keys.RejectReason is { } reason)
                {
                    rejects.Add((record, reason));
                    continue;
                }
                if (keys.Date > Date) { counts.AfterDate++; continue; }
                if (keys.Date < windowStart) { counts.BeforeWindow++; continue; }

                await writer.StartRowAsync(ct);
                await writer.WriteAsync(record.Number, NpgsqlDbType.Bigint, ct);
                await writer.WriteAsync(keys.Id, NpgsqlDbType.Bigint, ct);
                await writer.WriteAsync(keys.Date, NpgsqlDbType.Date, ct);
                foreach (var value in record.Values)
                    await writer.WriteAsync(value, NpgsqlDbType.Text, ct);
                await writer.WriteAsync(record.Extra, NpgsqlDbType.Jsonb, ct);
                counts.Batch++;
            }
            await writer.CompleteAsync(ct);
        }
        ctx.Progress.Report(counts.Read, counts.Read, "rows");

        await ctx.ExecuteAsync("analyze ingest_batch", null, ct);
        var merged = await ctx.SingleAsync<(long Incoming, long New, long Updated)>(
            Upsert, new { run = ctx.RunId }, ct);

        if (merged.Incoming > 0) await DatabaseSource.BindAsync(connection, ctx.Transaction, Source, ctx.RunId, ct);

        // Downstream stages read raw.inspections in this run's wake: give the planner its new size.
        await ctx.ExecuteAsync("analyze raw.inspections", null, ct);
        await ctx.ExecuteAsync("delete from raw.rejects where run_date = @date and source = @source",
            new { date = Date, source = Source }, ct);
        await WriteRejectsAsync(ctx, rejects, ct);
        if (rejects.Count > 0)
        {
            // Rejects within the threshold still pass: say so where the operator looks, not only in raw.rejects.
            var reasons = rejects.Select(r => $"#{r.Record.Number} {r.Reason}").Take(3);
            ctx.Log.LogWarning(
                "{Rejected} of {Read} records rejected, kept with their reasons in raw.rejects: {Reasons}{More}",
                rejects.Count, counts.Read, string.Join("; ", reasons), rejects.Count > 3 ? "; ..." : "");
        }

        return new IngestResult(lastStored, windowStart, counts.Read, merged.New, merged.Updated,
            RowsUnchanged: merged.Incoming - merged.New - merged.Updated, RowsRejected: rejects.Count,
            counts.AfterDate, counts.BeforeWindow, DuplicateIdsInSource: counts.Batch - merged.Incoming,
            RejectShare: counts.Read == 0 ? 0 : (double)rejects.Count / counts.Read, Pages: pages > 0 ? pages : null);
    }

    private IAsyncEnumerable<SourceRecord> Read(
        TaskContext ctx, DateOnly? windowStart, Action<int> pageDone, CancellationToken ct)
    {
        if (Source == "socrata")
        {
            var settings = ctx.Settings.Bind<SocrataSettings>("Ingest:Socrata");
            return new SocrataClient(settings, ctx.Log).ReadAsync(windowStart, Date, pageDone, ct);
        }
        return Path.GetExtension(Source).ToLowerInvariant() switch
        {
            ".csv" => CsvExportReader.ReadAsync(Source, ct),
            ".json" => SodaJson.ReadFileAsync(Source, ct),
            _ => throw new UserException(ExitCodes.UsageError,
                $"--source {Source}: expected socrata, a .csv portal export or a .json SODA file"),
        };
    }

    private async Task WriteRejectsAsync(
        TaskContext ctx, List<(SourceRecord Record, string Reason)> rejects, CancellationToken ct)
    {
        await using var writer = await ctx.Connection.BeginBinaryImportAsync(CopyRejects, ct);
        foreach (var (record, reason) in rejects)
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(Date, NpgsqlDbType.Date, ct);
            await writer.WriteAsync(Source, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(ctx.RunId, NpgsqlDbType.Uuid, ct);
            await writer.WriteAsync(record.Number, NpgsqlDbType.Bigint, ct);
            await writer.WriteAsync(SourceText.Printable(record[SourceRecord.Id]), NpgsqlDbType.Text, ct);
            await writer.WriteAsync(reason, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(record.ToJson(), NpgsqlDbType.Jsonb, ct);
        }
        await writer.CompleteAsync(ct);
    }

    public override async Task CheckAsync(TaskContext ctx, IngestResult r, CheckSet checks, CancellationToken ct)
    {
        var accounted = r.RowsNew + r.RowsUpdated + r.RowsUnchanged + r.RowsRejected + r.RowsAfterDate
                        + r.RowsBeforeWindow + r.DuplicateIdsInSource;
        checks.Equal("rows_accounted_for", r.RowsRead, accounted,
            "every record read is new, updated, unchanged, rejected, dated after {date}, before the window, " +
            "or a repeated id");

        checks.AtMost("max_reject_share", r.RejectShare,
            "{rows_rejected} of {rows_read} records were malformed (see raw.rejects for the reasons)",
            await KeysAsync(ctx,
                "select coalesce(inspection_id_text, '#' || record_number) || ': ' || reason from raw.rejects " +
                "where ingest_run_id = @run limit 10", ct));

        checks.AtMost("max_duplicate_ids", r.DuplicateIdsInSource,
            "records that repeat an inspection id already read in this run (the last one read is kept)");

        var late = await KeysAsync(ctx,
            "select inspection_id::text from raw.inspections " +
            "where ingest_run_id = @run and inspection_date > @date limit 10", ct);
        checks.None("no_date_after_run_date", late.Count, "no record this run stored is dated after {date}", late);

        // A first load of nothing (a header-only file, a date before the data) would leave every later stage
        // empty, and fail three tasks on. Counted only up to the threshold: an index scan of a few rows.
        var atLeast = (long)Math.Ceiling(Math.Max(0, checks.Threshold("min_stored_rows")));
        var stored = await ctx.ScalarAsync<long>(
            "select count(*) from (select from raw.inspections where inspection_date <= @date limit @atLeast) s",
            new { date = Date, atLeast }, ct);
        checks.AtLeast("min_stored_rows", stored,
            "raw inspections dated up to {date} once this run is done, counted up to the threshold");

        var unparsable = await KeysAsync(ctx,
            "select inspection_id::text from raw.inspections " +
            "where ingest_run_id = @run and inspection_id_text !~ '^\\s*[0-9]+\\s*$' limit 10", ct);
        checks.None("ids_are_integers", unparsable.Count,
            "every stored record's id is the integer it is keyed by", unparsable);
    }

    private Task<IReadOnlyList<string>> KeysAsync(TaskContext ctx, string sql, CancellationToken ct) =>
        ctx.QueryAsync<string>(sql, new { run = ctx.RunId, date = Date }, ct);

    private sealed class Counts
    {
        public long Read;
        public long Batch;
        public long AfterDate;
        public long BeforeWindow;
    }

    private const string CreateBatch = """
        create temp table ingest_batch (
            record_number bigint, inspection_id bigint, inspection_date date,
            inspection_id_text text, dba_name text, aka_name text, license text, facility_type text, risk text,
            address text, city text, state text, zip text, inspection_date_text text, inspection_type text,
            results text, violations text, latitude text, longitude text, location text, extra jsonb
        ) on commit drop
        """;

    private const string CopyBatch = """
        copy ingest_batch (record_number, inspection_id, inspection_date,
            inspection_id_text, dba_name, aka_name, license, facility_type, risk, address, city, state, zip,
            inspection_date_text, inspection_type, results, violations, latitude, longitude, location, extra)
        from stdin (format binary)
        """;

    private const string CopyRejects = """
        copy raw.rejects (run_date, source, ingest_run_id, record_number, inspection_id_text, reason, record)
        from stdin (format binary)
        """;

    // A repeated id within one read keeps its last record. An absent field keeps the stored value: the
    // portal's exports cannot tell a field the City erased from one the file left out, and taking absence
    // for erasure wiped stored results. Only the dataset's fields decide "changed": the date's text, the
    // location's shape and extra keys differ between CSV and JSON for the same record.
    private const string Upsert = """
        with latest as (
            select distinct on (inspection_id) * from ingest_batch order by inspection_id, record_number desc
        ), incoming as (
            select b.inspection_id, b.inspection_date, b.inspection_id_text, b.inspection_date_text,
                   coalesce(b.dba_name, r.dba_name) as dba_name, coalesce(b.aka_name, r.aka_name) as aka_name,
                   coalesce(b.license, r.license) as license,
                   coalesce(b.facility_type, r.facility_type) as facility_type,
                   coalesce(b.risk, r.risk) as risk, coalesce(b.address, r.address) as address,
                   coalesce(b.city, r.city) as city, coalesce(b.state, r.state) as state, coalesce(b.zip, r.zip) as zip,
                   coalesce(b.inspection_type, r.inspection_type) as inspection_type,
                   coalesce(b.results, r.results) as results,
                   coalesce(b.violations, r.violations) as violations, coalesce(b.latitude, r.latitude) as latitude,
                   coalesce(b.longitude, r.longitude) as longitude, coalesce(b.location, r.location) as location,
                   coalesce(b.extra, r.extra) as extra
            from latest b left join raw.inspections r on r.inspection_id = b.inspection_id
        ), merged as (
            insert into raw.inspections as r (inspection_id, inspection_date, inspection_id_text, dba_name, aka_name,
                license, facility_type, risk, address, city, state, zip, inspection_date_text, inspection_type,
                results, violations, latitude, longitude, location, extra, ingest_run_id, first_run_id)
            select inspection_id, inspection_date, inspection_id_text, dba_name, aka_name, license,
                facility_type, risk, address, city, state, zip, inspection_date_text, inspection_type, results,
                violations, latitude, longitude, location, extra, @run, @run
            from incoming
            on conflict (inspection_id) do update set
                inspection_date = excluded.inspection_date, inspection_id_text = excluded.inspection_id_text,
                dba_name = excluded.dba_name, aka_name = excluded.aka_name, license = excluded.license,
                facility_type = excluded.facility_type, risk = excluded.risk, address = excluded.address,
                city = excluded.city, state = excluded.state, zip = excluded.zip,
                inspection_date_text = excluded.inspection_date_text, inspection_type = excluded.inspection_type,
                results = excluded.results, violations = excluded.violations, latitude = excluded.latitude,
                longitude = excluded.longitude, location = excluded.location, extra = excluded.extra,
                ingest_run_id = excluded.ingest_run_id, revisions = r.revisions + 1
            where (r.inspection_date, r.dba_name, r.aka_name, r.license, r.facility_type, r.risk, r.address, r.city,
                   r.state, r.zip, r.inspection_type, r.results, r.violations, r.latitude::numeric,
                   r.longitude::numeric)
               is distinct from
                  (excluded.inspection_date, excluded.dba_name, excluded.aka_name, excluded.license,
                   excluded.facility_type, excluded.risk, excluded.address, excluded.city, excluded.state,
                   excluded.zip, excluded.inspection_type, excluded.results, excluded.violations,
                   excluded.latitude::numeric, excluded.longitude::numeric)
            returning (xmax = 0) as inserted
        )
        select (select count(*) from incoming) as incoming,
               count(*) filter (where inserted) as new,
               count(*) filter (where not inserted) as updated
        from merged
        """;
}
