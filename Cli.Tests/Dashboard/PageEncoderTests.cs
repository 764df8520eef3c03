using Inspections.Dashboard;

namespace Inspections.Tests.Dashboard;

/// <summary>The dashboard's HTML encoder: HTML's five special characters as entities, nothing else.</summary>
public sealed class PageEncoderTests
{
    private static readonly PageEncoder Encoder = new();

    [Fact]
    public void The_characters_html_gives_a_meaning_to_are_entities()
    {
        Encoder.Encode("""<a title="x">'Tom' & Jerry</a>""")
            .ShouldBe("&lt;a title=&quot;x&quot;&gt;&#39;Tom&#39; &amp; Jerry&lt;/a&gt;");
    }

    [Fact]
    public void Every_other_character_is_written_as_itself()
    {
        const string text = "CAFÉ NOÏR + ★ × – · 😀\n\tnext line";

        Encoder.Encode(text).ShouldBe(text);
        using var writer = new StringWriter();
        Encoder.Encode(writer, "O'Hare é", 0, 8);
        writer.ToString().ShouldBe("O&#39;Hare é");
    }
}
