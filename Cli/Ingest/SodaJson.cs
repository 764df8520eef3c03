using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
        SourceRecord.Keys.Select((key, index) => (key, index))
            .ToDictionary(p => p.key, p => p.index, StringComparer.Ordinal);

    /// <summary>Streams a saved SODA JSON file (a JSON array) record by record.</summary>
    public static async IAsyncEnumerable<SourceRecord> ReadFileAsync(
        string path, [EnumeratorCancellation] CancellationToken ct)
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
                throw new UserException(ExitCodes.UsageError,
                    $"{path} is not SODA JSON (a JSON array of records): {e.Message}");
            }
            yield return ToRecord(enumerator.Current, ++number, seen);
        }

        // Thrown after the last record, before the load commits: the task rolls back, nothing is written.
        var missing = SourceRecord.Read.Where(i => !seen[i]).Select(i => $"'{SourceRecord.Keys[i]}'").ToList();
        if (number > 0 && missing.Count > 0)
            throw new UserException(ExitCodes.UsageError,
                $"{path} is not a full SODA export: no record has the keys {string.Join(", ", missing)}, " +
                "which the pipeline reads");
    }

    /// <summary>
    /// The record of one SODA object; marks in <paramref name="seen"/> the fields whose key it has (even as
    /// null). System.Text.Json reads a document without checking its strings; text that is not valid UTF-8,
    /// or an escaped lone surrogate, fails only when read, so it is found here, record by record.
    /// </summary>
    public static SourceRecord ToRecord(JsonElement element, long number, bool[]? seen = null)
    {
        var record = new SourceRecord(number);
        if (element.ValueKind != JsonValueKind.Object) return record;
        Dictionary<string, JsonElement>? extra = null;
        foreach (var property in element.EnumerateObject())
        {
            if (!TryGetName(property, out var name))
            {
                record.ReadProblem ??= "a key is not valid UTF-8";
                continue;
            }
            if (FieldOf.TryGetValue(name, out var field))
            {
                record.Set(field, Text(property.Value, out var problem));
                if (problem is not null) record.ReadProblem ??= $"{name} {problem}";
                if (seen is not null) seen[field] = true;
            }
            else if ((SourceText.Problem(name) is { } keyProblem ? $"key {keyProblem}" : Problem(property.Value))
                     is { } problem)
            {
                // Kept as jsonb, which can hold neither a NUL nor a lone surrogate.
                record.ReadProblem ??= $"{SourceText.Printable(name)} {problem}";
            }
            else
            {
                (extra ??= new(StringComparer.Ordinal))[name] = property.Value;
            }
        }
        if (extra is not null && record.ReadProblem is null) record.Extra = JsonSerializer.Serialize(extra);
        return record;
    }

    /// <summary>
    /// The field's text (a string's value, else its JSON); when that cannot be read, the raw bytes with a problem
    /// that says why.
    /// </summary>
    private static string? Text(JsonElement value, out string? problem)
    {
        problem = null;
        try
        {
            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => value.GetRawText(),
            };
        }
        catch (InvalidOperationException)
        {
            var raw = Raw(value);
            // Bytes that are not UTF-8 show in the raw text, and Parse names them; otherwise it is an escape.
            if (SourceText.Problem(raw) is null) problem = "holds an unpaired UTF-16 surrogate escape";
            return raw;
        }
    }

    /// <summary>Why a value kept as JSON (an extra key's) cannot be stored as received, or null.</summary>
    private static string? Problem(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                string text;
                try
                {
                    text = value.GetString()!;
                }
                catch (InvalidOperationException)
                {
                    return SourceText.Problem(Raw(value)) ?? "holds an unpaired UTF-16 surrogate escape";
                }
                return SourceText.Problem(text);
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    if (!TryGetName(property, out var name)) return "has a key that is not valid UTF-8";
                    if ((SourceText.Problem(name) is { } keyProblem
                            ? $"has a key that {keyProblem}"
                            : Problem(property.Value)) is { } problem)
                        return problem;
                }
                return null;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                    if (Problem(item) is { } problem) return problem;
                return null;
            default:
                return null;
        }
    }

    private static bool TryGetName(JsonProperty property, out string name)
    {
        try
        {
            name = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            name = "";
            return false;
        }
    }

    /// <summary>
    /// The value's JSON text as received, bytes that are not UTF-8 escaped (<see cref="SourceText.Decode"/>);
    /// a string without its quotes.
    /// </summary>
    private static string Raw(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (value.ValueKind == JsonValueKind.String) raw = raw[1..^1];
        return SourceText.Decode(raw);
    }
}
