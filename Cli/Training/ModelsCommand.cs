using System.CommandLine;
using System.Globalization;
using Inspections.Database;
using Inspections.Hosting;
using Npgsql;

namespace Inspections.Training;

/// <summary>
/// <c>inspections models list | show ID | promote ID | unpin</c>: the model registry, and pinning the model predict
/// uses. A pinned model scores every date from the day it was trained on, until <c>unpin</c>; unpinned, predict takes
/// the newest model selected at or before each date (<see cref="ModelPins.ChooseAsync"/>). Dates already predicted keep
/// their predictions.
/// </summary>
internal static class ModelsCommand
{
    public static Command Create(CliContext cli)
    {
        var models = new Command("models",
            "The model registry: list and show models, pin the one predict uses, or unpin it");

        var list = new Command("list",
            "Every selected model, newest first: trained on, candidate, selection metric, threshold, pin");
        list.SetAction((parseResult, ct) =>
            WithConnectionAsync(cli, parseResult, c => ListAsync(cli.Terminal.Out, c, ct), ct));

        var showId = ModelIdArgument("The model to show (from `inspections models list`)");
        var show = new Command("show",
            "One model's card: training window, validation, threshold, what it weighs most") { showId };
        show.SetAction((parseResult, ct) =>
            WithConnectionAsync(cli, parseResult,
                c => ShowAsync(cli.Terminal.Out, c, parseResult.GetValue(showId)!, ct), ct));

        var promoteId = ModelIdArgument("The model to pin");
        var promote = new Command("promote",
            "Pin a model: predict uses it for every date from its training date on, instead of the newest one")
        {
            promoteId,
        };
        promote.SetAction((parseResult, ct) =>
            WithConnectionAsync(cli, parseResult,
                c => PromoteAsync(cli.Terminal.Out, c, parseResult.GetValue(promoteId)!, ct), ct));

        var unpin = new Command("unpin",
            "Release the pinned model: predict uses the newest model selected at or before each date");
        unpin.SetAction((parseResult, ct) =>
            WithConnectionAsync(cli, parseResult, c => UnpinAsync(cli.Terminal.Out, c, ct), ct));

        models.Add(list);
        models.Add(show);
        models.Add(promote);
        models.Add(unpin);
        return models;
    }

    private static Argument<string> ModelIdArgument(string description) =>
        new("model-id") { Description = description };

    private static async Task<int> WithConnectionAsync(
        CliContext cli,
        ParseResult parseResult,
        Func<NpgsqlConnection, Task<int>> action,
        CancellationToken ct)
    {
        var settings = cli.LoadSettings(parseResult);
        using var logs = cli.CreateLoggerFactory(parseResult);
        await using var dataSource = await DatabaseConnector.OpenAsync(settings, logs, ct);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await action(connection);
    }

    private static async Task<int> ListAsync(TextWriter output, NpgsqlConnection connection, CancellationToken ct)
    {
        var entries = await ModelRegistry.ListAsync(connection, ct);
        if (entries.Count == 0)
        {
            output.WriteLine("No model has been selected yet: inspections train --date YYYY-MM-DD");
            return ExitCodes.Success;
        }
        var pin = await ModelPins.CurrentAsync(connection, null, ct);
        var idWidth = entries.Max(e => e.ModelId.Length);
        var candidateWidth = Math.Max(9, entries.Max(e => e.Candidate.Length));
        output.WriteLine($"  {"model".PadRight(idWidth)}  trained on  " +
            $"{"candidate".PadRight(candidateWidth)}  selected by            threshold");
        foreach (var e in entries)
        {
            var mark = e.ModelId == pin?.ModelId ? "*" : " ";
            var selection = $"{e.SelectionMetric} {e.SelectionValue.ToString("0.000", CultureInfo.InvariantCulture)}";
            output.WriteLine(
                $"{mark} {e.ModelId.PadRight(idWidth)}  {e.TrainedOn:yyyy-MM-dd}  " +
                $"{e.Candidate.PadRight(candidateWidth)}  " +
                $"{selection,-21}  {e.Threshold.ToString("0.0000", CultureInfo.InvariantCulture)}");
        }
        output.WriteLine(pin is null
            ? "No model is pinned: predict uses the newest model selected at or before each date."
            : $"* pinned by {pin.PinnedBy} at {pin.PinnedAt:yyyy-MM-dd HH:mm}Z: " +
              $"predict uses it for every date from {pin.TrainedOn:yyyy-MM-dd} on.");
        return ExitCodes.Success;
    }

