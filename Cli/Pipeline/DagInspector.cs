using Dapper;
using Npgsql;

namespace Inspections.Pipeline;

/// <summary>
/// Reads a DAG's state from the run history without running anything: each instance is complete
/// (a metadata row for its key), failed (its latest run failed) or not run.
/// </summary>
internal static class DagInspector
{
    private const string StateOfKeys = """
        select k.key as Key,
               exists (select 1 from pipeline.task_metadata m where m.task_key = k.key) as Complete,
               (select r.state from pipeline.task_runs r where r.task_key = k.key
                order by r.started_at desc limit 1) as LastState,
               (select max(r.started_at) from pipeline.task_runs r where r.task_key = k.key) as LastRunAt
        from unnest(@keys) as k(key)
        """;

    private sealed record KeyState(string Key, bool Complete, string? LastState, DateTime? LastRunAt);

    /// <summary>The instances of <paramref name="target"/>'s DAG, upstream first, with their states.</summary>
    public static async Task<IReadOnlyList<DagNode>> LoadAsync(
        NpgsqlDataSource dataSource,
        PipelineTask target,
        CheckOverrides overrides,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var ordered = new List<(PipelineTask Task, string Key, List<string> Upstream)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        async Task VisitAsync(PipelineTask task)
        {
            var key = TaskKey.For(task, overrides);
            if (!seen.Add(key)) return;
            var upstream = await task.RequiresAsync(connection, ct);
            foreach (var requirement in upstream) await VisitAsync(requirement);
            ordered.Add((task, key, upstream.Select(u => TaskKey.For(u, overrides)).ToList()));
        }

        await VisitAsync(target);
        var states = (await connection.QueryAsync<KeyState>(new CommandDefinition(StateOfKeys,
            new { keys = ordered.Select(o => o.Key).ToArray() }, cancellationToken: ct))).ToDictionary(s => s.Key);
        return ordered.Select(o =>
        {
            var state = states[o.Key];
            var dagState = state.Complete ? DagState.Complete
                : state.LastState == "failed" ? DagState.Failed
                : DagState.NotRun;
            return new DagNode(o.Key, o.Task.Name, dagState, o.Upstream, state.LastRunAt);
        }).ToList();
    }
}
