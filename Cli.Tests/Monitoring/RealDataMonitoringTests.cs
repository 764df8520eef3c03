using System.Globalization;
using Dapper;
using Inspections.Ingest;
using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Monitoring;

/// <summary>
/// The real export replayed as the weekly cron job would: <c>train --date 2014-01-06</c>, then <c>run</c> every Monday
/// to 2014-08-25. Done once for the class; its tests read what the replay stored.
/// </summary>
public sealed class RealExportReplay : IAsyncLifetime
{
    public static readonly DateOnly TrainedOn = new(2014, 1, 6);
    public static readonly DateOnly LastRun = new(2014, 8, 25);

    public TestDatabase Db { get; } = new();

    public CliResult Train { get; private set; } = null!;
    public CliResult Weekly { get; private set; } = null!;

    public static IReadOnlyList<DateOnly> Mondays =>
        [.. Enumerable.Range(0, 100).Select(i => TrainedOn.AddDays(7 * i)).TakeWhile(d => d <= LastRun)];

    public async Task InitializeAsync()
    {
        await Db.InitializeAsync();
        if (!SharedData.Available) return; // the tests say why they are skipped (or fail, in CI)
        Train = await Db.RunAsync("train", "--date", "2014-01-06", "--source", SharedData.ChicagoCsv);
        if (Train.ExitCode != 0) return;
        Weekly = await Db.RunAsync(
            "run", "--from", "2014-01-06", "--to", "2014-08-25", "--every", "week", "--source", SharedData.ChicagoCsv);
    }

    public Task DisposeAsync() => Db.DisposeAsync();
}

public sealed class RealDataMonitoringTests(RealExportReplay replay) : IClassFixture<RealExportReplay>
{
    private const int LabelWindowDays = 60; // Features:LabelWindowDays in appsettings.json
    private const int Results = 12; // the export's Results column

    private sealed record DriftRow(
        DateOnly MonitorDate,
        string Status,
        string ScoreStatus,
        string FeatureStatus,
        double Psi,
        double FailShareReference,
        double FailShareCurrent,
        int ReferenceDates);

    [RealDataFact]
    public async Task Drift_is_ok_at_the_training_date_and_on_nine_weeks_in_ten_of_the_weekly_replay()
    {
        replay.Train.ExitCode.ShouldBe(0, replay.Train.ToString());
        replay.Weekly.ExitCode.ShouldBe(0, replay.Weekly.ToString());
        await using var connection = await replay.Db.DataSource.OpenConnectionAsync();
        var drift = (await connection.QueryAsync<DriftRow>("""
            select monitor_date as MonitorDate, status as Status, score_status as ScoreStatus,
                   feature_status as FeatureStatus, psi as Psi, fail_share_reference as FailShareReference,
                   fail_share_current as FailShareCurrent, reference_dates as ReferenceDates
            from monitoring.drift order by monitor_date
            """)).ToList();

        drift.Select(d => d.MonitorDate).ShouldBe(RealExportReplay.Mondays);
        var first = drift[0];
        first.ScoreStatus.ShouldBe("ok");
        first.FeatureStatus.ShouldBe("ok");
        first.Status.ShouldBe("ok"); // nothing evaluated yet on the training date
        // The validation folds' monthly as-of dates (Training in appsettings.json).
        first.ReferenceDates.ShouldBeGreaterThanOrEqualTo(6);
        // The threshold is set on the training date's cohort, as the stored model scores it: on that date the
        // configured share (Training:ThresholdTopShare, 10%) is labelled fail, give or take ties.
        first.FailShareCurrent.ShouldBeInRange(0.10, 0.11);
        var driftOk = drift.Count(d => d.ScoreStatus == "ok" && d.FeatureStatus == "ok");
        var weeks = string.Join(", ",
            drift.Select(d => $"{d.MonitorDate:MM-dd} {d.ScoreStatus}/{d.FeatureStatus} {d.Psi:0.000}"));
        ((double)driftOk / drift.Count).ShouldBeGreaterThanOrEqualTo(0.9, $"{driftOk} of {drift.Count} weeks: {weeks}");

        // Every model feature is compared on every date, and monitor prints the most drifted ones.
        var perDate = (await connection.QueryAsync<long>(
            "select count(*) from monitoring.feature_drift group by monitor_date")).Distinct().ToList();
        perDate.ShouldBe([(long)Inspections.Features.FeatureSet.All.Count]);
        replay.Weekly.Out.ShouldContain("Most drifted features: ");
    }

