using System.Text;
using Inspections.Ingest;

namespace Inspections.Tests.Ingest;

public sealed class SourceTextTests
{
    private static string ReadAll(byte[] bytes)
    {
        using var reader = new EscapingUtf8Reader(new MemoryStream(bytes));
        return reader.ReadToEnd();
    }

    [Fact]
    public void Valid_utf8_reads_back_unchanged_across_buffer_boundaries()
    {
        // 1-, 2-, 3- and 4-byte characters, over several 64 KiB buffers so that some straddle a boundary.
        var text = string.Concat(Enumerable.Repeat("CAFÉ Ñ 中 😀 ", 20_000));

        var read = ReadAll(Encoding.UTF8.GetBytes(text));

        read.ShouldBe(text);
        SourceText.Problem(read).ShouldBeNull();
    }

    [Fact]
    public void A_byte_order_mark_is_skipped()
    {
        ReadAll([0xEF, 0xBB, 0xBF, .. "Inspection ID"u8]).ShouldBe("Inspection ID");
    }

    [Fact]
    public void Each_byte_that_is_not_utf8_becomes_one_escape_that_is_named_and_printed()
    {
        // A lead byte before '(', an encoded surrogate (never valid UTF-8), and a sequence cut by the end of the file.
        byte[] bytes = [(byte)'A', 0xC3, (byte)'(', (byte)'B', 0xED, 0xA0, 0x80, (byte)'C', 0xE2, 0x82];

        var read = ReadAll(bytes);

        read.ShouldBe("A\uDCC3(B\uDCED\uDCA0\uDC80C\uDCE2\uDC82");
        SourceText.Problem(read).ShouldBe("is not valid UTF-8 (byte 0xC3 at character 2)");
        SourceText.Printable(read).ShouldBe(@"A\xC3(B\xED\xA0\x80C\xE2\x82");
        SourceText.Decode(bytes).ShouldBe(read);
    }

    [Fact]
    public void A_nul_is_named_and_printed_and_text_without_one_is_left_as_it_is()
    {
        SourceText.Problem("CAFE\0X").ShouldBe("holds a NUL character (character 5)");
        SourceText.Printable("CAFE\0X").ShouldBe(@"CAFE\x00X");
        const string plain = "CAFÉ 😀";
        SourceText.Printable(plain).ShouldBeSameAs(plain);
    }
}
