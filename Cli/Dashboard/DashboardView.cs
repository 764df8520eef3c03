using Inspections.Monitoring;
using Inspections.Pipeline;
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

    internal DateOnly DagDate { get; init; }
    internal string? DagSvg { get; init; }
    internal string? DagError { get; init; }
    internal IReadOnlyList<RunHistory.Run> Runs { get; init; } = [];
    internal RegistryEntry? Model { get; init; }
    internal IReadOnlyList<StoredGroupAudit> Bias { get; init; } = [];
}
