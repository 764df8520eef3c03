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
        "Inspection ID", "DBA Name", "AKA Name", "License #", "Facility Type", "Risk", "Address", "City", "State",
        "Zip", "Inspection Date", "Inspection Type", "Results", "Violations", "Latitude", "Longitude", "Location",
    ];

    public const int Id = 0;
    public const int License = 3;
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

    private const string AsciiBlanks = " \t\n\v\f\r";

    /// <summary>
    /// Earlier dates are typos (the dataset starts in 2010), and features would schedule a snapshot for every
    /// month since.
    /// </summary>
    private static readonly DateOnly EarliestDate = new(2000, 1, 1);

    // The Chicago area with 40 km or more to spare beyond the city limits on every side (the real data
    // spans latitudes 41.64 to 42.03 and longitudes -87.92 to -87.52). 0 means "no coordinates" to clean.
    private const double MinLatitude = 41.0;
    private const double MaxLatitude = 42.5;
    private const double MinLongitude = -88.5;
    private const double MaxLongitude = -87.0;

    /// <summary>The API answers for licences of 1 to 10 digits (<c>Api/ApiParameters.cs</c>).</summary>
    private const int MaxLicenseDigits = 10;

    public SourceRecord(long number) => Number = number;

    /// <summary>Position in the file or the API response, from 1.</summary>
    public long Number { get; }

    public string?[] Values { get; } = new string?[Keys.Length];

    /// <summary>Keys without a field (e.g. <c>:@computed_region_*</c>), kept as JSON; null when none.</summary>
    public string? Extra { get; set; }

    /// <summary>
    /// Why the reader could not take the record as received (a CSV record with missing fields, a JSON key or
    /// value that is not valid text); null when it could.
    /// </summary>
    public string? ReadProblem { get; set; }

    public string? this[int field] => Values[field];

    public void Set(int field, string? value) => Values[field] = string.IsNullOrEmpty(value) ? null : value;

    /// <summary>
    /// The id and date the load keys on, or why the record cannot be stored: besides the keys, every
    /// value a later stage casts or serves is checked here, so that no stored record can fail a later
    /// run (a latitude PostgreSQL cannot cast failed every clean after it) or be served under an id the
    /// API refuses. Nothing is corrected: a record is stored as received, or rejected.
    /// </summary>
    public ParsedKeys Parse()
    {
        if (ReadProblem is { } problem) return ParsedKeys.Reject(problem);
        for (var field = 0; field < Values.Length; field++)
            if (Values[field] is { } value && SourceText.Problem(value) is { } textProblem)
                return ParsedKeys.Reject($"{Keys[field]} {textProblem}");
        if (this[Id] is not { } idText) return ParsedKeys.Reject("no inspection id");
        // Only the blanks PostgreSQL's \s matches (the check ids_are_integers): String.Trim() also drops a no-break
        // space.
        if (!long.TryParse(
                idText.AsSpan().Trim(AsciiBlanks), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            || id <= 0)
            return ParsedKeys.Reject($"inspection id '{idText}' is not a positive integer");
        if (this[Date] is not { } dateText) return ParsedKeys.Reject("no inspection date");
        if (!DateTime.TryParseExact(
                dateText.Trim(), DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            return ParsedKeys.Reject($"inspection date '{dateText}' is not MM/dd/yyyy or yyyy-MM-ddTHH:mm:ss[.fff]");
        var date = DateOnly.FromDateTime(time);
        if (date < EarliestDate)
            return ParsedKeys.Reject($"inspection date '{dateText}' is before " +
                $"{EarliestDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}");
        if (this[License] is { } license && LicenseProblem(license) is { } licenseProblem)
            return ParsedKeys.Reject($"license '{license}' {licenseProblem}");
        if ((CoordinateProblem(Latitude, MinLatitude, MaxLatitude)
             ?? CoordinateProblem(Longitude, MinLongitude, MaxLongitude)) is { } where)
            return ParsedKeys.Reject(where);
        return new ParsedKeys(id, date, null);
    }

    /// <summary>
    /// Why clean could not make a licence the API answers for of this text (clean trims spaces, drops a
    /// trailing <c>.0</c> as spreadsheets export whole numbers, and leading zeros: see <c>CleanTask</c>);
    /// null when it can, or when it makes none (empty or 0: not an establishment, which clean leaves out).
    /// </summary>
    private static string? LicenseProblem(string text)
    {
        var digits = text.AsSpan().Trim(' ');
        var zeros = digits.Length - digits.TrimEnd('0').Length;
        if (zeros > 0 && digits.Length > zeros && digits[^(zeros + 1)] == '.') digits = digits[..^(zeros + 1)];
        digits = digits.TrimStart('0');
        if (digits.ContainsAnyExceptInRange('0', '9')) return "is not a whole number (digits, or digits ending in .0)";
        if (digits.Length > MaxLicenseDigits) return $"has more than {MaxLicenseDigits} digits";
        return null;
    }

    /// <summary>
    /// Why clean could not cast the coordinate to a double in the Chicago area (or 0, "none"); null when it can or
    /// there is none.
    /// </summary>
    private string? CoordinateProblem(int field, double min, double max)
    {
        if (this[field] is not { } text) return null;
        var name = Keys[field];
        // .NET reads 1e400 as Infinity and 1e-400 as 0 without failing; PostgreSQL refuses both.
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            return $"{name} '{text}' is not a number";
        if (!double.IsFinite(value)) return $"{name} '{text}' is not a finite number";
        if (value == 0)
        {
            var exponent = text.AsSpan().IndexOfAny('e', 'E');
            var mantissa = exponent < 0 ? text.AsSpan() : text.AsSpan(0, exponent);
            return mantissa.IndexOfAnyInRange('1', '9') < 0
                ? null
                : $"{name} '{text}' is out of range for double precision";
        }
        if (value < min || value > max)
            return string.Create(CultureInfo.InvariantCulture,
                $"{name} '{text}' is not in the Chicago area ({min} to {max}, or 0 for none)");
        return null;
    }

    /// <summary>
    /// The record as a JSON object, for <c>raw.rejects</c>, text it could not store shown as
    /// <see cref="SourceText.Printable"/>.
    /// </summary>
    public string ToJson()
    {
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < Keys.Length; i++)
            if (Values[i] is not null) fields[Keys[i]] = SourceText.Printable(Values[i]);
        if (Extra is not null) fields["extra"] = Extra;
        return JsonSerializer.Serialize(fields);
    }
}

internal readonly record struct ParsedKeys(long Id, DateOnly Date, string? RejectReason)
{
    public static ParsedKeys Reject(string reason) => new(0, default, reason);
}
