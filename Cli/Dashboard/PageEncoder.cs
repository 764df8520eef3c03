using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;

namespace Inspections.Dashboard;

/// <summary>
/// How the dashboard's components encode text and attribute values: the five characters HTML gives a meaning to
/// as entities, as <c>WebUtility.HtmlEncode</c> writes them (the apostrophe as <c>&amp;#39;</c>), everything else as
/// itself, since the page is UTF-8. Enough for text and the double-quoted attributes components write; the
/// framework's default encoder would also write <c>+</c>, line breaks and every letter beyond ASCII as entities.
/// </summary>
internal sealed class PageEncoder : HtmlEncoder
{
    private static readonly SearchValues<char> Special = SearchValues.Create("<>&\"'");

    public override int MaxOutputCharactersPerInputCharacter => "&quot;".Length;

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength) =>
        new ReadOnlySpan<char>(text, textLength).IndexOfAny(Special);

    public override unsafe bool TryEncodeUnicodeScalar(
        int unicodeScalar,
        char* buffer,
        int bufferLength,
        out int numberOfCharactersWritten)
    {
        var output = new Span<char>(buffer, bufferLength);
        var encoded = unicodeScalar switch
        {
            '<' => "&lt;", '>' => "&gt;", '&' => "&amp;", '"' => "&quot;", '\'' => "&#39;",
            _ => null,
        };
        if (encoded is not null)
        {
            numberOfCharactersWritten = encoded.TryCopyTo(output) ? encoded.Length : 0;
            return numberOfCharactersWritten > 0;
        }
        // Not a special character: written as itself (a scalar beyond the BMP as its surrogate pair).
        return new Rune(unicodeScalar).TryEncodeToUtf16(output, out numberOfCharactersWritten);
    }

    public override bool WillEncode(int unicodeScalar) => unicodeScalar is '<' or '>' or '&' or '"' or '\'';
}
