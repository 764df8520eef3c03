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

    public const string ReferenceLegend = "Reference: the model's scores of the whole cohort on its validation dates";
    public const string CurrentLegend = "Current: predictions of ";
    public const string PsiLegend = "PSI of the scores";
    public const string FeaturePsiLegend = "PSI of the most drifted feature";
    public const string FailShareLegend = "Labelled fail, predictions";
    public const string ReferenceFailShareLegend = "Labelled fail, reference cohort";

    public static (int Width, int Height) ScoresSize => (760, 400);

    public static (int Width, int Height) DriftSize => (1100, 330);

    public static (int Width, int Height) FailShareSize => (1100, 260);

    public static (int Width, int Height) PerformanceSize => (700, 320);

    public static (int Width, int Height) CalibrationSize => (420, 320);

    private static readonly Color ReferenceColor = Color.FromHex("#1f77b4");
    private static readonly Color CurrentColor = Color.FromHex("#d95f02");
    private static readonly Color PsiColor = Color.FromHex("#6a3d9a");
    private static readonly Color FeatureColor = Color.FromHex("#1b9e77");
    private static readonly Color FailColor = Color.FromHex("#d62728");
    private static readonly Color WarnColor = Color.FromHex("#e6a100");
    private static readonly Color AlertColor = Color.FromHex("#c62828");
    private static readonly Color AucColor = Color.FromHex("#1f77b4");
    private static readonly Color PrecisionColor = Color.FromHex("#d95f02");

    /// <summary>
    /// True when the chart font is installed (SkiaSharp falls back to another family, or none, when it is not).
    /// </summary>
    public static bool FontInstalled()
    {
        using var typeface = SKFontManager.Default.MatchFamily(FontFamily);
        return typeface?.FamilyName == FontFamily;
    }

    /// <summary>
    /// The two score histograms, as shares so that samples of different sizes compare, over the bins monitor stored
    /// (the scores' actual range): the reference as filled bars, the current as a step outline on top, so both read
    /// where they overlap; the threshold marked.
    /// </summary>
    public static Plot Scores(DriftRecord drift, ScoreHistograms histograms, double? threshold)
    {
        var plot = NewPlot();
        AddHistogram(plot, histograms.Reference, ReferenceColor, $"{ReferenceLegend} (n = {drift.ReferenceRows:N0})");
        AddStepOutline(plot, histograms.Current, CurrentColor,
            $"{CurrentLegend}{drift.MonitorDate:yyyy-MM-dd} (n = {drift.CurrentRows:N0})");
        if (threshold is { } t)
        {
            var line = plot.Add.VerticalLine(t, 1.5f, Colors.Black.WithAlpha(0.8), LinePattern.Dashed);
            line.LegendText = $"Threshold {t:0.###}: at or above is labelled fail";
        }
        var all = histograms.Reference.Concat(histograms.Current).ToList();
        var tallest = all.Select(b => b.Share).DefaultIfEmpty(0).Max();
        plot.Axes.SetLimitsY(0, Math.Max(0.05, tallest * 1.1));
        if (all.Count > 0)
        {
            var (lower, upper) = (all.Min(b => b.Lower), all.Max(b => b.Upper));
            if (threshold is { } th) (lower, upper) = (Math.Min(lower, th), Math.Max(upper, th));
            var pad = (upper - lower) * 0.02;
            plot.Axes.SetLimitsX(lower - pad, upper + pad);
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => v.ToString("0%", CultureInfo.InvariantCulture),
        };
        plot.Title($"Score distributions on {drift.MonitorDate:yyyy-MM-dd}", 15);
        plot.XLabel("Predicted probability of failing the next inspection", 13);
        plot.YLabel("Share of establishments", 13);
        // Below the data: the legend never hides a bar.
        plot.ShowLegend(Edge.Bottom);
        plot.Legend.FontSize = 11;
        plot.Font.Set(FontFamily);
        return plot;
    }

    /// <summary>
    /// PSI of the scores and of the most drifted feature for every monitored date, with the warn and alert levels
    /// in force (as monitor stored them); the selected date marked. Shares labelled fail have a chart of their own.
    /// </summary>
    public static Plot DriftOverTime(
        IReadOnlyList<DriftRecord> history,
        IReadOnlyList<(DateOnly MonitorDate, string Feature, double Psi)> features,
        DateOnly? selected)
    {
        var plot = NewPlot();
        var xs = history.Select(d => X(d.MonitorDate)).ToArray();
        var psi = plot.Add.Scatter(xs, history.Select(d => d.Psi).ToArray(), PsiColor);
        psi.LegendText = PsiLegend;
        psi.LineWidth = 2;
        psi.MarkerSize = 7;
        var worst = features.GroupBy(f => f.MonitorDate).ToDictionary(g => g.Key, g => g.Max(f => f.Psi));
        var featureDates = history.Where(d => worst.ContainsKey(d.MonitorDate)).ToList();
        if (featureDates.Count > 0)
        {
            var feature = plot.Add.Scatter(
                featureDates.Select(d => X(d.MonitorDate)).ToArray(),
                featureDates.Select(d => worst[d.MonitorDate]).ToArray(),
                FeatureColor);
            feature.LegendText = FeaturePsiLegend;
            feature.LineWidth = 2;
            feature.MarkerSize = 6;
            feature.MarkerShape = MarkerShape.OpenSquare;
            feature.LinePattern = LinePattern.DenselyDashed;
        }
        var latest = history.Count > 0 ? history[^1] : null;
        var levels = new List<double>();
        if (latest?.PsiWarn is { } warn)
        {
            AddLevel(plot, warn, WarnColor, $"Warn level ({warn:0.##})");
            levels.Add(warn);
        }
        if (latest?.PsiAlert is { } alert)
        {
            AddLevel(plot, alert, AlertColor, $"Alert level ({alert:0.##})");
            levels.Add(alert);
        }
        if (latest?.FeaturePsiAlert is { } featureAlert && featureAlert != latest.PsiAlert)
        {
            AddLevel(plot, featureAlert, AlertColor.WithAlpha(0.6), $"Feature alert level ({featureAlert:0.##})");
            levels.Add(featureAlert);
        }
        if (selected is { } date) plot.Add.VerticalLine(X(date), 1, Colors.Gray, LinePattern.Dotted);

        DateAxis(plot, xs);
        var top = history.Select(d => d.Psi).Concat(worst.Values).Concat(levels).DefaultIfEmpty(0.3).Max();
        plot.Axes.SetLimitsY(0, Math.Max(0.3, top * 1.15));
        plot.Title("Drift over time", 15);
        plot.XLabel("Monitored date", 13);
        plot.YLabel("Population stability index (PSI)", 13);
        plot.ShowLegend(Edge.Right);
        plot.Legend.FontSize = 11;
        plot.Font.Set(FontFamily);
        return plot;
    }

    /// <summary>
    /// The share labelled fail (score at or above the model's threshold) in the predictions and in the reference
    /// cohort.
    /// </summary>
    public static Plot FailShareOverTime(IReadOnlyList<DriftRecord> history, DateOnly? selected)
    {
        var plot = NewPlot();
        var xs = history.Select(d => X(d.MonitorDate)).ToArray();
        var current = plot.Add.Scatter(xs, history.Select(d => d.FailShareCurrent).ToArray(), FailColor);
        current.LegendText = FailShareLegend;
        current.LineWidth = 2;
        current.MarkerSize = 7;
        var reference = plot.Add.Scatter(xs, history.Select(d => d.FailShareReference).ToArray(),
            Colors.Black.WithAlpha(0.7));
        reference.LegendText = ReferenceFailShareLegend;
        reference.LinePattern = LinePattern.Dashed;
        reference.MarkerSize = 0;
        if (selected is { } date) plot.Add.VerticalLine(X(date), 1, Colors.Gray, LinePattern.Dotted);
        DateAxis(plot, xs);
        var maxShare = history.Count == 0 ? 0 : history.Max(d => Math.Max(d.FailShareCurrent, d.FailShareReference));
        plot.Axes.SetLimitsY(0, Math.Min(1, Math.Max(0.1, maxShare * 1.3)));
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => v.ToString("0%", CultureInfo.InvariantCulture),
        };
        plot.Title("Share labelled fail", 15);
        plot.XLabel("Monitored date", 13);
        plot.YLabel("Share of the cohort", 13);
        plot.ShowLegend(Edge.Right);
        plot.Legend.FontSize = 11;
        plot.Font.Set(FontFamily);
        return plot;
    }

    /// <summary>
    /// One realised figure (ROC AUC or precision at 10%) per evaluated prediction date, against the model's validation
    /// mean and the warn and alert levels below it.
    /// </summary>
    public static Plot PerformanceOverTime(
        IReadOnlyList<PerformanceRecord> history,
        string figure,
        double warnMargin,
        double alertMargin)
    {
        var auc = figure == "roc_auc";
        var plot = NewPlot();
        var rows = history.Where(p => (auc ? p.RocAuc : p.PrecisionAt10) is not null).ToList();
        var xs = rows.Select(p => X(p.PredictionDate)).ToArray();
        var color = auc ? AucColor : PrecisionColor;
        var realised = plot.Add.Scatter(xs, rows.Select(p => (auc ? p.RocAuc : p.PrecisionAt10)!.Value).ToArray(),
            color);
        realised.LegendText = "Realised";
        realised.LineWidth = 2;
        realised.MarkerSize = 7;
        var validation = rows.Select(p => auc ? p.ValidationRocAuc : p.ValidationPrecisionAt10).ToArray();
        if (validation.All(v => v is not null) && rows.Count > 0)
        {
            var v = validation.Select(x => x!.Value).ToArray();
            var line = plot.Add.Scatter(xs, v, Colors.Black);
            line.LegendText = "Validation (mean over folds)";
            line.LinePattern = LinePattern.Dashed;
            line.MarkerSize = 0;
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            var warn = plot.Add.Scatter(xs, v.Select(x => x - warnMargin).ToArray(), WarnColor);
            warn.LegendText = $"Warn: {warnMargin:0.##} below validation";
            warn.MarkerSize = 0;
            warn.LinePattern = LinePattern.Dotted;
            var alert = plot.Add.Scatter(xs, v.Select(x => x - alertMargin).ToArray(), AlertColor);
            alert.LegendText = $"Alert: {alertMargin:0.##} below validation";
            alert.MarkerSize = 0;
            alert.LinePattern = LinePattern.Dotted;
        }
        DateAxis(plot, xs);
        if (auc) plot.Axes.SetLimitsY(0.4, 0.9);
        else
        {
            plot.Axes.SetLimitsY(0, 0.8);
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                LabelFormatter = v => v.ToString("0%", CultureInfo.InvariantCulture),
            };
        }
        plot.Title(auc ? "ROC AUC, realised vs validation" : "Precision at 10%, realised vs validation", 15);
        plot.XLabel("Prediction date (outcomes within the label window)", 13);
        plot.YLabel(auc ? "ROC AUC" : "Precision among the top 10%", 13);
        plot.ShowLegend(Edge.Bottom);
        plot.Legend.FontSize = 11;
        plot.Font.Set(FontFamily);
        return plot;
    }

    /// <summary>
    /// Observed fail rate against mean score per score decile; a calibrated model lies on the diagonal.
    /// </summary>
    public static Plot Calibration(PerformanceRecord performance, IReadOnlyList<CalibrationBin> bins)
    {
        var plot = NewPlot();
        var top = Math.Max(0.1, bins.Select(b => Math.Max(b.MeanScore, b.FailRate)).DefaultIfEmpty(0).Max() * 1.1);
        var diagonal = plot.Add.Scatter(new[] { 0.0, top }, new[] { 0.0, top }, Colors.Gray);
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.MarkerSize = 0;
        diagonal.LegendText = "Perfect calibration";
        var points = plot.Add.Scatter(bins.Select(b => b.MeanScore).ToArray(), bins.Select(b => b.FailRate).ToArray(),
            AucColor);
        points.LegendText = "Score deciles";
        points.MarkerSize = 8;
        points.LineWidth = 1.5f;
        plot.Axes.SetLimits(0, top, 0, top);
        var percent = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => v.ToString("0%", CultureInfo.InvariantCulture),
        };
        plot.Axes.Left.TickGenerator = percent;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => v.ToString("0%", CultureInfo.InvariantCulture),
        };
        plot.Title($"Calibration, {performance.PredictionDate:yyyy-MM-dd}", 15);
        plot.XLabel("Mean predicted probability", 13);
        plot.YLabel("Observed fail rate", 13);
        plot.ShowLegend(Edge.Bottom);
        plot.Legend.FontSize = 11;
        plot.Font.Set(FontFamily);
        return plot;
    }

    private static double X(DateOnly date) => date.ToDateTime(TimeOnly.MinValue).ToOADate();

    private static void AddLevel(Plot plot, double y, Color color, string legend)
    {
        var line = plot.Add.HorizontalLine(y, 1.5f, color, LinePattern.Dashed);
        line.LegendText = legend;
    }

    private static void DateAxis(Plot plot, double[] xs)
    {
        plot.Axes.DateTimeTicksBottom().TickGenerator = new ScottPlot.TickGenerators.DateTimeAutomatic
        {
            LabelFormatter = d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
        if (xs.Length > 0)
        {
            var pad = Math.Max(3, (xs.Max() - xs.Min()) * 0.04);
            plot.Axes.SetLimitsX(xs.Min() - pad, xs.Max() + pad);
        }
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
            root.SetAttributeValue("viewBox",
                $"0 0 {(string?)root.Attribute("width")} {(string?)root.Attribute("height")}");
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

    private static void AddStepOutline(Plot plot, IReadOnlyList<Drift.Bin> bins, Color color, string legend)
    {
        if (bins.Count == 0) return;
        // Each bin's share from its lower edge to the next; a last point closes the final bin at its upper edge.
        var xs = bins.Select(b => b.Lower).Append(bins[^1].Upper).Prepend(bins[0].Lower).ToArray();
        var ys = bins.Select(b => b.Share).Append(bins[^1].Share).Prepend(0).ToArray();
        var outline = plot.Add.Scatter(xs, ys, color);
        outline.ConnectStyle = ConnectStyle.StepHorizontal;
        outline.LineWidth = 2.5f;
        outline.MarkerSize = 0;
        outline.LegendText = legend;
    }

    private static void AddHistogram(Plot plot, IReadOnlyList<Drift.Bin> bins, Color color, string legend)
    {
        if (bins.Count == 0) return;
        var bars = plot.Add.Bars(
            bins.Select(b => (b.Lower + b.Upper) / 2).ToArray(),
            bins.Select(b => b.Share).ToArray());
        bars.Color = color.WithAlpha(0.35);
        for (var i = 0; i < bins.Count; i++)
        {
            var (bar, bin) = (bars.Bars[i], bins[i]);
            bar.Size = bin.Upper - bin.Lower;
            bar.FillColor = color.WithAlpha(0.35);
            bar.LineColor = color.WithAlpha(0.8);
            bar.LineWidth = 1;
        }
        bars.LegendText = legend;
    }
}
