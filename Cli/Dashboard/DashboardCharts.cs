using System.Globalization;
using System.Xml.Linq;
using Inspections.Monitoring;
using ScottPlot;
using SkiaSharp;

namespace Inspections.Dashboard;

/// <summary>
/// The dashboard's ScottPlot charts, rendered as SVG (inlined in the page) or PNG (for download).
/// Text is drawn in DejaVu Sans, named explicitly: ScottPlot's own default resolves to a serif here,
/// and with no font at all it silently draws no text (Debian package fonts-dejavu-core).
/// </summary>
internal static class DashboardCharts
{
    public const string FontFamily = "DejaVu Sans";

    public const string ReferenceLegend = "Reference: validation scores of the selected model";
    public const string CurrentLegend = "Current: predictions of ";
    public const string PsiLegend = "PSI (left axis)";
    public const string FailShareLegend = "Share labelled fail (right axis)";
    public const string ReferenceFailShareLegend = "Share labelled fail in validation (right axis)";

    public static (int Width, int Height) ScoresSize => (760, 400);

    public static (int Width, int Height) DriftSize => (1100, 330);

    private static readonly Color ReferenceColor = Color.FromHex("#1f77b4");
    private static readonly Color CurrentColor = Color.FromHex("#ff7f0e");
    private static readonly Color PsiColor = Color.FromHex("#6a3d9a");
    private static readonly Color FailColor = Color.FromHex("#d62728");

    /// <summary>True when the chart font is installed (SkiaSharp falls back to another family, or none, when it is not).</summary>
    public static bool FontInstalled()
    {
        using var typeface = SKFontManager.Default.MatchFamily(FontFamily);
        return typeface?.FamilyName == FontFamily;
    }

