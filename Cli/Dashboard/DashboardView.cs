using Inspections.Monitoring;
using Inspections.Pipeline;
using Inspections.Serving;
using Inspections.Training;

namespace Inspections.Dashboard;

/// <summary>
/// Everything one page shows; sections that have nothing to show are null or empty. Public only because Razor
/// components are, and so must be the types of their parameters; its members stay internal.
/// </summary>
public sealed record DashboardView
{
    internal IReadOnlyList<DriftRecord> History { get; init; } = [];

    /// <summary>The monitored date shown, or null (nothing monitored yet, or the date asked for was refused).</summary>
    internal DriftRecord? Drift { get; init; }

    /// <summary>Why the date asked for cannot be shown (unknown or malformed).</summary>
    internal string? Problem { get; init; }

    /// <summary>The charts, as inline SVG (<see cref="DashboardCharts.Inline"/>).</summary>
    internal string? ScoresSvg { get; init; }
    internal string? DriftSvg { get; init; }
    internal string? FailShareSvg { get; init; }
    internal string? AucSvg { get; init; }
    internal string? PrecisionSvg { get; init; }
    internal string? CalibrationSvg { get; init; }

    /// <summary>Each model feature's drift on the date shown, most drifted first.</summary>
    internal IReadOnlyList<FeatureDrift> Features { get; init; } = [];

    /// <summary>Realised performance evaluated by the date shown, oldest prediction date first.</summary>
    internal IReadOnlyList<PerformanceRecord> Performance { get; init; } = [];

    /// <summary>The prediction date whose calibration is drawn: the newest with enough outcomes.</summary>
    internal PerformanceRecord? CalibrationOf { get; init; }

    /// <summary>The run date whose runs are listed, or null when every run is.</summary>
    internal DateOnly? RunsOfDate { get; init; }

    /// <summary>Groups smaller than this are shown muted in the bias audit and never highlighted.</summary>
    internal int BiasMinGroupSize { get; init; }

    internal DateOnly DagDate { get; init; }
    internal string? DagSvg { get; init; }
    internal string? DagError { get; init; }
    internal IReadOnlyList<RunHistory.Run> Runs { get; init; } = [];
    internal RegistryEntry? Model { get; init; }

    /// <summary>The stored day's model and why predict used it; null when the date has no stored day.</summary>
    internal ServedModel? ModelInUse { get; init; }

    /// <summary>The model pinned now (<c>inspections models promote</c>), if any.</summary>
    internal ModelPin? Pin { get; init; }
    internal IReadOnlyList<StoredGroupAudit> Bias { get; init; } = [];
}
