using System.Globalization;
using System.Text;
using CsvHelper;
using Inspections.Hosting;
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
    private const string RunDate = "2013-03-31";

    public Task InitializeAsync() => FirstLoadAsync(db);

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>
    /// Ingests <paramref name="path"/> at the run date, as the newer export of the database's source.
    /// </summary>
    private async Task<CliResult> IngestAsync(string path, params string[] options) =>
        await db.RunAsync(["ingest", "--date", RunDate, "--source", await db.AsTheSourceAsync(path), .. options]);

    private Task<string> RejectsAsync() =>
        db.ScalarAsync<string>(
            "select coalesce(string_agg('#' || record_number || ' ' || coalesce(inspection_id_text, '?') || ': ' " +
            "|| reason, ' / ' order by record_number), '') from raw.rejects");

    private static string SingleErrorLine(CliResult result) =>
        result.Error.Split('\n').Where(line => line.StartsWith("error:", StringComparison.Ordinal))
            .ShouldHaveSingleItem(result.ToString());

    private async Task ShouldBeRefusedAsync(string path, string expectedError)
    {
        await db.AsTheSourceAsync(path);
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
    public async Task The_real_export_without_licence_results_and_violations_is_refused_and_stored_records_keep_theirs()
    {
        await db.ResetAsync();
        (await db.RunAsync("ingest", "--date", "2014-08-15", "--source", SharedData.ChicagoCsv)).ExitCode.ShouldBe(0);
        var stripped = Path.Combine(Path.GetTempPath(), $"inspections-test-{Guid.NewGuid():N}-stripped.csv");
        WriteWithout(SharedData.ChicagoCsv, stripped, "License #", "Results", "Violations");
        await db.AsTheSourceAsync(stripped);
        var before = await DatabaseProbe.FingerprintAsync(db.DataSource, DatabaseProbe.History);

        var result = await db.RunAsync("ingest", "--date", "2014-08-29", "--source", stripped);

        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        SingleErrorLine(result).ShouldBe($"error: {stripped} is not a full portal CSV export: it lacks the columns " +
            "'License #', 'Results', 'Violations', which the pipeline reads");
        (await DatabaseProbe.FingerprintAsync(db.DataSource, DatabaseProbe.History)).ShouldBe(before);
        (await DatabaseProbe.RecordsOfAsync(db.DataSource, "ingest", "2014-08-29")).ShouldBe((0L, 0L));
    }

    private static void WriteWithout(string source, string target, params string[] dropped)
    {
        using var reader = new CsvReader(new StreamReader(source), CultureInfo.InvariantCulture);
        using var writer = new CsvWriter(new StreamWriter(target), CultureInfo.InvariantCulture);
        reader.Read();
        reader.ReadHeader();
        var kept = reader.HeaderRecord!.Select((name, index) => (name, index))
            .Where(c => !dropped.Contains(c.name)).ToList();
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
        var path = Write(Month(101, "2013-02-", 10), without: [column]);
        await ShouldBeRefusedAsync(path,
            $"{path} is not a full portal CSV export: it lacks the columns '{column}', which the pipeline reads");
    }

    [Fact]
    public async Task A_csv_without_city_state_and_location_loads_for_nothing_reads_them()
    {
        var result = await IngestAsync(Write(Month(101, "2013-02-", 10), without: ["City", "State", "Location"]));

        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<long>(
            "select count(*) from raw.inspections where inspection_id between 101 and 110 " +
            "and license is not null and city is null")).ShouldBe(10);
    }

    private static string WriteJson(params string[] records)
    {
        var path = Path.Combine(Path.GetTempPath(), $"inspections-test-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "[" + string.Join(",\n", records) + "]");
        return path;
    }

    private static string JsonRecord(long id, string date,
        string fields = ""","license_":"2001","results":"Pass","violations":"33. CLEAN - Comments: OK" """) =>
        $$"""{"inspection_id":"{{id}}","dba_name":"CAFE","aka_name":"CAFE","facility_type":"Restaurant",""" +
        $$"""
        "risk":"Risk 1 (High)","address":"1 N STATE ST","zip":"60614","inspection_date":"{{date}}T00:00:00",
        """ +
        $$"""
        "inspection_type":"Canvass","latitude":"41.9","longitude":"-87.6"{{fields}}}
        """;

    [Fact]
    public async Task A_json_file_where_no_record_has_a_key_the_pipeline_reads_is_refused_before_anything_is_written()
    {
        var path = WriteJson(JsonRecord(101, "2013-02-01", ""","violations":"33. CLEAN - Comments: OK" """),
            JsonRecord(102, "2013-02-02", ""","violations":null"""));
        await ShouldBeRefusedAsync(path,
            $"{path} is not a full SODA export: no record has the keys 'license_', 'results', " +
            "which the pipeline reads");
    }

    [Fact]
    public async Task A_json_record_without_a_key_loads_when_another_record_of_the_file_has_it()
    {
        var path = WriteJson(JsonRecord(101, "2013-02-01"),
            JsonRecord(102, "2013-02-02", ""","license_":"2002","results":"Fail" """));

        var result = await IngestAsync(path);

        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<string>(
                "select string_agg(inspection_id || ' ' || coalesce(violations, 'null'), ', ' " +
                "order by inspection_id) from raw.inspections where inspection_id > 100"))
            .ShouldBe("101 33. CLEAN - Comments: OK, 102 null");
    }

    [Fact]
    public async Task An_absent_field_never_replaces_a_stored_value_and_does_not_count_as_an_update()
    {
        var stored = Month(1, "2013-01-", 30);
        // Within the reread window: inspection 15 comes again without its licence and result; 16 with a new result
        // but without its licence.
        var path = Write([stored[14] with { License = "", Result = "" },
            stored[15] with { License = "", Result = "Fail" }]);

        var result = await IngestAsync(path);

        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<string>(
                "select string_agg(concat_ws(' ', inspection_id, coalesce(license, 'null'), " +
                "coalesce(results, 'null'), revisions), ', ' order by inspection_id) from raw.inspections " +
                "where inspection_id in (15, 16)"))
            .ShouldBe("15 2000 Pass 0, 16 2001 Fail 1");
        var figures = $"select figures->>'{{0}}' from pipeline.task_metadata where parameters->>'date' = '{RunDate}'";
        (await db.ScalarAsync<string>(string.Format(CultureInfo.InvariantCulture, figures, "rows_updated")))
            .ShouldBe("1");
        (await db.ScalarAsync<string>(string.Format(CultureInfo.InvariantCulture, figures, "rows_unchanged")))
            .ShouldBe("1");
    }

    // 2. A value PostgreSQL cannot cast blocked every later clean.

    [Fact]
    public async Task A_latitude_beyond_double_precision_is_a_reject_and_the_next_clean_still_runs()
    {
        Row[] rows = [.. Month(101, "2013-02-", 97), At(198, "2013-02-10") with { Latitude = "1e400" },
            At(199, "2013-02-11") with { Latitude = "1e-400" }, At(200, "2013-02-12") with { Longitude = "-1E+400" }];
        var path = Write(rows);

        var ingest = await IngestAsync(path);

        ingest.ExitCode.ShouldBe(0, ingest.ToString());
        (await RejectsAsync()).ShouldBe(string.Join(" / ",
            "#98 198: latitude '1e400' is not a finite number",
            "#99 199: latitude '1e-400' is out of range for double precision",
            "#100 200: longitude '-1E+400' is not a finite number"));
        (await db.ScalarAsync<long>("select count(*) from raw.inspections where inspection_id between 101 and 200"))
            .ShouldBe(97);

        var clean = await db.RunAsync("run", "--until", "clean", "--date", RunDate, "--source", path);
        clean.ExitCode.ShouldBe(0, clean.ToString());
        (await db.ScalarAsync<long>("select count(*) from clean.inspections")).ShouldBe(127);
    }

    // 3. Bytes PostgreSQL cannot store, or that decoding would alter.

    [Fact]
    public async Task A_nul_byte_in_one_csv_record_is_a_reject_with_its_number_and_the_other_records_load()
    {
        var path = Write([.. Month(101, "2013-02-", 20), At(121, "2013-02-10") with { Name = "CAFE\0X" },
            .. Month(122, "2013-02-", 19)]);

        var result = await IngestAsync(path, "--check", "ingest.max_reject_share=0.1");

        result.ExitCode.ShouldBe(0, result.ToString());
        (await RejectsAsync()).ShouldBe("#21 121: dba_name holds a NUL character (character 5)");
        (await db.ScalarAsync<long>("select count(*) from raw.inspections where inspection_id between 101 and 140"))
            .ShouldBe(39);
        (await db.ScalarAsync<string>("select record->>'dba_name' from raw.rejects")).ShouldBe("CAFE\\x00X");
        result.Error.ShouldContain("1 of 40 records rejected");
    }

    [Fact]
    public async Task Invalid_utf8_in_a_csv_record_is_a_reject_naming_the_field_and_nothing_is_stored_altered()
    {
        var path = Write([.. Month(101, "2013-02-", 20),
            At(121, "2013-02-10") with { Violations = "33. CAF__E - Comments: OK" }, .. Month(122, "2013-02-", 19)]);
        var bytes = File.ReadAllBytes(path);
        var at = Encoding.ASCII.GetString(bytes).IndexOf("__", StringComparison.Ordinal);
        (bytes[at], bytes[at + 1]) = ((byte)0xC3, (byte)0x28); // a two-byte lead followed by '(': not UTF-8
        File.WriteAllBytes(path, bytes);

        var result = await IngestAsync(path, "--check", "ingest.max_reject_share=0.1");

        result.ExitCode.ShouldBe(0, result.ToString());
        (await RejectsAsync()).ShouldBe("#21 121: violations is not valid UTF-8 (byte 0xC3 at character 8)");
        (await db.ScalarAsync<string>("select record->>'violations' from raw.rejects"))
            .ShouldBe("33. CAF\\xC3(E - Comments: OK");
        (await db.ScalarAsync<long>("select count(*) from raw.inspections where inspection_id between 101 and 140"))
            .ShouldBe(39);
        (await db.ScalarAsync<long>(
            "select count(*) from raw.inspections where strpos(violations || dba_name, U&'\\FFFD') > 0")).ShouldBe(0);
    }

    [Fact]
    public async Task A_utf8_byte_order_mark_is_not_taken_for_part_of_the_first_column_name()
    {
        var path = Write(Month(101, "2013-02-", 10));
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. File.ReadAllBytes(path)]);

        var result = await IngestAsync(path);

        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<long>("select count(*) from raw.inspections where inspection_id between 101 and 110"))
            .ShouldBe(10);
    }

    [Fact]
    public async Task Nul_escapes_invalid_utf8_and_lone_surrogates_in_json_records_are_rejects_and_other_records_load()
    {
        string[] records =
        [
            .. Enumerable.Range(101, 20).Select(id => JsonRecord(id, "2013-02-01")),
            JsonRecord(121, "2013-02-02", ""","license_":"2001","results":"Pass","dba_name":"CAFE\u0000X" """),
            JsonRecord(122, "2013-02-02", ""","license_":"2001","results":"Pass","aka_name":"CAF__E" """),
            JsonRecord(123, "2013-02-02", ""","license_":"2001","results":"Pass","address":"1 N \ud800 ST" """),
            JsonRecord(124, "2013-02-02", ""","license_":"2001","results":"Pass",":@computed_region_x":"\u0000" """),
            .. Enumerable.Range(125, 20).Select(id => JsonRecord(id, "2013-02-03")),
        ];
        var path = WriteJson(records);
        var bytes = File.ReadAllBytes(path);
        var at = Encoding.ASCII.GetString(bytes).IndexOf("__", StringComparison.Ordinal);
        (bytes[at], bytes[at + 1]) = ((byte)0xC3, (byte)0x28);
        File.WriteAllBytes(path, bytes);

        var result = await IngestAsync(path, "--check", "ingest.max_reject_share=0.1");

        result.ExitCode.ShouldBe(0, result.ToString());
        (await RejectsAsync()).ShouldBe(string.Join(" / ",
            "#21 121: dba_name holds a NUL character (character 5)",
            "#22 122: aka_name is not valid UTF-8 (byte 0xC3 at character 4)",
            "#23 123: address holds an unpaired UTF-16 surrogate escape",
            "#24 124: :@computed_region_x holds a NUL character (character 1)"));
        (await db.ScalarAsync<long>("select count(*) from raw.inspections where inspection_id between 101 and 144"))
            .ShouldBe(40);
    }

    [Fact]
    public async Task Invalid_utf8_outside_any_json_string_is_one_usage_error_line_naming_the_place()
    {
        var path = WriteJson(JsonRecord(101, "2013-02-01"), "__" + JsonRecord(102, "2013-02-02"));
        var bytes = File.ReadAllBytes(path);
        var at = Encoding.ASCII.GetString(bytes).IndexOf("__", StringComparison.Ordinal);
        (bytes[at], bytes[at + 1]) = ((byte)0xC3, (byte)0x28);
        File.WriteAllBytes(path, bytes);

        await ShouldBeRefusedAsync(path, $"{path} is not SODA JSON");
        SingleErrorLine(await db.RunAsync("ingest", "--date", RunDate, "--source", path))
            .ShouldContain("LineNumber: 1 | BytePositionInLine: 0");
    }

    // 4. Ids the API could not answer for, and coordinates off the Earth or far from Chicago.

    [Fact]
    public async Task Licences_not_whole_positive_numbers_and_impossible_coordinates_are_rejects_with_their_reasons()
    {
        Row[] bad =
        [
            At(201, "2013-02-10", license: "2021619.5"), At(202, "2013-02-10", license: "2.021620E6"),
            At(203, "2013-02-10", license: "-2021621"), At(204, "2013-02-10", license: "12345678901"),
            At(205, "2013-02-10", license: "20216 22"),
            At(206, "2013-02-10") with { Latitude = "91" }, At(207, "2013-02-10") with { Longitude = "-181" },
            At(208, "2013-02-10") with { Latitude = "NaN" }, At(209, "2013-02-10") with { Longitude = "Infinity" },
            At(210, "2013-02-10") with { Latitude = "40.71" }, At(211, "2013-02-10") with { Date = "01/01/1900" },
        ];
        Row[] good =
        [
            At(212, "2013-02-11", license: "2021618.0"), At(213, "2013-02-11", license: "002021617"),
            At(214, "2013-02-11", license: ""), At(215, "2013-02-11", license: "0"),
            At(216, "2013-02-11") with { Latitude = "0", Longitude = "0" },
            At(217, "2013-02-11") with { Latitude = "41.64467013219805", Longitude = "-87.5250941359867" },
        ];
        var path = Write([.. Month(101, "2013-02-", 100), .. bad, .. good]);

        var result = await IngestAsync(path, "--check", "ingest.max_reject_share=0.1");

        result.ExitCode.ShouldBe(0, result.ToString());
        (await RejectsAsync()).ShouldBe(string.Join(" / ",
            "#101 201: license '2021619.5' is not a whole number (digits, or digits ending in .0)",
            "#102 202: license '2.021620E6' is not a whole number (digits, or digits ending in .0)",
            "#103 203: license '-2021621' is not a whole number (digits, or digits ending in .0)",
            "#104 204: license '12345678901' has more than 10 digits",
            "#105 205: license '20216 22' is not a whole number (digits, or digits ending in .0)",
            "#106 206: latitude '91' is not in the Chicago area (41 to 42.5, or 0 for none)",
            "#107 207: longitude '-181' is not in the Chicago area (-88.5 to -87, or 0 for none)",
            "#108 208: latitude 'NaN' is not a finite number",
            "#109 209: longitude 'Infinity' is not a finite number",
            "#110 210: latitude '40.71' is not in the Chicago area (41 to 42.5, or 0 for none)",
            "#111 211: inspection date '01/01/1900' is before 2000-01-01"));
        (await db.ScalarAsync<string>(
                "select string_agg(inspection_id::text, ',' order by inspection_id) from raw.inspections " +
                "where inspection_id > 200"))
            .ShouldBe("212,213,214,215,216,217");

        var clean = await db.RunAsync("run", "--until", "clean", "--date", RunDate, "--source", path,
            "--check", "ingest.max_reject_share=0.1");
        clean.ExitCode.ShouldBe(0, clean.ToString());
        (await db.ScalarAsync<string>(
                "select string_agg(inspection_id || ' ' || license || ' ' || coalesce(latitude::text, 'null'), ', ' " +
                "order by inspection_id) from clean.inspections where inspection_id > 200"))
            .ShouldBe("212 2021618 41.9, 213 2021617 41.9, 216 1001 null, 217 1001 41.64467013219805");
        (await db.ScalarAsync<long>("select count(*) from clean.inspections where license !~ '^[0-9]{1,10}$'"))
            .ShouldBe(0);
    }

    [Fact]
    public async Task An_id_padded_with_a_no_break_space_is_a_reject_rather_than_a_check_that_fails_every_run()
    {
        var path = Write([.. Month(101, "2013-02-", 40), At(141, "2013-02-10")]);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\n141,", "\n141\u00A0,", StringComparison.Ordinal));

        var result = await IngestAsync(path);

        result.ExitCode.ShouldBe(0, result.ToString());
        (await RejectsAsync()).ShouldBe("#41 141\u00A0: inspection id '141\u00A0' is not a positive integer");
        (await db.ScalarAsync<long>("select count(*) from raw.inspections where inspection_id between 101 and 141"))
            .ShouldBe(40);
    }

    // 5. Inputs that hold nothing, and dates that have not happened.

    [Fact]
    public async Task A_header_only_csv_as_the_first_load_fails_the_ingest_check_and_stores_nothing()
    {
        await db.ResetAsync();

        var result = await db.RunAsync("ingest", "--date", RunDate, "--source", Write([]));

        result.ExitCode.ShouldBe(ExitCodes.CheckFailed, result.ToString());
        result.Error.ShouldContain("min_stored_rows: 0 >= 1");
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(0);
        (await DatabaseProbe.RecordsOfAsync(db.DataSource, "ingest", RunDate)).ShouldBe((0L, 0L));
    }

    [Fact]
    public async Task A_header_only_csv_after_a_first_load_passes_for_there_is_simply_nothing_new()
    {
        var result = await IngestAsync(Write([]));

        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<string>(
                $"select figures->>'rows_read' from pipeline.task_metadata where parameters->>'date' = '{RunDate}'"))
            .ShouldBe("0");
    }

    [Fact]
    public async Task A_run_date_in_the_future_is_a_usage_error_before_anything_runs()
    {
        var today = Dates.ChicagoToday();
        var future = today.AddDays(8).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var path = await db.AsTheSourceAsync(Write(Month(101, "2013-02-", 10)));
        var before = await DatabaseProbe.FingerprintAsync(db.DataSource);

        var result = await db.RunAsync("ingest", "--date", future, "--source", path);

        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        SingleErrorLine(result)
            .ShouldBe($"error: --date {future} is in the future (today in Chicago is {today:yyyy-MM-dd})");
        (await DatabaseProbe.FingerprintAsync(db.DataSource)).ShouldBe(before);
    }
}
