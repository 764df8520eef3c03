using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Architecture;

/// <summary>
/// The line length <c>.editorconfig</c> sets for C# and Razor (<c>max_line_length = 120</c>), held in every C# and
/// Razor file of both projects, whatever folder it is in (the build output in <c>bin</c> and <c>obj</c> aside): a new
/// folder or file is held to it from its first line.
/// </summary>
public sealed class LineLengthTests
{
    private const int MaxLineLength = 120;

    private static readonly string[] Projects = ["Cli", "Cli.Tests"];

    private static readonly string[] BuildOutput = ["bin", "obj"];

    [Fact]
    public void No_line_of_either_project_is_longer_than_the_editorconfig_limit()
    {
        var files = new List<string>();
        foreach (var project in Projects)
        {
            var root = Path.Combine(SharedData.RepositoryRoot, project);
            Directory.Exists(root).ShouldBeTrue($"{project} is a folder of the repository");
            files.AddRange(SourceFiles(root));
        }
        // Both projects' sources were found: a walk that finds nothing would pass without checking a line.
        files.Count.ShouldBeGreaterThan(100);

        var offending = new List<string>();
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].Length <= MaxLineLength) continue;
                var relative = Path.GetRelativePath(SharedData.RepositoryRoot, file);
                offending.Add($"{relative}:{i + 1} ({lines[i].Length} characters)");
            }
        }
        offending.ShouldBeEmpty($"lines longer than {MaxLineLength} characters (max_line_length in .editorconfig)");
    }

    /// <summary>The .cs and .razor files in <paramref name="folder"/> and below it, build output left out.</summary>
    private static IEnumerable<string> SourceFiles(string folder) =>
        Directory.EnumerateFiles(folder)
            .Where(f => Path.GetExtension(f) is ".cs" or ".razor")
            .Concat(Directory.EnumerateDirectories(folder)
                .Where(d => !BuildOutput.Contains(Path.GetFileName(d)))
                .SelectMany(SourceFiles));
}