    private static async Task<int> ShowAsync(
        TextWriter output,
        NpgsqlConnection connection,
        string modelId,
        CancellationToken ct)
    {
        var entry = await ModelRegistry.EntryAsync(connection, modelId, ct) ?? throw Unknown(modelId);
        var model = await ModelRegistry.ByIdAsync(connection, null, modelId, ct) ?? throw Unknown(modelId);
        var pin = await ModelPins.CurrentAsync(connection, null, ct);
        output.WriteLine($"Model:           {entry.ModelId}{(pin?.ModelId == modelId ? " (pinned)" : "")}");
        output.WriteLine($"Candidate:       {entry.Candidate} ({entry.Algorithm})");
        output.WriteLine($"Trained on:      {entry.TrainedOn:yyyy-MM-dd}, from {entry.TrainingRows:N0} snapshots of " +
            $"{entry.TrainingWindowStart:yyyy-MM-dd} to {entry.TrainingWindowEnd:yyyy-MM-dd}");
        output.WriteLine($"Selected by:     {entry.SelectionMetric} = " +
            $"{entry.SelectionValue.ToString("0.0000", CultureInfo.InvariantCulture)}");
        output.WriteLine($"Threshold:       {entry.Threshold.ToString("0.0000", CultureInfo.InvariantCulture)} " +
            $"({entry.ThresholdRule})");
        output.WriteLine($"Stored:          {entry.CreatedAt:yyyy-MM-dd HH:mm:ss}Z, sha256 {entry.ModelSha256}");
        var folds = await CandidateFolds.ReadAsync(connection, null, entry.TrainedOn, ct);
        var own = folds.Where(f => f.Candidate == entry.Candidate).ToList();
        if (own.Count > 0) output.Write(TrainCommand.CandidateTable(own, model));
        output.Write(TrainCommand.ExplanationTable(model, 12));
        return ExitCodes.Success;
    }

    private static async Task<int> PromoteAsync(
        TextWriter output,
        NpgsqlConnection connection,
        string modelId,
        CancellationToken ct)
    {
        var entry = await ModelRegistry.EntryAsync(connection, modelId, ct) ?? throw Unknown(modelId);
        var pin = await ModelPins.CurrentAsync(connection, null, ct);
        if (pin?.ModelId == modelId)
        {
            output.WriteLine($"{modelId} is already pinned (by {pin.PinnedBy} at {pin.PinnedAt:yyyy-MM-dd HH:mm}Z).");
            return ExitCodes.Success;
        }
        await ModelPins.PinAsync(connection, modelId, Environment.UserName, ct);
        output.WriteLine(
            $"Pinned {modelId} (trained on {entry.TrainedOn:yyyy-MM-dd}): predict uses it for every date " +
            "from then on, until `inspections models unpin`. Dates already predicted keep their predictions.");
        return ExitCodes.Success;
    }

    private static async Task<int> UnpinAsync(TextWriter output, NpgsqlConnection connection, CancellationToken ct)
    {
        var pin = await ModelPins.CurrentAsync(connection, null, ct);
        if (pin is null)
        {
            output.WriteLine(
                "No model is pinned: predict already uses the newest model selected at or before each date.");
            return ExitCodes.Success;
        }
        await ModelPins.UnpinAsync(connection, Environment.UserName, ct);
        output.WriteLine($"Unpinned {pin.ModelId}: predict uses the newest model selected at or before each date.");
        return ExitCodes.Success;
    }

    private static UserException Unknown(string modelId) =>
        new(ExitCodes.UsageError, $"no model '{modelId}' in the registry (inspections models list shows them)");
}
