using Inspections.Cleaning;
using Inspections.Features;
using Inspections.Ingest;
using Inspections.Hosting;
using Inspections.Monitoring;
using Inspections.Pipeline;
using Inspections.Prediction;
using Inspections.Serving;
using Inspections.Training;
using Npgsql;

namespace Inspections.App;

/// <summary>
/// The pipeline's DAG, in the one place stages are wired together:
/// ingest → clean → features → train → select → bias, and features + (bias of the model in use) →
/// predict → store-api → monitor, and clean → evaluate → monitor. Every instance is identified by its
/// run date and source.
/// </summary>
internal static class Dag
{
    public static IReadOnlyList<string> Stages { get; } =
        ["ingest", "clean", "features", "train", "select", "bias", "predict", "store-api", "evaluate", "monitor"];

    public static PipelineTask Ingest(DateOnly date, string source) => new IngestTask(date, source, []);

    public static PipelineTask Clean(DateOnly date, string source) =>
        new CleanTask(date, source, [Ingest(date, source)]);

    public static PipelineTask Features(DateOnly date, string source) =>
        new FeaturesTask(date, source, [Clean(date, source)]);

    public static PipelineTask Train(DateOnly date, string source) =>
        new TrainTask(date, source, [Features(date, source)]);

    public static PipelineTask Select(DateOnly date, string source) =>
        new SelectTask(date, source, [Train(date, source)]);

    public static PipelineTask Bias(DateOnly date, string source) => new BiasTask(date, source, [Select(date, source)]);

    /// <summary>Uses the newest model selected at or before the date; when there is none, trains at the date.</summary>
    public static PipelineTask Predict(DateOnly date, string source) =>
        new PredictTask(date, source, Features(date, source), Bias);

    public static PipelineTask StoreApi(DateOnly date, string source) =>
        new StoreApiTask(date, source, [Predict(date, source)]);

    /// <summary>
    /// The realised performance of earlier prediction dates whose label window closed: needs only the inspections
    /// ingested by the date.
    /// </summary>
    public static PipelineTask Evaluate(DateOnly date, string source) =>
        new EvaluateTask(date, source, [Clean(date, source)]);

    public static PipelineTask Monitor(DateOnly date, string source) =>
        new MonitorTask(date, source, [StoreApi(date, source), Evaluate(date, source)]);

    /// <summary>The DAG as the engine's verbs (status, dag) walk it.</summary>
    public static DagDefinition Definition { get; } = new(Stages, For);

    /// <summary>
    /// How the dashboard reads the DAG of a run date: as <c>status</c> shows it, for the source the database holds
    /// (the configured source while it holds none).
    /// </summary>
    public static Func<DateOnly, CancellationToken, Task<IReadOnlyList<DagNode>>> Walker(
        NpgsqlDataSource dataSource,
        AppSettings settings) =>
        async (date, ct) =>
        {
            var source = await DatabaseSource.ReadAsync(dataSource, ct)
                ?? settings.Configuration["Ingest:Source"]
                ?? "socrata";
            return await DagInspector.LoadAsync(dataSource, Monitor(date, source), CheckOverrides.None, ct);
        };

    public static PipelineTask For(string stage, DateOnly date, string source) => stage switch
    {
        "ingest" => Ingest(date, source),
        "clean" => Clean(date, source),
        "features" => Features(date, source),
        "train" => Train(date, source),
        "select" => Select(date, source),
        "bias" => Bias(date, source),
        "predict" => Predict(date, source),
        "store-api" => StoreApi(date, source),
        "evaluate" => Evaluate(date, source),
        "monitor" => Monitor(date, source),
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, $"stages are {string.Join(", ", Stages)}"),
    };
}
