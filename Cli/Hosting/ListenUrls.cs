using System.Net;
using Microsoft.AspNetCore.Http;

namespace Inspections.Hosting;

/// <summary>
/// Where a server is told to listen (<c>--urls</c>, <c>Api:Urls</c>), checked before anything starts: each URL must
/// parse, and a server without API keys listens on loopback only, so nothing unauthenticated reaches the network.
/// </summary>
internal static class ListenUrls
{
    /// <param name="keySetting">The section the server reads its keys from (<c>Api:Keys</c>), for the message.</param>
    public static void Check(string urls, ApiKeys keys, string keySetting)
    {
        var parts = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
            throw new UserException(ExitCodes.UsageError,
                "no URL to listen on: give --urls, e.g. http://127.0.0.1:5000");
        foreach (var url in parts)
        {
            var address = Parse(url);
            if (keys.Count == 0 && !IsLocal(address))
                throw new UserException(ExitCodes.UsageError,
                    $"refusing to listen on {url} without API keys: anyone who can reach it could read it. " +
                    "Listen on 127.0.0.1, " +
                    $"or create a key with 'inspections api-key new NAME' and put its hash in {keySetting}:NAME");
        }
    }

    private static BindingAddress Parse(string url)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException)
        {
            throw new UserException(ExitCodes.UsageError,
                $"'{url}' is not a URL to listen on, e.g. http://127.0.0.1:5000");
        }
        if (address.Scheme is not ("http" or "https"))
            throw new UserException(ExitCodes.UsageError,
                $"'{url}': the scheme must be http or https, not '{address.Scheme}'");
        if (!address.IsUnixPipe && !address.IsNamedPipe && address.Port is < 0 or > 65535)
            throw new UserException(ExitCodes.UsageError, $"'{url}': the port must be 0 to 65535");
        if (!address.IsUnixPipe && !address.IsNamedPipe && address.Host.Length == 0)
            throw new UserException(ExitCodes.UsageError, $"'{url}' names no host, e.g. http://127.0.0.1:5000");
        return address;
    }

    /// <summary>
    /// Loopback addresses, <c>localhost</c> (which Kestrel binds to loopback only) and Unix sockets. Anything else,
    /// <c>*</c>, <c>+</c>, 0.0.0.0, ::, a LAN address, another host name, may be reached from the network.
    /// </summary>
    private static bool IsLocal(BindingAddress address) =>
        address.IsUnixPipe
        || string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase)
        || IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
}
