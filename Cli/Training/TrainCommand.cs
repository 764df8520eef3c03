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

    /// <summary>The candidate table of the train run of <paramref name="date"/>, read back from the database.</summary>
    public static async Task PrintCandidatesAsync(TextWriter output, Npgsql.NpgsqlDataSource dataSource, DateOnly date, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var results = await CandidateFolds.ReadAsync(connection, null, date, ct);
        var selected = await ModelRegistry.TrainedOnAsync(connection, null, date, ct);
        output.Write(CandidateTable(results, selected));
    }

    /// <summary>One line per candidate, in grid order as written: the mean over folds of each metric; * marks the selected.</summary>
    public static string CandidateTable(IReadOnlyList<FoldMetrics> results, RegisteredModel? selected)
    {
        var text = new System.Text.StringBuilder();
        var folds = results.Select(r => r.Fold).Distinct().Count();
        var width = Math.Max(9, results.Select(r => r.Candidate.Length).DefaultIfEmpty(0).Max());
        text.AppendLine(CultureInfo.InvariantCulture, $"Candidates, mean over {folds} temporal folds:");
        text.AppendLine(CultureInfo.InvariantCulture, $"  {"candidate".PadRight(width)}  roc_auc   p@5    p@10   p@20   brier");
        foreach (var group in results.GroupBy(r => r.Candidate).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            string F(Func<FoldMetrics, double?> metric) =>
                TemporalValidation.Mean(group.Select(metric)).ToString("0.000", CultureInfo.InvariantCulture).PadLeft(6);
            var mark = selected?.Candidate == group.Key ? "*" : " ";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{mark} {group.Key.PadRight(width)}  {F(r => r.RocAuc)}  {F(r => r.PrecisionAt5)} {F(r => r.PrecisionAt10)} {F(r => r.PrecisionAt20)} {F(r => r.Brier)}");
        }
        if (selected is not null)
            text.AppendLine(CultureInfo.InvariantCulture,
                $"* selected: {selected.ModelId}, threshold {selected.Threshold.ToString("0.0000", CultureInfo.InvariantCulture)}");
        return text.ToString();
    }
}
