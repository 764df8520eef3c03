namespace Inspections.Tests.Infrastructure;

/// <summary>
/// The real City of Chicago data kept beside the repository (../shared/data), never copied into it.
/// Tests that need it use <see cref="RealDataFactAttribute"/>: skipped, with the reason shown, when the
/// folder is absent on a developer's machine; run (and so failing) in CI, where it must be present.
/// </summary>
public static class SharedData
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Folder => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "data"));

    public static string ChicagoCsv => Path.Combine(Folder, "chicago", "food-inspections-2010-01-to-2014-08.csv");

    public static string SocrataFolder => Path.Combine(Folder, "socrata");

    public static bool Available => Directory.Exists(Folder);

    public static bool InCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Cli.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cli.sln not found above the test binaries");
    }
}

public sealed class RealDataFactAttribute : FactAttribute
{
    public RealDataFactAttribute()
    {
        if (!SharedData.Available && !SharedData.InCi)
            Skip = $"needs the real Chicago data in ../shared/data (not found at {SharedData.Folder})";
    }
}
