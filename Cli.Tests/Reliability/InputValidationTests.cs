using System.Globalization;
using System.Text;
using CsvHelper;
using Inspections.Ingest;
using Inspections.Pipeline;
using Inspections.Tests.Infrastructure;
using static Inspections.Tests.Ingest.InspectionCsv;

namespace Inspections.Tests.Reliability;

/// <summary>
/// What ingest lets through, over a database already holding a first load: a file lacking a column the
/// pipeline reads is refused whole; a value a later task would choke on (or the API could not answer for)
/// is a reject with its record number and reason while the rest loads; an absent field never replaces a
/// stored one; an empty first load and a future run date are refused.
/// </summary>
public sealed class InputValidationTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const string LoadedThrough = "2013-01-31";
    private const string RunDate = "2013-03-31";

    public async Task InitializeAsync()
    {
        await db.ResetAsync();
        var first = await db.RunAsync("ingest", "--date", LoadedThrough, "--source", Write(Rows(1, "2013-01-", 30)));
        first.ExitCode.ShouldBe(0, first.ToString());
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>
    /// Makes <paramref name="path"/> the source the database holds, as if the first load had come from it and the
    /// file had since been replaced by the one under test (a database refuses any other source before reading it).
    /// </summary>
    private async Task<string> AsTheSourceAsync(string path)
    {
        await using var command = db.DataSource.CreateCommand("update raw.source set source = $1");
        command.Parameters.AddWithValue(path);
        (await command.ExecuteNonQueryAsync()).ShouldBe(1);
        return path;
    }

    /// <summary>Ingests <paramref name="path"/> at the run date, as the newer export of the database's source.</summary>
    private async Task<CliResult> IngestAsync(string path, params string[] options) =>
        await db.RunAsync(["ingest", "--date", RunDate, "--source", await AsTheSourceAsync(path), .. options]);

    /// <summary>Rows <paramref name="firstId"/>.. dated <paramref name="month"/>01, 02, ..., one in four a fail (clean's checks want some).</summary>
    private static Row[] Rows(long firstId, string month, int count) =>
        [.. Enumerable.Range(0, count).Select(i => At(firstId + i, $"{month}{i % 28 + 1:00}", license: $"{2000 + i % 7}", result: i % 4 == 0 ? "Fail" : "Pass"))];

    private Task<string> RejectsAsync() =>
        db.ScalarAsync<string>("select coalesce(string_agg('#' || record_number || ' ' || coalesce(inspection_id_text, '?') || ': ' || reason, ' / ' order by record_number), '') from raw.rejects");

    private static string SingleErrorLine(CliResult result) =>
        result.Error.Split('\n').Where(line => line.StartsWith("error:", StringComparison.Ordinal)).ShouldHaveSingleItem(result.ToString());

    private async Task ShouldBeRefusedAsync(string path, string expectedError)
    {
        await AsTheSourceAsync(path);
        var before = await DatabaseProbe.FingerprintAsync(db.DataSource, DatabaseProbe.History);

        var result = await IngestAsync(path);

        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        SingleErrorLine(result).ShouldContain(expectedError);
        result.Error.ShouldNotContain("   at ", Case.Sensitive);
        (await DatabaseProbe.FingerprintAsync(db.DataSource, DatabaseProbe.History)).ShouldBe(before);
        (await DatabaseProbe.RecordsOfAsync(db.DataSource, "ingest", RunDate)).ShouldBe((0L, 0L));
    }

    // 1. A file missing columns the pipeline reads.

    [RealDataFact]
    public async Task The_real_export_without_licence_results_and_violations_is_refused_and_the_stored_records_keep_theirs()
    {
        await db.ResetAsync();
        (await db.RunAsync("ingest", "--date", "2014-08-15", "--source", SharedData.ChicagoCsv)).ExitCode.ShouldBe(0);
        var stripped = Path.Combine(Path.GetTempPath(), $"inspections-test-{Guid.NewGuid():N}-stripped.csv");
        WriteWithout(SharedData.ChicagoCsv, stripped, "License #", "Results", "Violations");
        await AsTheSourceAsync(stripped);
        var before = await DatabaseProbe.FingerprintAsync(db.DataSource, DatabaseProbe.History);

        var result = await db.RunAsync("ingest", "--date", "2014-08-29", "--source", stripped);

        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        SingleErrorLine(result).ShouldBe($"error: {stripped} is not a full portal CSV export: it lacks the columns 'License #', 'Results', 'Violations', which the pipeline reads");
        (await DatabaseProbe.FingerprintAsync(db.DataSource, DatabaseProbe.History)).ShouldBe(before);
        (await DatabaseProbe.RecordsOfAsync(db.DataSource, "ingest", "2014-08-29")).ShouldBe((0L, 0L));
    }

    private static void WriteWithout(string source, string target, params string[] dropped)
    {
        using var reader = new CsvReader(new StreamReader(source), CultureInfo.InvariantCulture);
        using var writer = new CsvWriter(new StreamWriter(target), CultureInfo.InvariantCulture);
        reader.Read();
        reader.ReadHeader();
        var kept = reader.HeaderRecord!.Select((name, index) => (name, index)).Where(c => !dropped.Contains(c.name)).ToList();
        foreach (var (name, _) in kept) writer.WriteField(name);
        writer.NextRecord();
        while (reader.Read())
        {
            foreach (var (_, index) in kept) writer.WriteField(reader.GetField(index));
            writer.NextRecord();
        }
    }

    public static TheoryData<string> ReadColumns => new(SourceRecord.CsvHeader.Except(["City", "State", "Location"]));

    [Theory]
    [MemberData(nameof(ReadColumns))]
    public async Task A_csv_without_a_column_the_pipeline_reads_is_refused_before_anything_is_written(string column)
    {
        var path = Write(Rows(101, "2013-02-", 10), without: [column]);
        await ShouldBeRefusedAsync(path,
            $"{path} is not a full portal CSV export: it lacks the columns '{column}', which the pipeline reads");
    }

    [Fact]
    public async Task A_csv_without_city_state_and_location_loads_for_nothing_reads_them()
    {
        var result = await IngestAsync(Write(Rows(101, "2013-02-", 10), without: ["City", "State", "Location"]));

        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<long>("select count(*) from raw.inspections where inspection_id between 101 and 110 and license is not null and city is null")).ShouldBe(10);
    }

    private static string WriteJson(params string[] records)
    {
        var path = Path.Combine(Path.GetTempPath(), $"inspections-test-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "[" + string.Join(",\n", records) + "]");
        return path;
    }

    private static string JsonRecord(long id, string date, string fields = ""","license_":"2001","results":"Pass","violations":"33. CLEAN - Comments: OK" """) =>
        $$"""{"inspection_id":"{{id}}","dba_name":"CAFE","aka_name":"CAFE","facility_type":"Restaurant","risk":"Risk 1 (High)","address":"1 N STATE ST","zip":"60614","inspection_date":"{{date}}T00:00:00","inspection_type":"Canvass","latitude":"41.9","longitude":"-87.6"{{fields}}}""";

    [Fact]
    public async Task A_json_file_in_which_no_record_has_a_key_the_pipeline_reads_is_refused_before_anything_is_written()
    {
        var path = WriteJson(JsonRecord(101, "2013-02-01", ""","violations":"33. CLEAN - Comments: OK" """), JsonRecord(102, "2013-02-02", ""","violations":null"""));
        await ShouldBeRefusedAsync(path,
            $"{path} is not a full SODA export: no record has the keys 'license_', 'results', which the pipeline reads");
    }

    [Fact]
    public async Task A_json_record_without_a_key_loads_when_another_record_of_the_file_has_it()
    {
        var path = WriteJson(JsonRecord(101, "2013-02-01"), JsonRecord(102, "2013-02-02", ""","license_":"2002","results":"Fail" """));

        var result = await IngestAsync(path);

        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<string>("select string_agg(inspection_id || ' ' || coalesce(violations, 'null'), ', ' order by inspection_id) from raw.inspections where inspection_id > 100"))
            .ShouldBe("101 33. CLEAN - Comments: OK, 102 null");
    }

    [Fact]
    public async Task An_absent_field_never_replaces_a_stored_value_and_does_not_count_as_an_update()
    {
        var stored = Rows(1, "2013-01-", 30);
        // Within the reread window: inspection 15 comes again without its licence and result; 16 with a new result but without its licence.
        var path = Write([stored[14] with { License = "", Result = "" }, stored[15] with { License = "", Result = "Fail" }]);

        var result = await IngestAsync(path);

        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<string>("select string_agg(concat_ws(' ', inspection_id, coalesce(license, 'null'), coalesce(results, 'null'), revisions), ', ' order by inspection_id) from raw.inspections where inspection_id in (15, 16)"))
            .ShouldBe("15 2000 Pass 0, 16 2001 Fail 1");
        var figures = $"select figures->>'{{0}}' from pipeline.task_metadata where parameters->>'date' = '{RunDate}'";
        (await db.ScalarAsync<string>(string.Format(CultureInfo.InvariantCulture, figures, "rows_updated"))).ShouldBe("1");
        (await db.ScalarAsync<string>(string.Format(CultureInfo.InvariantCulture, figures, "rows_unchanged"))).ShouldBe("1");
    }
}
