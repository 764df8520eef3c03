// Writes a portal-format CSV of N rows bootstrapped from the real export, for benchmarks at scale.
// Usage: dotnet run scripts/scale-data.cs -- SOURCE.csv OUT.csv [ROWS=1000000] [SEED=42]
// Each synthetic establishment replays one real establishment's history under a new license and
// new inspection ids, shifted by a whole number of weeks (weekdays and mixes are kept) so its whole
// history lies in 2010-2024, starting anywhere it fits. Same arguments, same file.
#:package CsvHelper
using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: dotnet run scripts/scale-data.cs -- SOURCE.csv OUT.csv [ROWS] [SEED]");
    return 2;
}
var (source, output) = (args[0], args[1]);
var rows = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1_000_000;
var seed = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 42;

var records = ReadCsv(source);
var header = records[0];
int Col(string name) => Array.IndexOf(header, name) is var i and >= 0 ? i : throw new InvalidDataException($"no column {name}");
var (idCol, licenseCol, dateCol) = (Col("Inspection ID"), Col("License #"), Col("Inspection Date"));

var histories = records.Skip(1)
    .Where(r => r.Length == header.Length && DateOnly.TryParseExact(r[dateCol], "MM/dd/yyyy", out _))
    .GroupBy(r => r[licenseCol])
    .Select(g => g.ToArray())
    .OrderBy(h => h[0][idCol], StringComparer.Ordinal)
    .ToArray();

var random = new Random(seed);
var first = new DateOnly(2010, 1, 1);
var last = new DateOnly(2024, 12, 31);
using var writer = new StreamWriter(output, false, new UTF8Encoding(false), 1 << 20);
writer.WriteLine(string.Join(',', header.Select(Quote)));
long written = 0, nextId = 10_000_000, nextLicense = 50_000_000;
while (written < rows)
{
    var history = histories[random.Next(histories.Length)];
    var license = (nextLicense++).ToString(CultureInfo.InvariantCulture);
    // The whole history lands inside [first, last], its start uniform over the weeks that allow it: the real
    // export is dense in 2012-2014, so shifting every history by 0-10 years would thin out both ends.
    var dates = history.Select(r => DateOnly.ParseExact(r[dateCol], "MM/dd/yyyy")).ToArray();
    var (earliest, latest) = (dates.Min(), dates.Max());
    var minWeeks = (int)Math.Ceiling((first.DayNumber - earliest.DayNumber) / 7.0);
    var maxWeeks = (int)Math.Floor((last.DayNumber - latest.DayNumber) / 7.0);
    var shiftDays = 7 * random.Next(minWeeks, Math.Max(minWeeks, maxWeeks) + 1);
    for (var i = 0; i < history.Length; i++)
    {
        var record = history[i];
        if (written == rows) break;
        var date = dates[i].AddDays(shiftDays);
        if (date < first || date > last) continue;
        var copy = (string[])record.Clone();
        copy[idCol] = (nextId++).ToString(CultureInfo.InvariantCulture);
        copy[licenseCol] = record[licenseCol] is "" or "0" ? record[licenseCol] : license;
        copy[dateCol] = date.ToString("MM/dd/yyyy", CultureInfo.InvariantCulture);
        writer.WriteLine(string.Join(',', copy.Select(Quote)));
        written++;
    }
}
Console.Error.WriteLine($"wrote {written:N0} rows to {output} from {histories.Length:N0} real histories (seed {seed})");
return 0;

static string Quote(string field) =>
    field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;

// Every record as its raw fields, the header first; the product's reader (Cli/Ingest/CsvExportReader.cs) is as lenient.
static List<string[]> ReadCsv(string path)
{
    var configuration = new CsvConfiguration(CultureInfo.InvariantCulture) { BadDataFound = null };
    using var parser = new CsvParser(new StreamReader(path, new UTF8Encoding(false)), configuration);
    var result = new List<string[]>();
    while (parser.Read()) result.Add(parser.Record!);
    return result;
}