    [RealDataFact]
    public async Task Every_closed_window_is_evaluated_once_with_the_figures_plain_code_computes_from_the_export()
    {
        replay.Weekly.ExitCode.ShouldBe(0, replay.Weekly.ToString());
        await using var connection = await replay.Db.DataSource.OpenConnectionAsync();
        var stored = (await connection.QueryAsync<Stored>("""
            select prediction_date as PredictionDate, evaluated_on as EvaluatedOn, predicted as Predicted,
                   evaluated as Evaluated, fails as Fails, fail_rate as FailRate, roc_auc as RocAuc,
                   precision_at_5 as PrecisionAt5, precision_at_10 as PrecisionAt10,
                   precision_at_20 as PrecisionAt20, lift_at_10 as LiftAt10, days_earlier as DaysEarlier
            from monitoring.performance order by prediction_date
            """)).ToList();

        // A prediction date is evaluated by the first weekly run on or after its window closed, and only then.
        var mondays = RealExportReplay.Mondays;
        var closed = mondays.Where(p => p.AddDays(LabelWindowDays) <= RealExportReplay.LastRun).ToList();
        stored.Select(s => s.PredictionDate).ShouldBe(closed);
        foreach (var s in stored)
            s.EvaluatedOn.ShouldBe(mondays.First(m => m >= s.PredictionDate.AddDays(LabelWindowDays)));

        var inspections = await ReadExportAsync();
        foreach (var s in stored)
        {
            var scores = (await connection.QueryAsync<(string License, double Score)>(
                "select license, score from predictions.scores where prediction_date = @date",
                new { date = s.PredictionDate })).ToList();
            var end = s.PredictionDate.AddDays(LabelWindowDays);
            var outcomes = new List<(double Score, bool Fail, DateOnly Date)>();
            foreach (var (license, score) in scores)
            {
                if (!inspections.TryGetValue(license, out var history)) continue;
                var first = history.Where(i => i.Date >= s.PredictionDate && i.Date < end)
                    .OrderBy(i => i.Date).ThenBy(i => i.Id).FirstOrDefault();
                if (first.Id != 0) outcomes.Add((score, first.Fail, first.Date));
            }
            var context = $"prediction date {s.PredictionDate:yyyy-MM-dd}";
            s.Predicted.ShouldBe(scores.Count, context);
            s.Evaluated.ShouldBe(outcomes.Count, context);
            s.Fails.ShouldBe(outcomes.Count(o => o.Fail), context);
            s.FailRate!.Value.ShouldBe((double)s.Fails / s.Evaluated, 1e-12, context);
            s.RocAuc!.Value.ShouldBe(PairwiseAuc(outcomes), 1e-9, context);
            s.PrecisionAt5!.Value.ShouldBe(ExpectedPrecision(outcomes, 0.05), 1e-9, context);
            s.PrecisionAt10!.Value.ShouldBe(ExpectedPrecision(outcomes, 0.10), 1e-9, context);
            s.PrecisionAt20!.Value.ShouldBe(ExpectedPrecision(outcomes, 0.20), 1e-9, context);
            s.LiftAt10!.Value.ShouldBe(ExpectedPrecision(outcomes, 0.10) / s.FailRate.Value, 1e-9, context);
            s.DaysEarlier!.Value.ShouldBe(DaysEarlier(outcomes), 1e-9, context);
            var deciles = (await connection.QueryAsync<int>(
                "select rows from monitoring.calibration where prediction_date = @date order by decile",
                new { date = s.PredictionDate })).ToList();
            deciles.Count.ShouldBe(10, context);
            deciles.Sum().ShouldBe(s.Evaluated, context);
            (deciles.Max() - deciles.Min()).ShouldBeLessThanOrEqualTo(1, context);
        }
    }

