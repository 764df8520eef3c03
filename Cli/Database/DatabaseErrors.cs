using System.Net.Sockets;
using Npgsql;

namespace Inspections.Database;

/// <summary>Tells "the database is not there" apart from errors in our own SQL.</summary>
internal static class DatabaseErrors
{
    public static bool IsUnavailable(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case PostgresException pg:
                    // 08: connection exception; 28: authorization; 3D000: no such database;
                    // 57P01-57P03: the server is shutting down or starting up.
                    return pg.SqlState.StartsWith("08") || pg.SqlState.StartsWith("28") || pg.SqlState == "3D000"
                        || pg.SqlState is "57P01" or "57P02" or "57P03";
                case NpgsqlException { IsTransient: true }:
                case SocketException:
                case TimeoutException:
                case EndOfStreamException:
                    return true;
                case NpgsqlException npgsql when npgsql.InnerException is IOException or SocketException:
                    return true;
                // Something that is not PostgreSQL answered on that port (an HTTP server answers 'H').
                case NpgsqlException npgsql
                    when npgsql is not PostgresException
                         && npgsql.Message.StartsWith("Received unknown response", StringComparison.Ordinal):
                    return true;
            }
        }
        return false;
    }

    public static string Describe(Exception e)
    {
        if (e is NpgsqlException { Message: var m }
            && m.StartsWith("Received unknown response", StringComparison.Ordinal))
            return "what answered there is not a PostgreSQL server";
        var innermost = e;
        while (innermost.InnerException is not null) innermost = innermost.InnerException;
        return innermost == e || innermost.Message == e.Message ? e.Message : $"{e.Message} ({innermost.Message})";
    }
}
