using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Architecture;

/// <summary>
/// The line length <c>.editorconfig</c> sets for C# and Razor (<c>max_line_length = 120</c>), held in the folders that
/// have been wrapped to it: a folder joins the list once its lines are wrapped, and stays wrapped from then on.
/// </summary>
public sealed class LineLengthTests
{
    private const int MaxLineLength = 120;

    private static readonly string[] Folders =
    [
        "Cli/Features", "Cli/Monitoring", "Cli/Pipeline", "Cli/Database", "Cli/Hosting", "Cli/App", "Cli/Cleaning",
        "Cli/Ingest",
        "Cli.Tests/Features", "Cli.Tests/Monitoring", "Cli.Tests/Pipeline", "Cli.Tests/Database", "Cli.Tests/Hosting",
        "Cli.Tests/Reliability", "Cli.Tests/Infrastructure", "Cli.Tests/App", "Cli.Tests/Ingest",
        "Cli.Tests/Architecture",
    ];

    [Fact]
    public void No_line_in_the_wrapped_folders_is_longer_than_the_editorconfig_limit()
    {
        var offending = new List<string>();
        foreach (var folder in Folders)
        {
            var root = Path.Combine([SharedData.RepositoryRoot, .. folder.Split('/')]);
            Directory.Exists(root).ShouldBeTrue($"{folder} is a folder of the repository");
            var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                .Where(f => Path.GetExtension(f) is ".cs" or ".razor")
                .Order(StringComparer.Ordinal);
            foreach (var file in files)
            {
                var lines = File.ReadAllLines(file);
                for (var i = 0; i < lines.Length; i++)
                {
                    if (lines[i].Length <= MaxLineLength) continue;
                    var relative = Path.GetRelativePath(SharedData.RepositoryRoot, file);
                    offending.Add($"{relative}:{i + 1} ({lines[i].Length} characters)");
                }
            }
        }
        offending.ShouldBeEmpty($"lines longer than {MaxLineLength} characters (max_line_length in .editorconfig)");
    }
}