    private sealed record Stored(
        DateOnly PredictionDate,
        DateOnly EvaluatedOn,
        int Predicted,
        int Evaluated,
        int Fails,
        double? FailRate,
        double? RocAuc,
        double? PrecisionAt5,
        double? PrecisionAt10,
        double? PrecisionAt20,
        double? LiftAt10,
        double? DaysEarlier);

    /// <summary>
    /// Pass/fail inspections of the export by license (leading zeros dropped, as the City's ids are numbers).
    /// </summary>
    private static async Task<Dictionary<string, List<(long Id, DateOnly Date, bool Fail)>>> ReadExportAsync()
    {
        var byLicense = new Dictionary<string, List<(long, DateOnly, bool)>>(StringComparer.Ordinal);
        await foreach (var record in CsvExportReader.ReadAsync(SharedData.ChicagoCsv, CancellationToken.None))
        {
            var keys = record.Parse();
            var result = (record[Results] ?? "").Trim();
            var fail = result.Equals("Fail", StringComparison.OrdinalIgnoreCase);
            if (!fail
                && !result.Equals("Pass", StringComparison.OrdinalIgnoreCase)
                && !result.Equals("Pass w/ Conditions", StringComparison.OrdinalIgnoreCase))
                continue;
            var license = (record[SourceRecord.License] ?? "").Trim().TrimStart('0');
            if (license.Length == 0) continue;
            if (!byLicense.TryGetValue(license, out var list)) byLicense[license] = list = [];
            list.Add((keys.Id, keys.Date, fail));
        }
        return byLicense;
    }

    /// <summary>The share of (fail, pass) pairs in which the fail scores higher, a tie counting one half.</summary>
    private static double PairwiseAuc(List<(double Score, bool Fail, DateOnly Date)> outcomes)
    {
        var fails = outcomes.Where(o => o.Fail).Select(o => o.Score).ToArray();
        var passes = outcomes.Where(o => !o.Fail).Select(o => o.Score).Order().ToArray();
        double wins = 0;
        foreach (var f in fails)
            foreach (var p in passes)
                wins += f > p ? 1 : f == p ? 0.5 : 0;
        return wins / ((double)fails.Length * passes.Length);
    }

    /// <summary>
    /// Precision among the top k = ceil(share x n), its expected value when the k-th place falls inside a block of tied
    /// scores and the block is ordered at random: the block's places left over take their share of its fails.
    /// </summary>
    private static double ExpectedPrecision(List<(double Score, bool Fail, DateOnly Date)> outcomes, double share)
    {
        var k = Math.Max(1, (int)Math.Ceiling(share * outcomes.Count - 1e-9));
        var sorted = outcomes.OrderByDescending(o => o.Score).ToList();
        var boundary = sorted[k - 1].Score;
        var above = sorted.Where(o => o.Score > boundary).ToList();
        var tied = sorted.Where(o => o.Score == boundary).ToList();
        var expected = above.Count(o => o.Fail) + (double)(k - above.Count) * tied.Count(o => o.Fail) / tied.Count;
        return expected / k;
    }

    /// <summary>
    /// The inspections' dates, sorted, handed out in score order; fails' actual minus assigned date, averaged.
    /// </summary>
    private static double DaysEarlier(List<(double Score, bool Fail, DateOnly Date)> outcomes)
    {
        var dates = outcomes.Select(o => o.Date.DayNumber).Order().ToArray();
        var blocks = outcomes.Select((o, i) => o).GroupBy(o => o.Score).OrderByDescending(g => g.Key);
        var place = 0;
        var gains = new List<double>();
        foreach (var block in blocks)
        {
            var members = block.ToList();
            var assigned = dates.Skip(place).Take(members.Count).Average();
            gains.AddRange(members.Where(m => m.Fail).Select(m => m.Date.DayNumber - assigned));
            place += members.Count;
        }
        return gains.Average();
    }
}

