using Dapper;
using Npgsql;

namespace Inspections.Monitoring;

/// <summary>One monitored date: a row of <c>monitoring.drift</c>, which the monitor task writes.</summary>
internal sealed record DriftRecord
{
    public DateOnly MonitorDate { get; init; }
    public string ModelId { get; init; } = "";
    public int ReferenceRows { get; init; }
    public int CurrentRows { get; init; }

    /// <summary>How many reference-quantile bins the PSI was computed over.</summary>
    public int Bins { get; init; }

    public double Psi { get; init; }
    public double Ks { get; init; }
    public double MeanReference { get; init; }
    public double MeanCurrent { get; init; }
    public double MeanShift { get; init; }
    public double FailShareReference { get; init; }
    public double FailShareCurrent { get; init; }

    /// <summary><c>ok</c>, <c>warn</c> or <c>alert</c>: the worst of the three below.</summary>
    public string Status { get; init; } = "";

    /// <summary>The scores' PSI and KS against their thresholds.</summary>
    public string ScoreStatus { get; init; } = "";

    /// <summary>The worst feature's PSI against the feature thresholds.</summary>
    public string FeatureStatus { get; init; } = "";

    /// <summary>The latest realised performance evaluated by then, against validation.</summary>
    public string PerformanceStatus { get; init; } = "";

    /// <summary>As-of dates whose whole cohorts make the reference.</summary>
    public int ReferenceDates { get; init; }

    /// <summary>The model's threshold, applied to both cohorts for the shares labelled fail.</summary>
    public double? ReferenceThreshold { get; init; }

    /// <summary>The PSI levels in force on that date, for scores and for each feature.</summary>
    public double? PsiWarn { get; init; }
    public double? PsiAlert { get; init; }
    public double? FeaturePsiWarn { get; init; }
    public double? FeaturePsiAlert { get; init; }
}

/// <summary>
/// A monitored date's two score histograms (<c>monitoring.histogram_bins</c>), each in bin order; empty when none
/// was stored.
/// </summary>
internal sealed record ScoreHistograms(IReadOnlyList<Drift.Bin> Reference, IReadOnlyList<Drift.Bin> Current);

/// <summary>
/// Reads what the monitor task stored: the drift line of <c>inspections monitor</c>, and the dashboard.
/// </summary>
internal static class DriftHistory
{
    private const string Columns = """
        monitor_date as MonitorDate, model_id as ModelId, reference_rows as ReferenceRows, current_rows as CurrentRows,
        bins as Bins,
        psi as Psi, ks as Ks, mean_reference as MeanReference, mean_current as MeanCurrent, mean_shift as MeanShift,
        fail_share_reference as FailShareReference, fail_share_current as FailShareCurrent, status as Status,
        score_status as ScoreStatus, feature_status as FeatureStatus, performance_status as PerformanceStatus,
        reference_dates as ReferenceDates, reference_threshold as ReferenceThreshold,
        psi_warn as PsiWarn, psi_alert as PsiAlert, feature_psi_warn as FeaturePsiWarn,
        feature_psi_alert as FeaturePsiAlert
        """;

    private const string FeaturesSql = """
        select feature as Feature, kind as Kind, psi as Psi, js_divergence as JsDivergence, bins as Bins,
               mean_reference as MeanReference, mean_current as MeanCurrent, status as Status, counted as Counted,
               coalesce(reference_psi, 0) as ReferencePsi
        from monitoring.feature_drift where monitor_date = @date order by psi desc, feature
        """;

    private const string FeatureHistorySql = """
        select monitor_date as MonitorDate, feature as Feature, psi as Psi
        from monitoring.feature_drift where counted order by monitor_date, feature
        """;

    private const string AllSql = $"select {Columns} from monitoring.drift order by monitor_date";

    private const string OnDateSql = $"select {Columns} from monitoring.drift where monitor_date = @date";

    private const string BinsSql = """
        select series, bin, lower_bound, upper_bound, count, share
        from monitoring.histogram_bins where monitor_date = @date order by series, bin
        """;

    /// <summary>Every monitored date, oldest first (one row per weekly run: a few hundred at most).</summary>
    public static async Task<IReadOnlyList<DriftRecord>> AllAsync(NpgsqlConnection connection, CancellationToken ct) =>
        (await connection.QueryAsync<DriftRecord>(new CommandDefinition(AllSql, cancellationToken: ct))).AsList();

    /// <summary>The drift of <paramref name="date"/>, or null when that date was not monitored.</summary>
    public static Task<DriftRecord?> OnAsync(NpgsqlConnection connection, DateOnly date, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<DriftRecord>(
            new CommandDefinition(OnDateSql, new { date }, cancellationToken: ct));

    /// <summary>
    /// The features' drift on <paramref name="date"/>, most drifted first; empty when that date was not monitored.
    /// </summary>
    public static async Task<IReadOnlyList<FeatureDrift>> FeaturesAsync(
        NpgsqlConnection connection,
        DateOnly date,
        CancellationToken ct) =>
        (await connection.QueryAsync<FeatureDrift>(
            new CommandDefinition(FeaturesSql, new { date }, cancellationToken: ct))).AsList();

    /// <summary>Every counted feature's PSI on every monitored date, oldest first.</summary>
    public static async Task<IReadOnlyList<(DateOnly MonitorDate, string Feature, double Psi)>> FeatureHistoryAsync(
        NpgsqlConnection connection,
        CancellationToken ct) =>
        (await connection.QueryAsync<(DateOnly, string, double)>(
            new CommandDefinition(FeatureHistorySql, cancellationToken: ct))).AsList();

    public static async Task<ScoreHistograms> HistogramsAsync(
        NpgsqlConnection connection,
        DateOnly date,
        CancellationToken ct)
    {
        var rows = (await connection
            .QueryAsync<(string Series, int Bin, double Lower, double Upper, int Count, double Share)>(
                new CommandDefinition(BinsSql, new { date }, cancellationToken: ct))).AsList();
        IReadOnlyList<Drift.Bin> Of(string series) =>
            [.. rows.Where(r => r.Series == series)
                .Select(r => new Drift.Bin(r.Bin, r.Lower, r.Upper, r.Count, r.Share))];
        return new ScoreHistograms(Of("reference"), Of("current"));
    }
}