    /// <summary>The two score histograms overlaid, as shares so that samples of different sizes compare.</summary>
    public static Plot Scores(DriftRecord drift, ScoreHistograms histograms, double? threshold)
    {
        var plot = NewPlot();
        AddHistogram(plot, histograms.Reference, ReferenceColor, $"{ReferenceLegend} (n = {drift.ReferenceRows:N0})");
        AddHistogram(plot, histograms.Current, CurrentColor, $"{CurrentLegend}{drift.MonitorDate:yyyy-MM-dd} (n = {drift.CurrentRows:N0})");
        if (threshold is { } t)
        {
            var line = plot.Add.VerticalLine(t, 1.5f, Colors.Black.WithAlpha(0.7), LinePattern.Dashed);
            line.LegendText = $"Threshold {t:0.###}: at or above is labelled fail";
        }
        // Headroom above the tallest bar keeps the legend (upper right) off the bars.
        var tallest = histograms.Reference.Concat(histograms.Current).Select(b => b.Share).DefaultIfEmpty(0).Max();
        plot.Axes.SetLimitsY(0, Math.Max(0.05, tallest * 1.45));
        plot.Axes.SetLimitsX(-0.02, 1.02);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(0.1);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = v => v.ToString("0%", CultureInfo.InvariantCulture) };
        plot.Title($"Score distributions on {drift.MonitorDate:yyyy-MM-dd}", 15);
        plot.XLabel("Predicted probability of failing the next inspection", 13);
        plot.YLabel("Share of establishments", 13);
        plot.ShowLegend(Alignment.UpperRight);
        plot.Legend.FontSize = 11;
        plot.Font.Set(FontFamily);
        return plot;
    }

    /// <summary>PSI and the shares labelled fail for every monitored date; the selected date marked.</summary>
    public static Plot DriftOverTime(IReadOnlyList<DriftRecord> history, DateOnly? selected)
    {
        var plot = NewPlot();
        var xs = history.Select(d => d.MonitorDate.ToDateTime(TimeOnly.MinValue).ToOADate()).ToArray();
        var psi = plot.Add.Scatter(xs, history.Select(d => d.Psi).ToArray(), PsiColor);
        psi.LegendText = PsiLegend;
        psi.LineWidth = 2;
        psi.MarkerSize = 7;

        var right = plot.Axes.Right;
        var current = plot.Add.Scatter(xs, history.Select(d => d.FailShareCurrent).ToArray(), FailColor);
        current.LegendText = FailShareLegend;
        current.LineWidth = 2;
        current.MarkerSize = 7;
        current.Axes.YAxis = right;
        var reference = plot.Add.Scatter(xs, history.Select(d => d.FailShareReference).ToArray(), FailColor.WithAlpha(0.6));
        reference.LegendText = ReferenceFailShareLegend;
        reference.LinePattern = LinePattern.Dashed;
        reference.MarkerSize = 0;
        reference.Axes.YAxis = right;

        if (selected is { } date)
            plot.Add.VerticalLine(date.ToDateTime(TimeOnly.MinValue).ToOADate(), 1, Colors.Gray, LinePattern.Dotted);

        plot.Axes.DateTimeTicksBottom().TickGenerator = new ScottPlot.TickGenerators.DateTimeAutomatic
        {
            LabelFormatter = d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
        right.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = v => v.ToString("0%", CultureInfo.InvariantCulture) };
        // Shares and PSI start at zero: drift reads as a distance from the bottom of the chart.
        var maxPsi = history.Count == 0 ? 0 : history.Max(d => d.Psi);
        plot.Axes.SetLimitsY(0, Math.Max(0.3, maxPsi * 1.15), plot.Axes.Left);
        var maxShare = history.Count == 0 ? 0 : history.Max(d => Math.Max(d.FailShareCurrent, d.FailShareReference));
        plot.Axes.SetLimitsY(0, Math.Min(1, Math.Max(0.1, maxShare * 1.25)), right);
        if (xs.Length > 0)
        {
            var pad = Math.Max(3, (xs.Max() - xs.Min()) * 0.04);
            plot.Axes.SetLimitsX(xs.Min() - pad, xs.Max() + pad);
        }
        plot.Title("Drift over time", 15);
        plot.XLabel("Monitored date", 13);
        plot.YLabel("Population stability index (PSI)", 13);
        right.Label.Text = "Share labelled fail";
        right.Label.FontSize = 13;
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Legend.FontSize = 11;
        plot.Font.Set(FontFamily);
        return plot;
    }

    public static string Svg(Plot plot, (int Width, int Height) size) => plot.GetSvgXml(size.Width, size.Height);

    /// <summary>
    /// A standalone SVG made fit to inline in HTML: scaled by its container (viewBox), labelled, and
    /// its ids prefixed so that two charts on one page never share a clip path. Parsed and written
    /// again, so what the page inlines is well-formed XML whatever the text in it.
    /// </summary>
    public static string Inline(string svg, string idPrefix, string label)
    {
        var root = XDocument.Parse(svg).Root!;
        if (root.Attribute("viewBox") is null)
            root.SetAttributeValue("viewBox", $"0 0 {(string?)root.Attribute("width")} {(string?)root.Attribute("height")}");
        root.SetAttributeValue("role", "img");
        root.SetAttributeValue("aria-label", label);
        foreach (var element in root.DescendantsAndSelf())
            foreach (var attribute in element.Attributes())
            {
                if (attribute.Name == "id") attribute.Value = idPrefix + attribute.Value;
                else if (attribute.Value.Contains("url(#", StringComparison.Ordinal))
                    attribute.Value = attribute.Value.Replace("url(#", $"url(#{idPrefix}", StringComparison.Ordinal);
            }
        return root.ToString(SaveOptions.DisableFormatting);
    }

    public static byte[] Png(Plot plot, (int Width, int Height) size) =>
        plot.GetImageBytes(size.Width, size.Height, ImageFormat.Png);

    private static Plot NewPlot()
    {
        var plot = new Plot();
        plot.Font.Set(FontFamily);
        plot.Legend.FontName = FontFamily;
        return plot;
    }

    private static void AddHistogram(Plot plot, IReadOnlyList<Drift.Bin> bins, Color color, string legend)
    {
        if (bins.Count == 0) return;
        var bars = plot.Add.Bars(bins.Select(b => (b.Lower + b.Upper) / 2).ToArray(), bins.Select(b => b.Share).ToArray());
        bars.Color = color.WithAlpha(0.45);
        for (var i = 0; i < bins.Count; i++)
        {
            var (bar, bin) = (bars.Bars[i], bins[i]);
            bar.Size = bin.Upper - bin.Lower;
            bar.FillColor = color.WithAlpha(0.45);
            bar.LineColor = color;
            bar.LineWidth = 1.2f;
        }
        bars.LegendText = legend;
    }
}
