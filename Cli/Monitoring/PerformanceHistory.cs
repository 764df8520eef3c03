using Dapper;
using Npgsql;

namespace Inspections.Monitoring;

/// <summary>
/// One evaluated prediction date: a row of <c>monitoring.performance</c>, which the evaluate task writes.
/// </summary>
internal sealed record PerformanceRecord
{
    public DateOnly PredictionDate { get; init; }
    public DateOnly EvaluatedOn { get; init; }
    public string ModelId { get; init; } = "";
    public DateOnly WindowEnd { get; init; }
    public int Predicted { get; init; }
    public int Evaluated { get; init; }
    public int Fails { get; init; }
    public double? FailRate { get; init; }
    public double? RocAuc { get; init; }
    public double? PrecisionAt5 { get; init; }
    public double? PrecisionAt10 { get; init; }
    public double? PrecisionAt20 { get; init; }
    public double? LiftAt10 { get; init; }
    public double? DaysEarlier { get; init; }
    public double? Brier { get; init; }
    public double? ValidationRocAuc { get; init; }
    public double? ValidationPrecisionAt10 { get; init; }
    public double? ValidationDaysEarlier { get; init; }

    /// <summary>
    /// <c>ok</c>, <c>warn</c>, <c>alert</c>, or <c>too-few</c> (fewer outcomes than Monitoring:MinEvaluated).
    /// </summary>
    public string Status { get; init; } = "";
}

/// <summary>
/// Reads what the evaluate task stored: the evaluate line, the API's <c>/performance</c> and the dashboard.
/// </summary>
internal static class PerformanceHistory
{
    private const string Columns = """
        prediction_date as PredictionDate, evaluated_on as EvaluatedOn, model_id as ModelId, window_end as WindowEnd,
        predicted as Predicted, evaluated as Evaluated, fails as Fails, fail_rate as FailRate, roc_auc as RocAuc,
        precision_at_5 as PrecisionAt5, precision_at_10 as PrecisionAt10, precision_at_20 as PrecisionAt20,
        lift_at_10 as LiftAt10, days_earlier as DaysEarlier, brier as Brier, validation_roc_auc as ValidationRocAuc,
        validation_precision_at_10 as ValidationPrecisionAt10, validation_days_earlier as ValidationDaysEarlier,
        status as Status
        """;

    private const string AllSql = $"select {Columns} from monitoring.performance order by prediction_date";

    private const string EvaluatedOnSql =
        $"select {Columns} from monitoring.performance where evaluated_on = @date order by prediction_date";

    private const string CalibrationSql = """
        select decile as Decile, rows as Rows, mean_score as MeanScore, fail_rate as FailRate
        from monitoring.calibration where prediction_date = @date order by decile
        """;

    /// <summary>Every evaluated prediction date, oldest first (one per weekly run at most).</summary>
    public static async Task<IReadOnlyList<PerformanceRecord>> AllAsync(
        NpgsqlConnection connection,
        CancellationToken ct) =>
        (await connection.QueryAsync<PerformanceRecord>(new CommandDefinition(AllSql, cancellationToken: ct))).AsList();

    /// <summary>The prediction dates the evaluate task of <paramref name="date"/> evaluated.</summary>
    public static async Task<IReadOnlyList<PerformanceRecord>> EvaluatedOnAsync(
        NpgsqlConnection connection,
        DateOnly date,
        CancellationToken ct) =>
        (await connection.QueryAsync<PerformanceRecord>(
            new CommandDefinition(EvaluatedOnSql, new { date }, cancellationToken: ct))).AsList();

    public static async Task<IReadOnlyList<CalibrationBin>> CalibrationAsync(
        NpgsqlConnection connection,
        DateOnly predictionDate,
        CancellationToken ct) =>
        (await connection.QueryAsync<CalibrationBin>(
            new CommandDefinition(CalibrationSql, new { date = predictionDate }, cancellationToken: ct))).AsList();
}