/// <summary>
/// The real export with a deliberate shift: a database of its own, trained on 2014-01-06, run once on 2014-08-25.
/// </summary>
public sealed class ShiftedSourceMonitoringTests
{
    [RealDataFact]
    public async Task A_source_where_a_third_of_establishments_recently_failed_alerts_and_fail_on_drift_exits_6()
    {
        var shifted = await ShiftedExportAsync();
        var db = new TestDatabase();
        await db.InitializeAsync();
        try
        {
            (await db.RunAsync("train", "--date", "2014-01-06", "--source", shifted)).ExitCode.ShouldBe(0);

            // So strong a shift also trips predict's own guard (more than half labelled fail): let it through, so that
            // what monitoring makes of it is what this test sees.
            var result = await db.RunAsync("run", "--date", "2014-08-25", "--source", shifted, "--fail-on-drift",
                "--check", "predict.max_fail_share=1");

            result.ExitCode.ShouldBe(6, result.ToString());
            // The shift shows in the most drifted features, and the alert names every counted feature at alert.
            result.Out.ShouldContain("Most drifted features: ", customMessage: result.ToString());
            result.Error.ShouldMatch(
                @"=> --fail-on-drift: at the alert level: .*features [^;]*\blast_result_fail\b", result.ToString());
            result.Error.ShouldContain("ALERT: Drift on 2014-08-25: alert");
            var (status, featureStatus) = await db.DataSource.OpenConnection().QuerySingleAsync<(string, string)>(
                "select status, feature_status from monitoring.drift where monitor_date = '2014-08-25'");
            status.ShouldBe("alert");
            featureStatus.ShouldBe("alert");
            (await db.ScalarAsync<string>("select status from monitoring.feature_drift " +
                                          "where monitor_date = '2014-08-25' and feature = 'last_result_fail'"))
                .ShouldBe("alert");
        }
        finally
        {
            await db.DisposeAsync();
            File.Delete(shifted);
        }
    }

    /// <summary>
    /// The real export plus, for every third establishment inspected in 2013 or 2014 (by license order), a failed
    /// canvass inspection between 2014-08-01 and 2014-08-20, with the establishment's own name, type, risk and address.
    /// </summary>
    private static async Task<string> ShiftedExportAsync()
    {
        var last = new Dictionary<string, SourceRecordRow>(StringComparer.Ordinal);
        var lines = await File.ReadAllLinesAsync(SharedData.ChicagoCsv);
        await foreach (var record in CsvExportReader.ReadAsync(SharedData.ChicagoCsv, CancellationToken.None))
        {
            var date = record.Parse().Date;
            var license = (record[SourceRecord.License] ?? "").Trim();
            if (license.TrimStart('0').Length == 0 || date < new DateOnly(2013, 1, 1)) continue;
            if (!last.TryGetValue(license, out var seen) || seen.Date <= date) last[license] = new(date, record);
        }
        var chosen = last.OrderBy(p => p.Key, StringComparer.Ordinal).Where((_, i) => i % 3 == 0).ToList();
        var appended = chosen.Select((p, i) =>
            Line(p.Value.Record, 90_000_000 + i, new DateOnly(2014, 8, 1).AddDays(i % 20)));
        var path = Path.Combine(Path.GetTempPath(), $"inspections-shifted-{Guid.NewGuid():N}.csv");
        await File.WriteAllLinesAsync(path, lines.Concat(appended));
        return path;
    }

    private sealed record SourceRecordRow(DateOnly Date, SourceRecord Record);

    private const int InspectionType = 11, Results = 12, Violations = 13;

    /// <summary>
    /// A portal CSV line: the establishment's fields from <paramref name="like"/>, a new id and date, a failed canvass.
    /// </summary>
    private static string Line(SourceRecord like, long id, DateOnly date)
    {
        var fields = like.Values.ToArray();
        fields[SourceRecord.Id] = id.ToString(CultureInfo.InvariantCulture);
        fields[SourceRecord.Date] = date.ToString("MM/dd/yyyy", CultureInfo.InvariantCulture);
        fields[InspectionType] = "Canvass";
        fields[Results] = "Fail";
        fields[Violations] = null;
        return string.Join(',', fields.Select(value => $"\"{(value ?? "").Replace("\"", "\"\"")}\""));
    }
}
