using System.Globalization;
using System.Text.Json;

namespace Inspections.Ingest;

/// <summary>
/// One inspection as the source sent it: the dataset's seventeen fields as text (empty fields are
/// null), plus any keys the source sent that have no field. CSV exports and SODA JSON both land here.
/// </summary>
internal sealed class SourceRecord
{
    /// <summary>The dataset's fields: SODA JSON keys, in the order of the portal's CSV export columns.</summary>
    public static readonly string[] Keys =
    [
        "inspection_id", "dba_name", "aka_name", "license_", "facility_type", "risk", "address", "city", "state", "zip",
        "inspection_date", "inspection_type", "results", "violations", "latitude", "longitude", "location",
    ];

    /// <summary>The portal CSV export's header, column for column with <see cref="Keys"/>.</summary>
    public static readonly string[] CsvHeader =
    [
        "Inspection ID", "DBA Name", "AKA Name", "License #", "Facility Type", "Risk", "Address", "City", "State", "Zip",
        "Inspection Date", "Inspection Type", "Results", "Violations", "Latitude", "Longitude", "Location",
    ];

    public const int Id = 0;
    public const int City = 7;
    public const int State = 8;
    public const int Date = 10;
    public const int Latitude = 14;
    public const int Longitude = 15;
    public const int Location = 16;

    /// <summary>
    /// The fields a later stage reads (clean types each of them, see <c>Cleaning/CleanTask.cs</c>): a source
    /// lacking one would load records that look complete but are not. City, state and location are kept
    /// as received; nothing reads them.
    /// </summary>
    public static readonly int[] Read = [.. Enumerable.Range(0, Keys.Length).Except([City, State, Location])];

    private static readonly string[] DateFormats =
        ["MM/dd/yyyy", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.fff", "yyyy-MM-dd"];

    public SourceRecord(long number) => Number = number;

    /// <summary>Position in the file or the API response, from 1.</summary>
    public long Number { get; }

    public string?[] Values { get; } = new string?[Keys.Length];

    /// <summary>Keys without a field (e.g. <c>:@computed_region_*</c>), kept as JSON; null when none.</summary>
    public string? Extra { get; set; }

    /// <summary>Why the record as a whole is malformed (e.g. a CSV record with missing fields); null when it is not.</summary>
    public string? ShapeProblem { get; set; }

    public string? this[int field] => Values[field];

    public void Set(int field, string? value) => Values[field] = string.IsNullOrEmpty(value) ? null : value;

    /// <summary>The id and date the load keys on, or why the record cannot be stored.</summary>
    public ParsedKeys Parse()
    {
        if (ShapeProblem is { } problem) return ParsedKeys.Reject(problem);
        if (this[Id] is not { } idText) return ParsedKeys.Reject("no inspection id");
        if (!long.TryParse(idText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0)
            return ParsedKeys.Reject($"inspection id '{idText}' is not a positive integer");
        if (this[Date] is not { } dateText) return ParsedKeys.Reject("no inspection date");
        if (!DateTime.TryParseExact(dateText.Trim(), DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return ParsedKeys.Reject($"inspection date '{dateText}' is not MM/dd/yyyy or yyyy-MM-ddTHH:mm:ss[.fff]");
        foreach (var field in (int[])[Latitude, Longitude])
        {
            if (this[field] is { } number && !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                return ParsedKeys.Reject($"{Keys[field]} '{number}' is not a number");
        }
        return new ParsedKeys(id, DateOnly.FromDateTime(date), null);
    }

    /// <summary>The record as a JSON object, for <c>raw.rejects</c>.</summary>
    public string ToJson()
    {
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < Keys.Length; i++) if (Values[i] is not null) fields[Keys[i]] = Values[i];
        if (Extra is not null) fields["extra"] = Extra;
        return JsonSerializer.Serialize(fields);
    }
}

internal readonly record struct ParsedKeys(long Id, DateOnly Date, string? RejectReason)
{
    public static ParsedKeys Reject(string reason) => new(0, default, reason);
}
