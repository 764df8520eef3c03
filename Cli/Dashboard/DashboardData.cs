using Dapper;
using Npgsql;

namespace Inspections.Dashboard;

/// <summary>What the dashboard reads: monitoring (drift and histograms), the model registry and bias audit.</summary>
internal static class DashboardData
{
    /// <summary>One monitored date (a row of <c>monitoring.drift</c>).</summary>
    public sealed class Drift
    {
        public DateTime MonitorDate { get; init; }
        public DateOnly Date => DateOnly.FromDateTime(MonitorDate);
        public string ModelId { get; init; } = "";
        public int ReferenceRows { get; init; }
        public int CurrentRows { get; init; }
        public double Psi { get; init; }
        public double Ks { get; init; }
        public double MeanReference { get; init; }
        public double MeanCurrent { get; init; }
        public double MeanShift { get; init; }
        public double FailShareReference { get; init; }
        public double FailShareCurrent { get; init; }
        public string Status { get; init; } = "";
    }

    public sealed record Bin(string Series, int BinIndex, double LowerBound, double UpperBound, int Count, double Share);

    public sealed class ModelCard
    {
        public string ModelId { get; init; } = "";
        public DateTime TrainedOn { get; init; }
        public string Candidate { get; init; } = "";
        public string Algorithm { get; init; } = "";
        public string HyperParameters { get; init; } = "";
        public DateTime TrainingWindowStart { get; init; }
        public DateTime TrainingWindowEnd { get; init; }
        public int TrainingRows { get; init; }
        public string Features { get; init; } = "";
        public string FoldMetrics { get; init; } = "";
        public string SelectionMetric { get; init; } = "";
        public double SelectionValue { get; init; }
        public double Threshold { get; init; }
        public string ThresholdRule { get; init; } = "";
    }

    public sealed class BiasRow
    {
        public string Attribute { get; init; } = "";
        public string GroupValue { get; init; } = "";
        public bool IsReference { get; init; }
        public int GroupSize { get; init; }
        public double? Prevalence { get; init; }
        public double? PredictedPositiveRate { get; init; }
        public double? Fpr { get; init; }
        public double? Fnr { get; init; }
        public double? Fdr { get; init; }
        public double? FalseOmissionRate { get; init; }
        public double? Precision { get; init; }
        public double? PprDisparity { get; init; }
        public double? FprDisparity { get; init; }
        public double? FnrDisparity { get; init; }
        public double? FdrDisparity { get; init; }
        public double? ForDisparity { get; init; }
        public double? PrecisionDisparity { get; init; }
    }

    private const string DriftColumns = """
        monitor_date as MonitorDate, model_id as ModelId, reference_rows as ReferenceRows, current_rows as CurrentRows,
        psi as Psi, ks as Ks, mean_reference as MeanReference, mean_current as MeanCurrent, mean_shift as MeanShift,
        fail_share_reference as FailShareReference, fail_share_current as FailShareCurrent, status as Status
        """;

    private const string AllDrift = $"select {DriftColumns} from monitoring.drift order by monitor_date";

    private const string BinsOfDate = """
        select series as Series, bin as BinIndex, lower_bound as LowerBound, upper_bound as UpperBound, count as Count, share as Share
        from monitoring.histogram_bins where monitor_date = @date::date order by series, bin
        """;

    private const string CardColumns = """
        model_id as ModelId, trained_on as TrainedOn, candidate as Candidate, algorithm as Algorithm,
        hyper_parameters::text as HyperParameters, training_window_start as TrainingWindowStart,
        training_window_end as TrainingWindowEnd, training_rows as TrainingRows, features::text as Features,
        fold_metrics::text as FoldMetrics, selection_metric as SelectionMetric, selection_value as SelectionValue,
        threshold as Threshold, threshold_rule as ThresholdRule
        """;

    private const string CardById = $"select {CardColumns} from models.registry where model_id = @modelId";

    private const string NewestCard = $"select {CardColumns} from models.registry order by trained_on desc, created_at desc limit 1";

    private const string BiasOfModel = """
        select attribute as Attribute, group_value as GroupValue, is_reference as IsReference, group_size as GroupSize,
               prevalence as Prevalence, predicted_positive_rate as PredictedPositiveRate, fpr as Fpr, fnr as Fnr, fdr as Fdr,
               false_omission_rate as FalseOmissionRate, precision as Precision,
               ppr_disparity as PprDisparity, fpr_disparity as FprDisparity, fnr_disparity as FnrDisparity,
               fdr_disparity as FdrDisparity, for_disparity as ForDisparity, precision_disparity as PrecisionDisparity
        from models.bias_audit where model_id = @modelId
        order by attribute, is_reference desc, group_size desc, group_value
        """;

    /// <summary>Every monitored date, oldest first (a few hundred rows at most: one per weekly run).</summary>
    public static async Task<IReadOnlyList<Drift>> DriftHistoryAsync(NpgsqlConnection connection, CancellationToken ct) =>
        (await connection.QueryAsync<Drift>(new CommandDefinition(AllDrift, cancellationToken: ct))).ToList();

    public static async Task<IReadOnlyList<Bin>> BinsAsync(NpgsqlConnection connection, DateOnly date, CancellationToken ct) =>
        (await connection.QueryAsync<Bin>(new CommandDefinition(BinsOfDate, new { date = date.ToDateTime(TimeOnly.MinValue) }, cancellationToken: ct))).ToList();

    /// <summary>The model monitored on that date, or (nothing monitored yet) the newest model in the registry.</summary>
    public static Task<ModelCard?> ModelCardAsync(NpgsqlConnection connection, string? modelId, CancellationToken ct) =>
        modelId is null
            ? connection.QuerySingleOrDefaultAsync<ModelCard>(new CommandDefinition(NewestCard, cancellationToken: ct))
            : connection.QuerySingleOrDefaultAsync<ModelCard>(new CommandDefinition(CardById, new { modelId }, cancellationToken: ct));

    public static async Task<IReadOnlyList<BiasRow>> BiasAuditAsync(NpgsqlConnection connection, string modelId, CancellationToken ct) =>
        (await connection.QueryAsync<BiasRow>(new CommandDefinition(BiasOfModel, new { modelId }, cancellationToken: ct))).ToList();
}
