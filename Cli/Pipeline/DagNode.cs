namespace Inspections.Pipeline;

internal enum DagState
{
    Complete,
    Failed,
    NotRun,
}

/// <summary>One task instance of a DAG as people see it (status, dag --svg, the dashboard).</summary>
/// <param name="UpstreamKeys">Keys of the instances this one needs (edges point from them to this one).</param>
/// <param name="LastRunAt">When it last ran (succeeded or failed), UTC; null if never.</param>
internal sealed record DagNode(
    string Key,
    string Task,
    DagState State,
    IReadOnlyList<string> UpstreamKeys,
    DateTime? LastRunAt);
