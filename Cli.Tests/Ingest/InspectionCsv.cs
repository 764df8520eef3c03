using System.Globalization;
using System.Text;
using Inspections.Ingest;

namespace Inspections.Tests.Ingest;

/// <summary>Writes small portal-format CSV exports for tests.</summary>
internal static class InspectionCsv
{
    public sealed record Row(long Id, string Date, string License = "1001", string Result = "Pass",
        string Name = "CAFE", string Type = "Canvass", string Risk = "Risk 1 (High)", string Violations = "",
        string Latitude = "41.9", string Facility = "Restaurant", string Zip = "60614");

    /// <summary>A row dated <paramref name="date"/> (yyyy-MM-dd) in the export's MM/dd/yyyy.</summary>
    public static Row At(long id, string date, string license = "1001", string result = "Pass") =>
        new(id, DateOnly.ParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture).ToString("MM/dd/yyyy", CultureInfo.InvariantCulture),
            license, result);

    /// <summary>Writes a new export file; with <paramref name="path"/>, a new export over that one (the same source, newer).</summary>
    public static string Write(IEnumerable<Row> rows, string? path = null)
    {
        var text = new StringBuilder(string.Join(',', SourceRecord.CsvHeader)).Append('\n');
        foreach (var r in rows)
            text.Append(CultureInfo.InvariantCulture,
                $"{r.Id},{r.Name},{r.Name},{r.License},{r.Facility},{r.Risk},1 N STATE ST ,CHICAGO,IL,{r.Zip},{r.Date},{r.Type},{r.Result},\"{r.Violations}\",{r.Latitude},-87.6,\"({r.Latitude}, -87.6)\"\n");
        path ??= Path.Combine(Path.GetTempPath(), $"inspections-test-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }
}
