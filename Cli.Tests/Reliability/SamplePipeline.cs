using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Reliability;

/// <summary>
/// A database on which the whole DAG has run once over the bundled synthetic sample (<c>run --date</c>
/// <see cref="FirstRun"/>): raw through monitoring filled, one model selected. Shared by the classes of
/// the <see cref="Collection"/> (they run one after another); each test works on run dates of its own.
/// Training is made smaller than the default (fewer trees) to keep the suite fast.
/// </summary>
public sealed class SamplePipeline : IAsyncLifetime
{
    public const string Collection = "sample pipeline";

    public const string FirstRun = "2014-06-01";

    public static string Sample => Path.Combine(SharedData.RepositoryRoot, "samples", "synthetic-food-inspections.csv");

    private static readonly Dictionary<string, string?> SmallTraining = new()
    {
        ["Training:Folds"] = "2",
        ["Training:LightGbm:0:Trees"] = "20",
    };

    public TestDatabase Db { get; } = new();

    /// <summary>Configuration for in-process runs and, as environment variables, for child processes.</summary>
    public Dictionary<string, string?> Config => new(SmallTraining) { ["ConnectionStrings:Postgres"] = Db.ConnectionString };

    public async Task InitializeAsync()
    {
        await Db.InitializeAsync();
        var first = await RunAsync("run", "--date", FirstRun, "--source", Sample);
        if (first.ExitCode != 0) throw new InvalidOperationException($"the sample pipeline did not run green\n{first}");
    }

    public Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(args, Config);

    /// <summary>The executable as a child process against this database.</summary>
    public CliProcess Start(params string[] args) => CliProcess.Start(args, Config);

    public Task DisposeAsync() => Db.DisposeAsync();
}

[CollectionDefinition(SamplePipeline.Collection)]
public sealed class SamplePipelineCollection : ICollectionFixture<SamplePipeline>;
