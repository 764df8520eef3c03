using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Inspections.Hosting;

/// <summary>
/// The API keys a server accepts, from its <c>Keys</c> section: the key's name (who holds it) to the SHA-256 of the
/// key, lower-case hex. Only hashes are configured, so a leaked configuration file or environment gives no key away.
/// A key is 32 random bytes: no dictionary attack reaches it, so a plain SHA-256 (no salt, no slow hash) suffices.
/// </summary>
internal sealed class ApiKeys
{
    /// <summary>What every key starts with, so that secret scanners and people recognise one.</summary>
    public const string Prefix = "insp_";

    private const int MaxKeyLength = 256;

    private readonly (string Name, byte[] Hash)[] _keys;

    private ApiKeys((string Name, byte[] Hash)[] keys) => _keys = keys;

    public int Count => _keys.Length;

    public IEnumerable<string> Names => _keys.Select(k => k.Name);

    /// <param name="setting">Where the keys came from (<c>Api:Keys</c>), for the message when one is malformed.</param>
    public static ApiKeys From(IReadOnlyDictionary<string, string>? configured, string setting)
    {
        var keys = new List<(string, byte[])>();
        foreach (var (name, hash) in configured ?? new Dictionary<string, string>())
        {
            // An empty value is how an environment variable removes a key that appsettings.json lists.
            if (string.IsNullOrWhiteSpace(hash)) continue;
            var hex = hash.Trim();
            if (hex.Length != 64 || hex.AsSpan().ContainsAnyExcept("0123456789abcdefABCDEF"))
                throw new UserException(ExitCodes.UsageError,
                    $"{setting}:{name} must be the 64 hex digits of a key's SHA-256 " +
                    $"(as 'inspections api-key new' prints), not '{Shorten(hex)}'");
            keys.Add((name, Convert.FromHexString(hex)));
        }
        return new ApiKeys([.. keys.OrderBy(k => k.Item1, StringComparer.Ordinal)]);
    }

    /// <summary>A new random key: the prefix and 32 bytes from the OS's CSPRNG, base64url (43 characters).</summary>
    public static string NewKey() => Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>The SHA-256 of the key's UTF-8 bytes, lower-case hex: what the configuration holds.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>
    /// The name of the key, or null when it is none of them. Compares the key's hash with every configured hash in
    /// constant time, and always with all of them, so the time taken says nothing about how close a guess came.
    /// </summary>
    public string? Match(ReadOnlySpan<char> key)
    {
        if (key.IsEmpty || key.Length > MaxKeyLength) return null;
        Span<byte> utf8 = stackalloc byte[MaxKeyLength * 3];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(key, utf8)], hash);
        string? matched = null;
        foreach (var (name, expected) in _keys)
            if (CryptographicOperations.FixedTimeEquals(hash, expected)) matched = name;
        return matched;
    }

    /// <summary>
    /// The key a request carries: <c>Authorization: Bearer KEY</c>, <c>X-Api-Key: KEY</c>, or, for a browser's own
    /// login prompt, <c>Authorization: Basic</c> with the key as the password (any user name). Empty when none.
    /// </summary>
    public static ReadOnlySpan<char> FromRequest(HttpRequest request)
    {
        var authorization = request.Headers.Authorization;
        if (authorization.Count == 1 && authorization[0] is { } value)
        {
            if (value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return value.AsSpan(7).Trim();
            if (value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
                return BasicPassword(value.AsSpan(6).Trim());
        }
        var header = request.Headers["X-Api-Key"];
        return header.Count == 1 && header[0] is { } key ? key.AsSpan().Trim() : [];
    }

    private static ReadOnlySpan<char> BasicPassword(ReadOnlySpan<char> base64)
    {
        if (base64.Length > MaxKeyLength * 2) return [];
        Span<byte> bytes = stackalloc byte[base64.Length];
        if (!Convert.TryFromBase64Chars(base64, bytes, out var written)) return [];
        var text = Encoding.UTF8.GetString(bytes[..written]);
        var colon = text.IndexOf(':');
        return colon < 0 ? [] : text.AsSpan(colon + 1);
    }

    private static string Shorten(string text) => text.Length <= 12 ? text : text[..12] + "...";
}
