using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Inspections.Ingest;

/// <summary>
/// Source text checked for what PostgreSQL cannot store (NUL) and what decoding would alter. The
/// default UTF-8 decoder turns bytes that are not UTF-8 into U+FFFD, silently; <see cref="Decode"/>
/// turns each into the lone surrogate U+DC00 + the byte instead (Python's "surrogateescape"), which
/// valid UTF-8 never decodes to, so <see cref="Problem"/> finds them, with the byte, and the record is
/// rejected. (A <see cref="DecoderFallback"/> cannot do this: .NET refuses a lone surrogate from one.)
/// </summary>
internal static class SourceText
{
    private const char EscapedByte = '\uDC00';

    /// <summary>
    /// Decodes the whole characters of <paramref name="bytes"/> into <paramref name="chars"/> (at least as long),
    /// each byte that is not UTF-8 as one lone surrogate; an incomplete sequence at the end is left unread
    /// unless <paramref name="final"/>.
    /// </summary>
    public static void Decode(
        ReadOnlySpan<byte> bytes, Span<char> chars, bool final, out int bytesRead, out int charsWritten)
    {
        bytesRead = 0;
        charsWritten = 0;
        while (true)
        {
            var status = Utf8.ToUtf16(bytes[bytesRead..], chars[charsWritten..], out var read, out var written,
                replaceInvalidSequences: false, isFinalBlock: final);
            bytesRead += read;
            charsWritten += written;
            if (status != OperationStatus.InvalidData) return;
            Rune.DecodeFromUtf8(bytes[bytesRead..], out _, out var invalid);
            for (var i = 0; i < invalid; i++) chars[charsWritten++] = (char)(EscapedByte + bytes[bytesRead++]);
        }
    }

    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        Decode(bytes, chars, final: true, out _, out var written);
        return new string(chars, 0, written);
    }

    /// <summary>
    /// Why <paramref name="text"/> cannot be stored as received, or null; one vectorised scan when it is plain.
    /// </summary>
    public static string? Problem(string text)
    {
        var span = text.AsSpan();
        // NUL and surrogates lie outside U+0001..U+D7FF, as do only a few rare characters (U+E000 and up).
        var first = span.IndexOfAnyExceptInRange('\u0001', '\uD7FF');
        if (first < 0) return null;
        for (var i = first; i < span.Length; i++)
        {
            var c = span[i];
            if (c == '\0') return $"holds a NUL character (character {i + 1})";
            if (char.IsHighSurrogate(c) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1])) { i++; continue; }
            if (c is >= '\uDC00' and <= '\uDCFF')
                return $"is not valid UTF-8 (byte 0x{c - EscapedByte:X2} at character {i + 1})";
            if (char.IsSurrogate(c)) return $"holds an unpaired UTF-16 surrogate (character {i + 1})";
        }
        return null;
    }

    /// <summary>
    /// The text with a NUL shown as <c>\x00</c> and an escaped byte as <c>\xC3</c>, for <c>raw.rejects</c>
    /// (which could store neither).
    /// </summary>
    public static string? Printable(string? text)
    {
        if (text is null || Problem(text) is null) return text;
        var printable = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                printable.Append(c).Append(text[++i]);
            else if (c == '\0') printable.Append("\\x00");
            else if (c is >= '\uDC00' and <= '\uDCFF') printable.Append($"\\x{c - EscapedByte:X2}");
            else if (char.IsSurrogate(c)) printable.Append($"\\u{(int)c:X4}");
            else printable.Append(c);
        }
        return printable.ToString();
    }
}
