using Microsoft.Extensions.Logging;
using Npgsql;

namespace Inspections.Database;

/// <summary>
/// A server's reads through its data source across database outages. The log gets one line when the database goes
/// away, with the reason (socket path, server message: for the operator, never for clients), and one when it answers
/// again, however many requests fail in between. Npgsql hands out pooled connections unchecked, so after PostgreSQL
/// restarted the first read on each idle one fails although the server is back: a read that fails while the database
/// was last seen up therefore drops the pool and runs once more on fresh connections; during a known outage it is not
/// retried, so requests fail fast.
/// </summary>
internal sealed class DatabaseOutage(NpgsqlDataSource dataSource, ILogger log)
{
    private int _down;

    /// <summary>
    /// Runs <paramref name="read"/>; throws what it threw when the database is unavailable
    /// (see <see cref="DatabaseErrors.IsUnavailable"/>).
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<Task<T>> read)
    {
        try
        {
            T result;
            try
            {
                result = await read();
            }
            catch (Exception e) when (DatabaseErrors.IsUnavailable(e) && Volatile.Read(ref _down) == 0)
            {
                dataSource.Clear();
                result = await read();
            }
            if (Interlocked.Exchange(ref _down, 0) == 1) log.LogInformation("the database answers again");
            return result;
        }
        catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
        {
            if (Interlocked.Exchange(ref _down, 1) == 0)
                log.LogWarning("database unavailable: {Reason}; answering 503 until it answers again",
                    DatabaseErrors.Describe(e));
            throw;
        }
    }
}
