using Npgsql;

namespace Inspections.Tests.Dashboard;

/// <summary>
/// Fills the tables the dashboard reads as the monitor, select and bias stages would: three weekly
/// monitored dates drifting from ok to alert, one selected model with its bias audit, and a run
/// history with one failed check.
/// </summary>
internal static class DashboardSeed
{
    public const string ModelId = "lightgbm-2024-01-01-a1b2c3";
    public static readonly DateOnly[] Dates = [new(2024, 1, 7), new(2024, 1, 14), new(2024, 1, 21)];
    public static readonly double[] Psi = [0.031, 0.142, 0.318];
    public static readonly string[] Status = ["ok", "warn", "alert"];
    /// <summary>A bias group below the dashboard's minimum size (30), with disparities far outside parity.</summary>
    public const string SmallGroup = "mobile food";
    public const int SmallGroupSize = 12;

    /// <summary>The features monitor compared on each date; the first drifts most.</summary>
    public static readonly string[] Features = ["days_since_last_inspection", "fails_before", "risk_level"];

    /// <summary>Prediction dates whose outcomes arrived, evaluated on the first two monitored dates.</summary>
    public static readonly DateOnly[] Evaluated = [new(2023, 11, 5), new(2023, 11, 12)];
    public static readonly double[] RealisedAuc = [0.664, 0.628];

    public const string FailureReport =
        "FAIL: max_score (predict(date=2024-01-21, source=socrata))\n" +
        "  Assertion: max score <= 0.5\n  Actual:    0.93\n";

    public static async Task FillAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await ExecuteAsync(connection, """
            insert into models.registry (model_id, trained_on, task_parameters, candidate, algorithm, hyper_parameters,
                training_window_start, training_window_end, training_rows, features, fold_metrics, selection_metric,
                selection_value, threshold, threshold_rule, model, model_sha256, run_id)
            values (@id, '2024-01-01', '{"date": "2024-01-01", "source": "socrata"}', 'lightgbm(leaves=16, trees=200)',
                'lightgbm', '{"leaves": 16, "trees": 200, "learning_rate": 0.05}', '2012-01-01', '2023-10-01', 48213,
                '["days_since_last", "prior_fails", "risk_level"]',
                '[{"fold": 1, "roc_auc": 0.7012, "precision_at_10": 0.4123, "recall_at_10": 0.2011, "brier": 0.1432},
                  {"fold": 2, "roc_auc": 0.6891, "precision_at_10": 0.3987, "recall_at_10": 0.1954, "brier": 0.1467}]',
                'precision_at_10', 0.4055, 0.3125, 'top 10% of validation scores', ''::bytea, '', gen_random_uuid())
            """, ("id", ModelId));
        // The latest date's stored day says why it used the model; the model is pinned.
        await ExecuteAsync(connection, """
            insert into api.days (prediction_date, model_id, establishments, fails, stored_at, run_id, model_choice,
                                  model_reason)
            values ('2024-01-21', @id, 4202, 420, now(), gen_random_uuid(), 'pinned',
                    'pinned by ops at 2024-01-20 08:00Z (inspections models promote)');
            insert into models.pins (model_id, changed_at, changed_by) values (@id, '2024-01-20 08:00Z', 'ops');
            """, ("id", ModelId));
        await ExecuteAsync(connection, """
            insert into models.bias_audit (model_id, attribute, group_value, is_reference, group_size, prevalence,
                predicted_positive_rate, tpr, fpr, fnr, fdr, false_omission_rate, precision,
                ppr_disparity, tpr_disparity, fpr_disparity, fnr_disparity, fdr_disparity, for_disparity,
                precision_disparity)
            values (@id, 'facility_group', 'restaurant', true, 9120,
                    0.21, 0.10, 0.30, 0.06, 0.70, 0.55, 0.18, 0.45, 1, 1, 1, 1, 1, 1, 1),
                   (@id, 'facility_group', 'grocery', false, 2210,
                    0.24, 0.16, 0.41, 0.09, 0.59, 0.52, 0.17, 0.48, 1.6, 1.37, 1.5, 0.84, 0.95, 0.94, 1.07),
                   (@id, 'facility_group', @small, false, @smallSize,
                    0.33, 0.25, 0.50, 0.12, 0.50, 0.60, 0.20, 0.40, 2.5, 1.67, 2.0, 0.71, 1.09, 1.11, 0.89)
            """, ("id", ModelId), ("small", SmallGroup), ("smallSize", SmallGroupSize));

