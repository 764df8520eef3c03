using System.Text.RegularExpressions;
using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Architecture;

/// <summary>
/// Which folder of <c>Cli/</c> uses which (docs/architecture.md): read from the sources' <c>using</c>
/// directives and qualified names, so a new dependency shows up here the day it is written.
/// </summary>
public sealed partial class DependencyTests
{
    private static readonly string[] Stages =
        ["Ingest", "Cleaning", "Features", "Training", "Prediction", "Serving", "Monitoring"];
    private static readonly string[] Folders =
        [.. Stages, "Api", "Dashboard", "Pipeline", "Database", "Hosting", "App"];

    /// <summary>Folder to the folders its files name, itself left out.</summary>
    private static Dictionary<string, SortedSet<string>> Graph()
    {
        var cli = Path.Combine(SharedData.RepositoryRoot, "Cli");
        var graph = Folders.ToDictionary(f => f, _ => new SortedSet<string>(StringComparer.Ordinal));
        foreach (var file in Directory.EnumerateFiles(cli, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(cli, file).Split(Path.DirectorySeparatorChar);
            if (relative[0] is "bin" or "obj" || relative.Length == 1) continue;
            var folder = relative[0];
            graph.ContainsKey(folder).ShouldBeTrue($"{folder} is a folder docs/architecture.md describes");
            var text = File.ReadAllText(file);
            var named = Using().Matches(text).Concat(Qualified().Matches(text)).Select(m => m.Groups[1].Value);
            foreach (var other in named)
                if (other != folder && graph.ContainsKey(other)) graph[folder].Add(other);
        }
        return graph;
    }

    [Fact]
    public void No_two_folders_depend_on_each_other_through_any_path()
    {
        var graph = Graph();
        var cycles = new List<string>();
        foreach (var start in graph.Keys)
        {
            // Every folder reachable from start; start among them is a cycle.
            var seen = new HashSet<string>();
            var stack = new Stack<(string Folder, string Path)>([(start, start)]);
            while (stack.Count > 0)
            {
                var (folder, path) = stack.Pop();
                foreach (var next in graph[folder])
                {
                    if (next == start) cycles.Add($"{path} -> {start}");
                    else if (seen.Add(next)) stack.Push((next, $"{path} -> {next}"));
                }
            }
        }
        cycles.ShouldBeEmpty();
    }

    [Fact]
    public void The_engine_knows_no_stage_no_web_host_and_no_console_library()
    {
        var graph = Graph();
        graph["Pipeline"].ShouldBeSubsetOf(["Database", "Hosting"]);
        var engine = Path.Combine(SharedData.RepositoryRoot, "Cli", "Pipeline");
        Directory.EnumerateFiles(engine, "*.cs")
            .Where(f => File.ReadAllText(f).Contains("Spectre", StringComparison.Ordinal))
            .ShouldBeEmpty();
    }

    [Fact]
    public void Hosting_and_the_database_use_nothing_above_them_and_nothing_uses_the_composition_root()
    {
        var graph = Graph();
        graph["Hosting"].ShouldBeEmpty();
        graph["Database"].ShouldBeSubsetOf(["Hosting"]);
        graph.Where(g => g.Value.Contains("App")).Select(g => g.Key).ShouldBeEmpty();
    }

    [Fact]
    public void A_stage_uses_no_stage_downstream_of_it()
    {
        var graph = Graph();
        for (var i = 0; i < Stages.Length; i++)
            graph[Stages[i]].Intersect(Stages.Skip(i + 1)).ShouldBeEmpty($"{Stages[i]} uses a later stage");
    }

    [GeneratedRegex(@"^\s*using\s+(?:static\s+)?Inspections\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex Using();

    /// <summary>
    /// A folder's namespace named in code, e.g. <c>Ingest.IngestCommand</c> or
    /// <c>Inspections.Ingest.IngestCommand</c>.
    /// </summary>
    [GeneratedRegex(@"(?<![\w.])(?:Inspections\.)?(\w+)\.[A-Z]\w*")]
    private static partial Regex Qualified();
}
