using System.CommandLine;
using System.Globalization;
using Inspections.Database;
using Inspections.Hosting;
using Inspections.Pipeline;

namespace Inspections.Training;

/// <summary>
/// <c>inspections train --date D</c>: validates the candidates, selects and stores a model, audits it
/// for bias; then prints the candidates' mean fold metrics with the selected one marked.
/// </summary>
internal static class TrainCommand
{
    /// <param name="bias">The bias audit of the run date: the end of the train DAG (train, select, bias).</param>
    public static Command Create(CliContext cli, Func<DateOnly, string, PipelineTask> bias) =>
        PipelineVerb.Create(cli, "train",
            "Validate the candidate models on temporal folds, select and store the best, and audit it for bias",
            request => bias(request.Date, request.Source),
            afterRun: async (request, _, ct) =>
            {
                await PrintCandidatesAsync(cli.Terminal.Out, request.DataSource, request.Date, ct);
                return ExitCodes.Success;
            });

    /// <summary>
    /// The per-fold and candidate tables of the train run of <paramref name="date"/>, and what the selected model
    /// weighs, read back from the database.
    /// </summary>
    public static async Task PrintCandidatesAsync(
        TextWriter output,
        Npgsql.NpgsqlDataSource dataSource,
        DateOnly date,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var results = await CandidateFolds.ReadAsync(connection, null, date, ct);
        var selected = await ModelRegistry.TrainedOnAsync(connection, null, date, ct);
        output.Write(FoldTable(results, selected));
        output.Write(CandidateTable(results, selected));
        if (selected is not null) output.Write(ExplanationTable(selected, 12));
    }

    private static string F(double? value, string format = "0.000", int width = 6) =>
        (value is { } v && !double.IsNaN(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-").PadLeft(width);

    /// <summary>
    /// One line per fold of the selected candidate (or the first in grid order): its as-of dates, rows, fails, each
    /// metric, the fold's oracle days earlier, and every other candidate's ROC AUC on the fold.
    /// </summary>
    public static string FoldTable(IReadOnlyList<FoldMetrics> results, RegisteredModel? selected)
    {
        var text = new System.Text.StringBuilder();
        if (results.Count == 0) return "";
        var shown = selected?.Candidate ?? results[0].Candidate;
        var others = results
            .Select(r => r.Candidate)
            .Distinct()
            .Where(c => c != shown)
            .Order(StringComparer.Ordinal)
            .ToList();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Folds of {shown} (others: roc_auc of {string.Join(", ", others.Select((c, i) => $"[{i + 1}] {c}"))}):");
        text.Append(
            "  fold  as-of       rows  fails  roc_auc   p@5    p@10   p@20   r@10   lift10  brier   days  oracle");
        foreach (var (_, i) in others.Select((c, i) => (c, i)))
            text.Append(CultureInfo.InvariantCulture, $"   [{i + 1}]");
        text.AppendLine();
        foreach (var r in results.Where(r => r.Candidate == shown).OrderBy(r => r.Fold))
        {
            var asOf = r.FoldStart == r.FoldEnd
                ? $"{r.FoldStart:yyyy-MM-dd}"
                : $"{r.FoldStart:yyyy-MM-dd}..{r.FoldEnd:MM-dd}";
            text.Append(CultureInfo.InvariantCulture,
                $"  {r.Fold,4}  {asOf,-10} {r.ValidRows,5} {r.ValidPositives,6}  {F(r.RocAuc)}  " +
                $"{F(r.PrecisionAt5)} {F(r.PrecisionAt10)} {F(r.PrecisionAt20)} {F(r.RecallAt10)}  " +
                $"{F(r.LiftAt10, "0.00")}  {F(r.Brier, "0.0000")} {F(r.DaysEarlier, "0.00")}  " +
                $"{F(r.OracleDaysEarlier, "0.00")}");
            foreach (var other in others)
                text.Append(' ')
                    .Append(F(results.FirstOrDefault(o => o.Candidate == other && o.Fold == r.Fold)?.RocAuc));
            text.AppendLine();
        }
        return text.ToString();
    }

    /// <summary>
    /// One line per candidate, in name order: the mean over folds of each metric, and below it the standard deviation
    /// over folds (a candidate that wins by less than that has not won); * marks the selected.
    /// </summary>
    public static string CandidateTable(IReadOnlyList<FoldMetrics> results, RegisteredModel? selected)
    {
        var text = new System.Text.StringBuilder();
        var folds = results.Select(r => r.Fold).Distinct().Count();
        var width = Math.Max(9, results.Select(r => r.Candidate.Length).DefaultIfEmpty(0).Max());
        var oracle = TemporalValidation.Mean(results.GroupBy(r => r.Fold).Select(g => g.First().OracleDaysEarlier));
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Candidates, mean (and s.d.) over {folds} temporal folds; " +
            $"days earlier of an oracle that ranks every fail first: {F(oracle, "0.00", 0)}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"  {"candidate".PadRight(width)}  roc_auc   p@5    p@10   p@20   r@10   lift10  brier    days");
        foreach (var group in results.GroupBy(r => r.Candidate).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            string M(Func<FoldMetrics, double?> metric, string format = "0.000") =>
                F(TemporalValidation.Mean(group.Select(metric)), format);
            string S(Func<FoldMetrics, double?> metric, string format = "0.000") =>
                F(TemporalValidation.StandardDeviation(group.Select(metric)), format);
            var mark = selected?.Candidate == group.Key ? "*" : " ";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{mark} {group.Key.PadRight(width)}  {M(r => r.RocAuc)}  " +
                $"{M(r => r.PrecisionAt5)} {M(r => r.PrecisionAt10)} {M(r => r.PrecisionAt20)} " +
                $"{M(r => r.RecallAt10)}  {M(r => r.LiftAt10, "0.00")}  {M(r => r.Brier, "0.0000")} " +
                $"{M(r => r.DaysEarlier, "0.00")}");
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  {"  s.d.".PadRight(width)}  {S(r => r.RocAuc)}  " +
                $"{S(r => r.PrecisionAt5)} {S(r => r.PrecisionAt10)} {S(r => r.PrecisionAt20)} " +
                $"{S(r => r.RecallAt10)}  {S(r => r.LiftAt10, "0.00")}  {S(r => r.Brier, "0.0000")} " +
                $"{S(r => r.DaysEarlier, "0.00")}");
        }
        if (selected is not null)
            text.AppendLine(CultureInfo.InvariantCulture,
                $"* selected: {selected.ModelId}, " +
                $"threshold {selected.Threshold.ToString("0.0000", CultureInfo.InvariantCulture)}");
        return text.ToString();
    }

    /// <summary>
    /// The <paramref name="top"/> features the selected model weighs most: coefficients per s.d. (logistic) or gain
    /// importances (trees).
    /// </summary>
    public static string ExplanationTable(RegisteredModel selected, int top)
    {
        var entries = ModelExplanation.FromJson(selected.Explanation);
        if (entries.Count == 0) return "";
        var kind = selected.Algorithm switch
        {
            Candidate.Logistic => "coefficients per standard deviation (+ raises the risk of failing)",
            Candidate.Baseline => "score per risk category",
            _ => "gain importances",
        };
        var text = new System.Text.StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"What {selected.Candidate} weighs most ({kind}; all {entries.Count} in models.registry.explanation):");
        var width = entries.Take(top).Max(e => e.Feature.Length);
        foreach (var e in entries.Take(top))
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  {e.Feature.PadRight(width)}  {e.Weight.ToString("+0.0000;-0.0000", CultureInfo.InvariantCulture)}");
        return text.ToString();
    }
}
