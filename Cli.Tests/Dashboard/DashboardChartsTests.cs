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
        FailShareReference = 0.10, FailShareCurrent = 0.27, Status = "alert", PsiWarn = 0.1, PsiAlert = 0.25,
        FeaturePsiWarn = 0.1, FeaturePsiAlert = 0.25,
    };

    private static readonly (DateOnly, string, double)[] FeatureHistory =
    [
        (new DateOnly(2024, 1, 7), "fails_before", 0.02), (new DateOnly(2024, 1, 14), "fails_before", 0.09),
        (new DateOnly(2024, 1, 21), "fails_before", 0.21), (new DateOnly(2024, 1, 21), "risk_level", 0.05),
    ];

    private static readonly DriftRecord[] History =
    [
        new()
        {
            MonitorDate = new DateOnly(2024, 1, 7), Psi = 0.031, FailShareReference = 0.10, FailShareCurrent = 0.11,
            Status = "ok",
        },
        new()
        {
            MonitorDate = new DateOnly(2024, 1, 14), Psi = 0.142, FailShareReference = 0.10, FailShareCurrent = 0.19,
            Status = "warn",
        },
        Latest,
    ];

    private static ScoreHistograms Bins() => new(
        [.. Enumerable.Range(0, 10).Select(b => new Drift.Bin(b, b / 10.0, (b + 1) / 10.0, 500, b < 5 ? 0.18 : 0.02))],
        [
            .. Enumerable.Range(0, 10)
                .Select(b => new Drift.Bin(b, b / 10.0, (b + 1) / 10.0, 420, b is >= 2 and < 7 ? 0.18 : 0.02)),
        ]);

    /// <summary>
    /// The text drawn in an SVG chart, one entry per &lt;text&gt; element (ScottPlot 5 writes text as text, not paths).
    /// </summary>
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
        // The reference as semi-transparent bars, the current as an outline of its own colour: both read where they
        // overlap.
        svg.ShouldContain("fill=\"#1F77B4\"", Case.Insensitive);
        svg.ShouldContain("fill-opacity=\"0.3");
        svg.ShouldContain("stroke=\"#D95F02\"", Case.Insensitive);
        svg.ShouldNotContain("fill=\"#D95F02\"", Case.Insensitive);
    }

    [Fact]
    public void The_score_chart_spans_the_scores_actual_range_not_zero_to_one()
    {
        var narrow = new ScoreHistograms(
            [.. Enumerable.Range(0, 10).Select(b => new Drift.Bin(b, 0.05 + b * 0.04, 0.09 + b * 0.04, 500, 0.1))],
            [.. Enumerable.Range(0, 10).Select(b => new Drift.Bin(b, 0.05 + b * 0.04, 0.09 + b * 0.04, 420, 0.1))]);
        using var plot = DashboardCharts.Scores(Latest, narrow, threshold: 0.3125);

        var limits = plot.Axes.GetLimits();
        limits.Left.ShouldBeInRange(0.04, 0.05);
        limits.Right.ShouldBeInRange(0.45, 0.46);
    }

    [Fact]
    public void The_drift_chart_svg_has_psi_and_fail_shares_over_the_monitored_dates()
    {
        using var plot = DashboardCharts.DriftOverTime(History, FeatureHistory, new DateOnly(2024, 1, 14));
        var texts = TextsOf(DashboardCharts.Svg(plot, DashboardCharts.DriftSize));

        texts.ShouldContain(DashboardCharts.PsiLegend);
        texts.ShouldContain(DashboardCharts.FeaturePsiLegend);
        texts.ShouldContain("Warn level (0.1)");
        texts.ShouldContain("Alert level (0.25)");
        texts.ShouldContain("Population stability index (PSI)");
        texts.ShouldContain("Monitored date");
        texts.ShouldContain(t => t.StartsWith("2024-01-", StringComparison.Ordinal));
        // Shares are another quantity: their own chart, not a second axis on this one.
        texts.ShouldNotContain(DashboardCharts.FailShareLegend);
        plot.GetPlottables().ShouldAllBe(p => p.Axes.YAxis == plot.Axes.Left);

        using var shares = DashboardCharts.FailShareOverTime(History, null);
        var shareTexts = TextsOf(DashboardCharts.Svg(shares, DashboardCharts.FailShareSize));
        shareTexts.ShouldContain(DashboardCharts.FailShareLegend);
        shareTexts.ShouldContain(DashboardCharts.ReferenceFailShareLegend);
        shareTexts.ShouldContain("30%");
    }

    [Fact]
    public void The_drift_chart_keeps_its_legend_outside_the_data()
    {
        using var plot = DashboardCharts.DriftOverTime(History, FeatureHistory, null);
        var svg = DashboardCharts.Svg(plot, DashboardCharts.DriftSize);
        var data = plot.RenderManager.LastRender.DataRect;
        data.Width.ShouldBeGreaterThan(500);
        var legend = XDocument.Parse(svg).Descendants()
            .First(e => e.Name.LocalName == "text" && e.Value.Trim() == DashboardCharts.PsiLegend);
        // ScottPlot places text by a transform, translate(x y): where the text starts. Right of the data area: outside
        // it.
        var translate = ((string)legend.Attribute("transform")!).Split('(', ' ', ')');
        var x = double.Parse(translate[1], System.Globalization.CultureInfo.InvariantCulture);
        x.ShouldBeGreaterThan(data.Right);
    }

    [Fact]
    public void The_performance_charts_show_realised_against_validation_and_calibration_against_the_diagonal()
    {
        PerformanceRecord[] history =
        [
            new()
            {
                PredictionDate = new DateOnly(2023, 11, 5), RocAuc = 0.66, PrecisionAt10 = 0.36,
                ValidationRocAuc = 0.695, ValidationPrecisionAt10 = 0.405, Status = "ok",
            },
            new()
            {
                PredictionDate = new DateOnly(2023, 11, 12), RocAuc = 0.57, PrecisionAt10 = 0.25,
                ValidationRocAuc = 0.695, ValidationPrecisionAt10 = 0.405, Status = "alert",
            },
        ];
        using var auc = DashboardCharts.PerformanceOverTime(history, "roc_auc", 0.05, 0.1);
        var texts = TextsOf(DashboardCharts.Svg(auc, DashboardCharts.PerformanceSize));
        texts.ShouldContain("ROC AUC, realised vs validation");
        texts.ShouldContain("Realised");
        texts.ShouldContain("Validation (mean over folds)");
        texts.ShouldContain("Alert: 0.1 below validation");

        using var precision = DashboardCharts.PerformanceOverTime(history, "precision_at_10", 0.05, 0.1);
        TextsOf(DashboardCharts.Svg(precision, DashboardCharts.PerformanceSize))
            .ShouldContain("Precision at 10%, realised vs validation");

        using var calibration = DashboardCharts.Calibration(history[0],
            [.. Enumerable.Range(1, 10).Select(d => new CalibrationBin(d, 80, 0.05 * d, 0.045 * d))]);
        var calibrationTexts = TextsOf(DashboardCharts.Svg(calibration, DashboardCharts.CalibrationSize));
        calibrationTexts.ShouldContain("Calibration, 2023-11-05");
        calibrationTexts.ShouldContain("Perfect calibration");
        calibrationTexts.ShouldContain("Observed fail rate");
    }

    [Fact]
    public void The_charts_render_as_png_of_the_asked_size()
    {
        using var scores = DashboardCharts.Scores(Latest, Bins(), threshold: null);
        using var drift = DashboardCharts.DriftOverTime(History, FeatureHistory, null);

        var folder = Path.Combine(SharedData.RepositoryRoot, "artifacts", "charts");
        Directory.CreateDirectory(folder);
        foreach (var (name, png, size) in new[]
                 {
                     ("scores", DashboardCharts.Png(scores, DashboardCharts.ScoresSize), DashboardCharts.ScoresSize),
                     ("drift", DashboardCharts.Png(drift, DashboardCharts.DriftSize), DashboardCharts.DriftSize),
                 })
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
        using var plot = DashboardCharts.DriftOverTime([Latest], [], Latest.MonitorDate);

        var texts = TextsOf(DashboardCharts.Svg(plot, DashboardCharts.DriftSize));
        texts.ShouldContain(DashboardCharts.PsiLegend);
        texts.ShouldContain(t => t.StartsWith("2024-01-", StringComparison.Ordinal));
    }
}
