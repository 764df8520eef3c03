using System.Globalization;
using System.Text;
using Inspections.Ingest;
using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Ingest;

/// <summary>Writes small portal-format CSV exports for tests.</summary>
internal static class InspectionCsv
{
    public sealed record Row(long Id, string Date, string License = "1001", string Result = "Pass",
        string Name = "CAFE", string Type = "Canvass", string Risk = "Risk 1 (High)", string Violations = "",
        string Latitude = "41.9", string Facility = "Restaurant", string Zip = "60614", string Longitude = "-87.6");

    /// <summary>A row dated <paramref name="date"/> (yyyy-MM-dd) in the export's MM/dd/yyyy.</summary>
    public static Row At(long id, string date, string license = "1001", string result = "Pass") =>
        new(id,
            DateOnly.ParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture)
                .ToString("MM/dd/yyyy", CultureInfo.InvariantCulture),
            license, result);

    /// <summary>
    /// Rows <paramref name="firstId"/>.. dated <paramref name="month"/>01, 02, ... (cycling through 28 days), seven
    /// licences taking turns, one in four a fail (clean's checks want some).
    /// </summary>
    public static Row[] Month(long firstId, string month, int count) =>
        [.. Enumerable.Range(0, count)
            .Select(i => At(firstId + i, $"{month}{i % 28 + 1:00}", license: $"{2000 + i % 7}",
                result: i % 4 == 0 ? "Fail" : "Pass"))];

    /// <summary>The last date of <see cref="FirstLoadAsync"/>'s load.</summary>
    public const string FirstLoadThrough = "2013-01-31";

    /// <summary>
    /// Empties <paramref name="db"/> and ingests 30 inspections of January 2013 (ids 1-30): the first load the
    /// reliability tests of bad input build on.
    /// </summary>
    public static async Task FirstLoadAsync(TestDatabase db)
    {
        await db.ResetAsync();
        var first = await db.RunAsync(
            "ingest", "--date", FirstLoadThrough, "--source", Write(Month(1, "2013-01-", 30)));
        first.ExitCode.ShouldBe(0, first.ToString());
    }

    /// <summary>
    /// Writes a new export file; with <paramref name="path"/>, a new export over that one (the same source,
    /// newer). The columns named in <paramref name="without"/> are left out.
    /// </summary>
    public static string Write(IEnumerable<Row> rows, string? path = null, params string[] without)
    {
        var kept = Enumerable.Range(0, SourceRecord.CsvHeader.Length)
            .Where(i => !without.Contains(SourceRecord.CsvHeader[i])).ToArray();
        var text = new StringBuilder(string.Join(',', kept.Select(i => SourceRecord.CsvHeader[i]))).Append('\n');
        foreach (var r in rows)
        {
            string[] fields =
            [
                r.Id.ToString(CultureInfo.InvariantCulture), r.Name, r.Name, r.License, r.Facility, r.Risk,
                "1 N STATE ST ", "CHICAGO", "IL", r.Zip, r.Date, r.Type, r.Result,
                $"\"{r.Violations}\"", r.Latitude, r.Longitude, $"\"({r.Latitude}, {r.Longitude})\"",
            ];
            text.AppendJoin(',', kept.Select(i => fields[i])).Append('\n');
        }
        path ??= Path.Combine(Path.GetTempPath(), $"inspections-test-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }
}
