using Inspections.Hosting;

namespace Inspections.Monitoring;

/// <summary>The <c>Monitoring</c> section of appsettings.json (defaults live there, not here).</summary>
internal sealed class MonitoringSettings
{
    /// <summary>Reference-quantile bins of a numeric PSI (scores and numeric features).</summary>
    public int PsiBins { get; set; }

    /// <summary>Bins of the stored score histograms, over the scores' actual range.</summary>
    public int HistogramBins { get; set; }

    public double PsiWarn { get; set; }
    public double PsiAlert { get; set; }
    public double KsWarn { get; set; }
    public double KsAlert { get; set; }

    /// <summary>PSI of one model feature (numeric or categorical) at which that feature warns or alerts.</summary>
    public double FeaturePsiWarn { get; set; }
    public double FeaturePsiAlert { get; set; }

    /// <summary>
    /// A feature alerts only above this many times the reference's own spread (the largest PSI between two of its
    /// as-of dates), and warns only above the spread itself (<see cref="FeatureDrift"/>).
    /// </summary>
    public double FeatureSpreadAlertFactor { get; set; }

    /// <summary>
    /// Features shown with their drift but left out of the feature status: those that drift by construction (counts
    /// and ages measured from the first record of the data, which grow every week for every establishment).
    /// </summary>
    public List<string> FeaturesNotCounted { get; set; } = [];

    /// <summary>Most drifted features <c>monitor</c> prints.</summary>
    public int FeaturesShown { get; set; }

    /// <summary>Realised ROC AUC this far below the validation mean warns / alerts.</summary>
    public double AucWarnMargin { get; set; }
    public double AucAlertMargin { get; set; }

    /// <summary>Realised precision at 10% this far below the validation mean warns / alerts.</summary>
    public double PrecisionWarnMargin { get; set; }
    public double PrecisionAlertMargin { get; set; }

    /// <summary>
    /// Fewer outcomes than this in a window: its figures are recorded but set against nothing (<c>too-few</c>).
    /// </summary>
    public int MinEvaluated { get; set; }

    public static MonitoringSettings From(AppSettings settings) => settings.Bind<MonitoringSettings>("Monitoring");

    public string ScoreStatus(double psi) => Level(psi, PsiWarn, PsiAlert);

    public string KsStatus(double ks) => Level(ks, KsWarn, KsAlert);

    public string FeatureStatus(double psi, double referenceSpread = 0) =>
        Level(psi, Math.Max(FeaturePsiWarn, referenceSpread),
            Math.Max(FeaturePsiAlert, FeatureSpreadAlertFactor * referenceSpread));

    /// <summary>A realised figure against its validation value: how far below it is, in the margins' terms.</summary>
    public static string Shortfall(double? realised, double? validation, double warnMargin, double alertMargin) =>
        realised is not { } r || validation is not { } v ? "ok" : Level(v - r, warnMargin, alertMargin);

    private static string Level(double value, double warn, double alert) =>
        double.IsNaN(value) ? "ok" : value >= alert ? "alert" : value >= warn ? "warn" : "ok";

    /// <summary>alert over warn over ok.</summary>
    public static string Worst(params string[] statuses) =>
        statuses.Contains("alert") ? "alert" : statuses.Contains("warn") ? "warn" : "ok";
}
