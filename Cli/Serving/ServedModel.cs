using Dapper;
using Npgsql;

namespace Inspections.Serving;

/// <summary>Why a stored day's predictions used their model, as store-api recorded it in <c>api.days</c>.</summary>
internal sealed record ServedModel(string ModelId, string? ModelChoice, string? ModelReason)
{
    private const string Sql = """
        select model_id as ModelId, model_choice as ModelChoice, model_reason as ModelReason
        from api.days where prediction_date = @date
        """;

    /// <summary>The day's model and why, or null when nothing is stored for <paramref name="date"/>.</summary>
    public static Task<ServedModel?> OfDayAsync(NpgsqlConnection connection, DateOnly date, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<ServedModel>(
            new CommandDefinition(Sql, new { date }, cancellationToken: ct));
}