        for (var d = 0; d < Dates.Length; d++)
        {
            var reference = Shares(center: 0.22);
            var current = Shares(center: 0.22 + 0.06 * d);
            await ExecuteAsync(connection, """
                insert into monitoring.drift (monitor_date, model_id, reference_rows, current_rows, bins, psi, ks,
                    mean_reference, mean_current, mean_shift, fail_share_reference, fail_share_current, status, run_id,
                    score_status, feature_status, performance_status, reference_dates, reference_threshold,
                    psi_warn, psi_alert, feature_psi_warn, feature_psi_alert)
                values (@date, @id, 5000, 4200 + @d, 10, @psi, 0.05 + 0.1 * @d,
                    0.22, 0.22 + 0.06 * @d, 0.06 * @d, 0.10, 0.11 + 0.08 * @d, @status, gen_random_uuid(),
                    @status, 'ok', case when @d >= 1 then 'warn' else 'ok' end, 12, 0.3125, 0.1, 0.25, 0.1, 0.25)
                """, ("date", Dates[d]), ("id", ModelId), ("d", d), ("psi", Psi[d]), ("status", Status[d]));
            for (var f = 0; f < Features.Length; f++)
            {
                await ExecuteAsync(connection, """
                    insert into monitoring.feature_drift (monitor_date, feature, kind, psi, js_divergence, bins,
                        mean_reference, mean_current, status, counted)
                    values (@date, @feature, @kind, @psi, @js, 10, @mean, @mean,
                        case when @psi >= 0.25 then 'alert' when @psi >= 0.1 then 'warn' else 'ok' end, true)
                    """, ("date", Dates[d]), ("feature", Features[f]), ("kind", f == 2 ? "categorical" : "numeric"),
                    ("psi", Math.Round(0.02 + 0.09 * d / (f + 1.0), 4)), ("js", f == 2 ? 0.01 * (d + 1) : DBNull.Value),
                    ("mean", f == 2 ? DBNull.Value : 100.0 + d));
            }
            for (var b = 0; b < 10; b++)
            {
                await ExecuteAsync(connection, """
                    insert into monitoring.histogram_bins (monitor_date, series, bin, lower_bound, upper_bound, count,
                        share)
                    values (@date, 'reference', @b, @b / 10.0, (@b + 1) / 10.0, round(@r * 5000), @r),
                           (@date, 'current', @b, @b / 10.0, (@b + 1) / 10.0, round(@c * 4200), @c)
                    """, ("date", Dates[d]), ("b", b), ("r", reference[b]), ("c", current[b]));
            }
        }

        for (var e = 0; e < Evaluated.Length; e++)
        {
            await ExecuteAsync(connection, """
                insert into monitoring.performance (prediction_date, evaluated_on, model_id, window_end, predicted,
                    evaluated, fails, fail_rate, roc_auc, precision_at_5, precision_at_10, precision_at_20, lift_at_10,
                    days_earlier, brier, validation_roc_auc, validation_precision_at_10, validation_days_earlier,
                    status, run_id)
                values (@p, @on, @id, @p::date + 60, 4300, 812, 170, 0.2094, @auc, 0.41, 0.36, 0.31, 1.72, 4.8, 0.151,
                    0.6951, 0.4055, null, @status, gen_random_uuid())
                """, ("p", Evaluated[e]), ("on", Dates[e]), ("id", ModelId), ("auc", RealisedAuc[e]),
                ("status", e == 0 ? "ok" : "warn"));
            for (var decile = 1; decile <= 10; decile++)
                await ExecuteAsync(connection, """
                    insert into monitoring.calibration (prediction_date, decile, rows, mean_score, fail_rate)
                    values (@p, @decile, 81, @mean, @rate)
                    """, ("p", Evaluated[e]), ("decile", decile), ("mean", 0.05 + 0.04 * decile),
                    ("rate", 0.04 + 0.038 * decile));
        }

        var okRun = Guid.NewGuid();
        var failedRun = Guid.NewGuid();
        await ExecuteAsync(connection, """
            insert into pipeline.task_runs (run_id, task, task_key, parameters, state, started_at, finished_at, error,
                                            failure_report)
            values (@ok, 'monitor', 'monitor(date=2024-01-21, source=socrata)',
                    '{"date": "2024-01-21", "source": "socrata"}', 'succeeded',
                    '2024-01-22 03:00:00+00', '2024-01-22 03:00:02.5+00', null, null),
                   (@failed, 'predict', 'predict(date=2024-01-21, source=socrata; check.max_score=0.5)',
                    '{"date": "2024-01-21", "source": "socrata"}', 'failed',
                    '2024-01-22 02:50:00+00', '2024-01-22 02:50:01+00', 'check max_score failed', @report);
            insert into pipeline.task_metadata (run_id, task, task_key, parameters, started_at, finished_at,
                duration_ms, rows_written, host, os_user, product_version, product_commit, figures)
            values (@ok, 'monitor', 'monitor(date=2024-01-21, source=socrata)',
                    '{"date": "2024-01-21", "source": "socrata"}',
                    '2024-01-22 03:00:00+00', '2024-01-22 03:00:02.5+00', 2500, 31, 'vm', 'cron', '0.1.0', 'abc123',
                    '{}');
            insert into pipeline.check_results (run_id, check_name, passed, assertion, expected, actual, note, locals,
                                                offending_keys)
            values (@ok, 'psi_finite', true, 'psi is finite', 'finite', '0.318', 'PSI must be a number', '{}', '[]'),
                   (@failed, 'max_score', false, 'max score <= 0.5', '<= 0.5', '0.93', 'scores look too high', '{}',
                    '[]');
            """, ("ok", okRun), ("failed", failedRun), ("report", FailureReport));
    }

    /// <summary>Shares of ten score bins shaped like a bump around <paramref name="center"/>, summing to 1.</summary>
    private static double[] Shares(double center)
    {
        var weights = Enumerable.Range(0, 10)
            .Select(b => Math.Exp(-Math.Pow((b + 0.5) / 10 - center, 2) / 0.02))
            .ToArray();
        return weights.Select(w => Math.Round(w / weights.Sum(), 4)).ToArray();
    }

    private static async Task ExecuteAsync(
        NpgsqlConnection connection,
        string sql,
        params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync();
    }
}
