using System.Text;
using Inspections.Hosting;
using Inspections.Tests.Infrastructure;
using static Inspections.Tests.Ingest.InspectionCsv;

namespace Inspections.Tests.Reliability;

/// <summary>
/// Bad input files through the <c>ingest</c> verb, over a database already holding a first load: a bad
/// record is a reject with its reason (in raw.rejects and on stderr); a file that cannot be read as a
/// whole is one error line and the usage-error code, with raw.inspections exactly as it was.
/// </summary>
public sealed class MalformedInputTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const string RunDate = "2013-03-31";

    public Task InitializeAsync() => FirstLoadAsync(db);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_csv_cut_in_the_middle_of_a_record_rejects_that_record_and_loads_the_rest()
    {
        var rows = Month(101, "2013-02-", 40).ToList();
        rows[^1] = rows[^1] with
        {
            Violations = "33. FOOD AND NON-FOOD CONTACT EQUIPMENT UTENSILS CLEAN - Comments: CLEAN THE SHELVES"
        };
        var path = Write(rows);
        var text = File.ReadAllText(path);
        // cut inside the quoted field
        File.WriteAllText(path, text[..(text.IndexOf("Comments: CLEAN", StringComparison.Ordinal) + 12)]);

        var result = await db.RunAsync("ingest", "--date", RunDate, "--source", await db.AsTheSourceAsync(path));

        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<long>("select count(*) from raw.inspections where inspection_id between 101 and 140"))
            .ShouldBe(39);
        (await db.ScalarAsync<string>("select inspection_id_text || ': ' || reason from raw.rejects"))
            .ShouldBe("140: the record has 14 fields where the header has 17 (a truncated file or an unquoted comma?)");
        result.Error.ShouldContain("1 of 40 records rejected");
        (await db.ScalarAsync<string>(
            $"select figures->>'rows_rejected' from pipeline.task_metadata where parameters->>'date' = '{RunDate}'"))
            .ShouldBe("1");
    }

    [Fact]
    public async Task Bad_dates_numbers_and_ids_are_rejects_with_their_reasons_and_the_good_records_load()
    {
        Row[] rows =
        [
            .. Month(201, "2013-02-", 10),
            At(211, "2013-02-10") with { Date = "02/30/2013" },
            At(212, "2013-02-10") with { Date = "2013-13-01" },
            At(213, "2013-02-10") with { Latitude = "41,9" },
            At(214, "2013-02-10") with { Latitude = "1e999x" },
        ];
        var path = Write(rows);
        var lines = File.ReadAllLines(path).Select(line => line.Split(',')[0] switch
        {
            "205" => "A" + line,
            "207" => "-" + line,
            "210" => line.Replace("-87.6,\"(", "-87.6.1,\"(", StringComparison.Ordinal),
            _ => line,
        });
        File.WriteAllText(path, string.Join('\n', lines) + "\n");

        var result = await db.RunAsync("ingest", "--date", RunDate, "--source", await db.AsTheSourceAsync(path),
            "--check", "ingest.max_reject_share=1");

        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<string>(
            "select string_agg(coalesce(inspection_id_text, '?') || ': ' || reason, ' / ' order by record_number) " +
            "from raw.rejects")).ShouldBe(string.Join(" / ",
            "A205: inspection id 'A205' is not a positive integer",
            "-207: inspection id '-207' is not a positive integer",
            "210: longitude '-87.6.1' is not a number",
            "211: inspection date '02/30/2013' is not MM/dd/yyyy or yyyy-MM-ddTHH:mm:ss[.fff]",
            "212: inspection date '2013-13-01' is not MM/dd/yyyy or yyyy-MM-ddTHH:mm:ss[.fff]",
            "213: the record has 18 fields where the header has 17 (a truncated file or an unquoted comma?)",
            "214: latitude '1e999x' is not a number"));
        (await db.ScalarAsync<string>(
                "select string_agg(inspection_id::text, ',' order by inspection_id) from raw.inspections " +
                "where inspection_id > 200"))
            .ShouldBe("201,202,203,204,206,208,209");
        result.Error.ShouldContain("7 of 14 records rejected");
    }

    public static TheoryData<string, string, string> UnreadableFiles => new()
    {
        {
            "a different header", "other.csv",
            "inspection_id,dba_name,license_,inspection_date\n1,CAFE,1001,2013-02-01\n"
        },
        { "an empty csv", "empty.csv", "" },
        { "a json object", "object.json", """{"inspection_id":"5","inspection_date":"2013-02-01T00:00:00"}""" },
        { "garbage json", "garbage.json", "<html>502 Bad Gateway</html>" },
        { "an empty json", "empty.json", "" },
        {
            "a json array cut short", "cut.json",
            """[{"inspection_id":"301","inspection_date":"2013-02-01T00:00:00"},{"inspection_id":"302","inspec"""
        },
        { "an unknown kind of file", "inspections.xlsx", "PK\u0003\u0004" },
    };

    [Theory]
    [MemberData(nameof(UnreadableFiles))]
    public async Task A_file_that_cannot_be_read_is_one_error_line_and_a_usage_error_with_nothing_loaded(
        string what, string name, string content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"inspections-test-{Guid.NewGuid():N}-{name}");
        await File.WriteAllTextAsync(path, content, new UTF8Encoding(false));
        await ShouldFailCleanlyAsync(path, what);
        (await db.ScalarAsync<string>(
                "select error from pipeline.task_runs where task = 'ingest' and state = 'failed' " +
                $"and parameters->>'date' = '{RunDate}'"))
            .ShouldContain(Path.GetFileName(path), customMessage: what);
    }

    [Fact]
    public async Task A_missing_file_is_one_error_line_and_a_usage_error_with_nothing_loaded() =>
        await ShouldFailCleanlyAsync(
            Path.Combine(Path.GetTempPath(), $"inspections-test-{Guid.NewGuid():N}-missing.csv"), "a missing file");

    private async Task ShouldFailCleanlyAsync(string path, string what)
    {
        await db.AsTheSourceAsync(path);
        var before = await DatabaseProbe.FingerprintAsync(db.DataSource, DatabaseProbe.History);

        var result = await db.RunAsync("ingest", "--date", RunDate, "--source", path);

        result.ExitCode.ShouldBe(ExitCodes.UsageError, $"{what}\n{result}");
        result.Error.Split('\n').Where(line => line.StartsWith("error:"))
            .ShouldHaveSingleItem(what).ShouldContain(Path.GetFileName(path));
        result.Error.ShouldNotContain("   at ", Case.Sensitive, what);
        (await DatabaseProbe.FingerprintAsync(db.DataSource, DatabaseProbe.History)).ShouldBe(before, what);
        (await DatabaseProbe.RecordsOfAsync(db.DataSource, "ingest", RunDate)).ShouldBe((0L, 0L), what);
    }
}
