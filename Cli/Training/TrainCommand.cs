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
    public static Command Create(CliContext cli) =>
        PipelineVerb.Create(cli, "train",
            "Validate the candidate models on temporal folds, select and store the best, and audit it for bias",
            request => new BiasTask(request.Date, request.Source,
            [
                new SelectTask(request.Date, request.Source,
                [
                    // Features come first: the DAG wiring supplies the train task's upstream.
                    new TrainTask(request.Date, request.Source, []),
                ]),
            ]),
            afterRun: (request, _, ct) => PrintCandidatesAsync(cli, request, ct));

    private static async Task<int> PrintCandidatesAsync(CliContext cli, PipelineRequest request, CancellationToken ct)
    {
        await using var dataSource = await DatabaseConnector.OpenAsync(request.Settings,
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, ct);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var results = await CandidateFolds.ReadAsync(connection, null, request.Date, ct);
        var selected = await ModelRegistry.TrainedOnAsync(connection, null, request.Date, ct);
        cli.Terminal.Out.Write(CandidateTable(results, selected));
        return ExitCodes.Success;
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
