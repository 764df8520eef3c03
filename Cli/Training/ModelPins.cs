using Dapper;
using Npgsql;

namespace Inspections.Training;

/// <summary>The model pinned by <c>models promote</c>, when and by whom.</summary>
internal sealed record ModelPin(string ModelId, DateOnly TrainedOn, DateTime PinnedAt, string PinnedBy);

/// <summary>
/// The model predict uses for a date, and why that one (the sentence the API and the dashboard show).
/// </summary>
internal sealed record ModelChoice(RegisteredModel Model, string Choice, string Reason)
{
    public const string Pinned = "pinned";
    public const string Newest = "newest";
}

/// <summary>
/// Reads and writes <c>models.pins</c>, the log of <c>models promote</c> and <c>models unpin</c> (newest row is the
/// state), and decides which model predict uses: the pinned one for any date on or after the day it was trained, else
/// the newest selected at or before the date. A pinned model never scores a date before its training date: it learnt
/// from inspections that came later.
/// </summary>
internal static class ModelPins
{
    private const string CurrentSql = """
        select p.model_id as ModelId, r.trained_on as TrainedOn, p.changed_at as PinnedAt, p.changed_by as PinnedBy
        from (select model_id, changed_at, changed_by from models.pins order by pin_id desc limit 1) p
        join models.registry r using (model_id)
        """;

    /// <summary>The pinned model, or null when none is (never pinned, or unpinned since).</summary>
    public static Task<ModelPin?> CurrentAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? tx,
        CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<ModelPin>(
            new CommandDefinition(CurrentSql, transaction: tx, cancellationToken: ct));

    /// <summary>
    /// Pins <paramref name="modelId"/>, which must be in the registry (the foreign key says so otherwise).
    /// </summary>
    public static Task PinAsync(NpgsqlConnection connection, string modelId, string by, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "insert into models.pins (model_id, changed_by) values (@modelId, @by)",
            new { modelId, by },
            cancellationToken: ct));

    /// <summary>Records an unpin: from now on predict uses the newest model at or before each date.</summary>
    public static Task UnpinAsync(NpgsqlConnection connection, string by, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "insert into models.pins (model_id, changed_by) values (null, @by)", new { by }, cancellationToken: ct));

    /// <summary>
    /// The model predict uses on <paramref name="date"/>, or null when no model was selected at or before it.
    /// </summary>
    public static async Task<ModelChoice?> ChooseAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? tx,
        DateOnly date,
        CancellationToken ct)
    {
        var pin = await CurrentAsync(connection, tx, ct);
        if (pin is not null && pin.TrainedOn <= date
            && await ModelRegistry.ByIdAsync(connection, tx, pin.ModelId, ct) is { } pinned)
        {
            return new ModelChoice(pinned, ModelChoice.Pinned,
                $"pinned by {pin.PinnedBy} at {pin.PinnedAt:yyyy-MM-dd HH:mm}Z (inspections models promote)");
        }
        var newest = await ModelRegistry.NewestAtOrBeforeAsync(connection, tx, date, ct);
        if (newest is null) return null;
        var reason = $"the newest model selected on or before {date:yyyy-MM-dd}";
        return new ModelChoice(newest, ModelChoice.Newest, pin is null
            ? $"{reason}; none is pinned"
            : $"{reason}; the pinned {pin.ModelId} was trained later " +
              $"({pin.TrainedOn:yyyy-MM-dd}) and cannot score an earlier date");
    }
}
