using System.Globalization;
using System.Runtime.CompilerServices;
using CsvHelper;
using CsvHelper.Configuration;
using Inspections.Hosting;

namespace Inspections.Ingest;

/// <summary>Streams the records of a portal CSV export (the "Export" button's file), one at a time.</summary>
internal static class CsvExportReader
{
    public static async IAsyncEnumerable<SourceRecord> ReadAsync(
        string path, [EnumeratorCancellation] CancellationToken ct)
    {
        // Not a StreamReader: it would turn bytes that are not UTF-8 into U+FFFD, and they would be stored so,
        // silently.
        using var reader = new EscapingUtf8Reader(File.OpenRead(path));
        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            BadDataFound = null,
            MissingFieldFound = null,
            DetectColumnCountChanges = false,
        };
        using var csv = new CsvReader(reader, configuration);
        if (!await csv.ReadAsync() || !csv.ReadHeader())
            throw new UserException(ExitCodes.UsageError, $"{path} is empty: expected a portal CSV export");

        var columns = new int[SourceRecord.CsvHeader.Length];
        for (var i = 0; i < columns.Length; i++)
            columns[i] = csv.GetFieldIndex(SourceRecord.CsvHeader[i], isTryGet: true);
        // A column left out of the export would load every record with that field empty, as if the City had erased it.
        var missing = SourceRecord.Read.Where(i => columns[i] < 0)
            .Select(i => $"'{SourceRecord.CsvHeader[i]}'").ToList();
        if (missing.Count > 0)
            throw new UserException(ExitCodes.UsageError,
                $"{path} is not a full portal CSV export: it lacks the columns {string.Join(", ", missing)}, " +
                "which the pipeline reads");

        var width = csv.HeaderRecord!.Length;
        long number = 0;
        while (await csv.ReadAsync())
        {
            ct.ThrowIfCancellationRequested();
            var record = new SourceRecord(++number);
            // A file cut mid-record ends in a short record that would otherwise pass for a complete one.
            if (csv.Parser.Count != width)
                record.ReadProblem = $"the record has {csv.Parser.Count} fields where the header has {width} " +
                    "(a truncated file or an unquoted comma?)";
            for (var i = 0; i < columns.Length; i++)
                if (columns[i] >= 0) record.Set(i, csv.GetField(columns[i]));
            yield return record;
        }
    }
}
