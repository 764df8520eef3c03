using System.Buffers.Binary;
using System.Xml.Linq;
using Inspections.Dashboard;
using Inspections.Monitoring;
using Inspections.Tests.Infrastructure;
using SkiaSharp;

namespace Inspections.Tests.Dashboard;

public sealed class DashboardChartsTests
{
    private static readonly DriftRecord Latest = new()
    {
        MonitorDate = new DateOnly(2024, 1, 21), ModelId = "m1", ReferenceRows = 5000, CurrentRows = 4202,
        Psi = 0.318, Ks = 0.25, MeanReference = 0.22, MeanCurrent = 0.34, MeanShift = 0.12,
        FailShareReference = 0.10, FailShareCurrent = 0.27, Status = "alert",
    };

    private static readonly DriftRecord[] History =
    [
        new() { MonitorDate = new DateOnly(2024, 1, 7), Psi = 0.031, FailShareReference = 0.10, FailShareCurrent = 0.11, Status = "ok" },
        new() { MonitorDate = new DateOnly(2024, 1, 14), Psi = 0.142, FailShareReference = 0.10, FailShareCurrent = 0.19, Status = "warn" },
        Latest,
    ];

    private static ScoreHistograms Bins() => new(
        [.. Enumerable.Range(0, 10).Select(b => new Drift.Bin(b, b / 10.0, (b + 1) / 10.0, 500, b < 5 ? 0.18 : 0.02))],
        [.. Enumerable.Range(0, 10).Select(b => new Drift.Bin(b, b / 10.0, (b + 1) / 10.0, 420, b is >= 2 and < 7 ? 0.18 : 0.02))]);

    /// <summary>The text drawn in an SVG chart, one entry per &lt;text&gt; element (ScottPlot 5 writes text as text, not paths).</summary>
    private static List<string> TextsOf(string svg) =>
        XDocument.Parse(svg).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim()).ToList();

    [Fact]
    public void The_chart_font_is_installed_and_draws_text_with_a_width()
    {
        using var typeface = SKFontManager.Default.MatchFamily(DashboardCharts.FontFamily);
        typeface.ShouldNotBeNull("install the Debian package fonts-dejavu-core");
        typeface.FamilyName.ShouldBe(DashboardCharts.FontFamily);
        DashboardCharts.FontInstalled().ShouldBeTrue();
        using var font = new SKFont(typeface, 12);
        font.MeasureText(DashboardCharts.ReferenceLegend).ShouldBeGreaterThan(100);
    }

    [Fact]
    public void The_score_chart_svg_has_both_histograms_the_threshold_axis_titles_and_legend()
    {
        using var plot = DashboardCharts.Scores(Latest, Bins(), threshold: 0.3125);
        var svg = DashboardCharts.Svg(plot, DashboardCharts.ScoresSize);

        var texts = TextsOf(svg);
        texts.ShouldContain("Score distributions on 2024-01-21");
        texts.ShouldContain("Predicted probability of failing the next inspection");
        texts.ShouldContain("Share of establishments");
        texts.ShouldContain($"{DashboardCharts.ReferenceLegend} (n = 5,000)");
        texts.ShouldContain($"{DashboardCharts.CurrentLegend}2024-01-21 (n = 4,202)");
        texts.ShouldContain("Threshold 0.313: at or above is labelled fail");
        XDocument.Parse(svg).Descendants().Where(e => e.Name.LocalName == "text")
            .Select(e => (string?)e.Attribute("font-family")).Distinct().ShouldBe([DashboardCharts.FontFamily]);
        // Both series' bars are drawn in their own colour, semi-transparent.
        svg.ShouldContain("fill=\"#1F77B4\"", Case.Insensitive);
        svg.ShouldContain("fill=\"#FF7F0E\"", Case.Insensitive);
        svg.ShouldContain("fill-opacity=\"0.4");
    }

    [Fact]
    public void The_drift_chart_svg_has_psi_and_fail_shares_over_the_monitored_dates()
    {
        using var plot = DashboardCharts.DriftOverTime(History, new DateOnly(2024, 1, 14));
        var texts = TextsOf(DashboardCharts.Svg(plot, DashboardCharts.DriftSize));

        texts.ShouldContain(DashboardCharts.PsiLegend);
        texts.ShouldContain(DashboardCharts.FailShareLegend);
        texts.ShouldContain(DashboardCharts.ReferenceFailShareLegend);
        texts.ShouldContain("Population stability index (PSI)");
        texts.ShouldContain("Share labelled fail");
        texts.ShouldContain("Monitored date");
        texts.ShouldContain(t => t.StartsWith("2024-01-", StringComparison.Ordinal));
        texts.ShouldContain("30%");
    }

    [Fact]
    public void The_charts_render_as_png_of_the_asked_size()
    {
        using var scores = DashboardCharts.Scores(Latest, Bins(), threshold: null);
        using var drift = DashboardCharts.DriftOverTime(History, null);

        var folder = Path.Combine(SharedData.RepositoryRoot, "artifacts", "charts");
        Directory.CreateDirectory(folder);
        foreach (var (name, png, size) in new[] { ("scores", DashboardCharts.Png(scores, DashboardCharts.ScoresSize), DashboardCharts.ScoresSize),
                                                  ("drift", DashboardCharts.Png(drift, DashboardCharts.DriftSize), DashboardCharts.DriftSize) })
        {
            File.WriteAllBytes(Path.Combine(folder, $"{name}.png"), png); // for people to look at
            png[..8].ShouldBe(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
            BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)).ShouldBe(size.Width);
            BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)).ShouldBe(size.Height);
            png.Length.ShouldBeInRange(10_000, 1_000_000);
        }
    }

    [Fact]
    public void A_single_monitored_date_still_draws_a_readable_drift_chart()
    {
        using var plot = DashboardCharts.DriftOverTime([Latest], Latest.MonitorDate);

        var texts = TextsOf(DashboardCharts.Svg(plot, DashboardCharts.DriftSize));
        texts.ShouldContain(DashboardCharts.PsiLegend);
        texts.ShouldContain(t => t.StartsWith("2024-01-", StringComparison.Ordinal));
    }
}
