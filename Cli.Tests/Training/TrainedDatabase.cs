using Inspections.Hosting;
using Inspections.Pipeline;
using Inspections.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Inspections.Training;

namespace Inspections.Tests.Training;

/// <summary>
/// A database holding synthetic snapshots (200 licenses x 24 weekly as-of dates, about 3,100 labelled)
/// on which <c>train --date</c> <see cref="RunDate"/> has run once; shared by the tests of a class.
/// </summary>
public sealed class TrainedDatabase : IAsyncLifetime
{
    public static readonly DateOnly FirstAsOf = new(2013, 1, 7);
    // 28 days after the last as-of date (2013-06-17) + a week.
    public static readonly DateOnly RunDate = new(2013, 7, 22);

    /// <summary>Small folds and a short window, so 24 weeks give three folds and history before them.</summary>
    public static readonly Dictionary<string, string?> Settings = new()
    {
        ["Features:LabelWindowDays"] = "28",
        ["Training:Folds"] = "3",
        ["Training:FoldAsOfDates"] = "2",
        ["Training:LightGbm:0:Trees"] = "50",
    };

    /// <summary>
    /// The first of the six validation fold dates (3 folds x 2 as-of dates): the 19th weekly as-of date.
    /// </summary>
    public static readonly DateOnly FoldDatesStart = FirstAsOf.AddDays(7 * 18);

    public TestDatabase Db { get; } = new();

    internal IReadOnlyList<FeatureRow> Rows { get; } = SnapshotGenerator.Generate(licenses: 200, weeks: 24, FirstAsOf);

    public CliResult Train { get; private set; } = null!;

    public Dictionary<string, string?> Config => new(Settings) { ["ConnectionStrings:Postgres"] = Db.ConnectionString };

    public async Task InitializeAsync()
    {
        await Db.InitializeAsync();
        await SnapshotGenerator.InsertAsync(Db.DataSource, FeatureRows.Snapshots, Rows);
        // The whole cohort (every licence, labelled or not) of the six fold dates, as the features task writes it.
        await SnapshotGenerator.InsertAsync(Db.DataSource, FeatureRows.FoldCohort,
            Rows.Where(r => r.AsOfDate >= FoldDatesStart).Select(r => r with { LabelFail = null }));
        // The cohort of the run date, as the features task writes it: select sets the threshold on it.
        var lastAsOf = Rows.Max(r => r.AsOfDate);
        await SnapshotGenerator.InsertAsync(Db.DataSource, FeatureRows.Cohort,
            Rows.Where(r => r.AsOfDate == lastAsOf).Select(r => r with { AsOfDate = RunDate, LabelFail = null }));
        Train = await TrainAsync();
    }

    /// <summary>
    /// What <c>train --date RunDate</c> does after features: train, select and bias through the task
    /// engine, then the verb's candidate table. (The verb itself would first run ingest..features;
    /// these tests fill the snapshots themselves.)
    /// </summary>
    public async Task<CliResult> TrainAsync()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var settings = AppSettings.Load(Settings);
        var target = new BiasTask(RunDate, Source,
            [new SelectTask(RunDate, Source, [new TrainTask(RunDate, Source, [])])]);
        var report = await new TaskRunner(Db.DataSource, settings, CheckOverrides.None,
                new Terminal(output, error, false), NullLoggerFactory.Instance)
            .RunAsync(target, force: false, CancellationToken.None);
        output.WriteLine(report.Summary());
        if (report.IsGreen)
            await TrainCommand.PrintCandidatesAsync(output, Db.DataSource, RunDate, CancellationToken.None);
        return new CliResult(report.ExitCode, output.ToString(), error.ToString());
    }

    public const string Source = "synthetic-snapshots";

    public Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(args, Config);

    public Task DisposeAsync() => Db.DisposeAsync();
}
