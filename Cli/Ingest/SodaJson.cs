using System.Runtime.CompilerServices;
using System.Text.Json;
using Inspections.Hosting;

namespace Inspections.Ingest;

/// <summary>
/// Reads SODA JSON (the portal API's answer, or a saved copy): an array of records whose values are
/// strings or numbers, with null fields left out, unknown keys, and <c>location</c> either
/// <c>{"latitude":..,"longitude":..}</c> or GeoJSON. Location is kept as received (its JSON text).
/// </summary>
/// <remarks>
/// A record without a key is normal (SODA leaves null fields out), but a saved file in which a key the
/// pipeline reads appears in no record at all is not a full export (a <c>$select</c> that left it out, another
/// dataset) and is refused whole. The live API is not held to that: a short window can hold no violations
/// text or no AKA name, and an absent field never replaces a stored one (see <see cref="IngestTask"/>).
/// </remarks>
internal static class SodaJson
{
    private static readonly Dictionary<string, int> FieldOf =
        SourceRecord.Keys.Select((key, index) => (key, index)).ToDictionary(p => p.key, p => p.index, StringComparer.Ordinal);

    /// <summary>Streams a saved SODA JSON file (a JSON array) record by record.</summary>
    public static async IAsyncEnumerable<SourceRecord> ReadFileAsync(string path, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        var elements = JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(stream, cancellationToken: ct);
        long number = 0;
        var seen = new bool[SourceRecord.Keys.Length];
        await using var enumerator = elements.GetAsyncEnumerator(ct);
        while (true)
        {
            try
            {
                if (!await enumerator.MoveNextAsync()) break;
            }
            catch (JsonException e)
            {
                throw new UserException(ExitCodes.UsageError, $"{path} is not SODA JSON (a JSON array of records): {e.Message}");
            }
            yield return ToRecord(enumerator.Current, ++number, seen);
        }

        // Thrown after the last record, before the load commits: the task rolls back, nothing is written.
        var missing = SourceRecord.Read.Where(i => !seen[i]).Select(i => $"'{SourceRecord.Keys[i]}'").ToList();
        if (number > 0 && missing.Count > 0)
            throw new UserException(ExitCodes.UsageError,
                $"{path} is not a full SODA export: no record has the keys {string.Join(", ", missing)}, which the pipeline reads");
    }

    /// <summary>The record of one SODA object; marks in <paramref name="seen"/> the fields whose key it has (even as null).</summary>
    public static SourceRecord ToRecord(JsonElement element, long number, bool[]? seen = null)
    {
        var record = new SourceRecord(number);
        if (element.ValueKind != JsonValueKind.Object) return record;
        Dictionary<string, JsonElement>? extra = null;
        foreach (var property in element.EnumerateObject())
        {
            if (FieldOf.TryGetValue(property.Name, out var field))
            {
                record.Set(field, Text(property.Value));
                if (seen is not null) seen[field] = true;
            }
            else (extra ??= new(StringComparer.Ordinal))[property.Name] = property.Value;
        }
        if (extra is not null) record.Extra = JsonSerializer.Serialize(extra);
        return record;
    }

    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => value.GetRawText(),
    };
}
