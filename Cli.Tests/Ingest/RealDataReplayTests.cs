using System.Globalization;
using Inspections.Ingest;
using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Ingest;

public sealed class RealDataReplayTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [RealDataFact]
    public async Task Replaying_dates_over_the_real_export_stores_exactly_the_rows_dated_up_to_each_date()
    {
        var dates = new List<DateOnly>();
        await foreach (var record in CsvExportReader.ReadAsync(SharedData.ChicagoCsv, CancellationToken.None))
            dates.Add(record.Parse().Date);

        foreach (var date in (string[])["2011-06-06", "2011-06-13", "2013-01-07", "2014-09-01"])
        {
            var result = await db.RunAsync("ingest", "--date", date, "--source", SharedData.ChicagoCsv);
            result.ExitCode.ShouldBe(0, result.ToString());

            var runDate = DateOnly.ParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            var rejects = await db.ScalarAsync<long>("select count(distinct record_number) from raw.rejects");
            (await db.ScalarAsync<long>("select count(*) from raw.inspections"))
                .ShouldBe(dates.Count(d => d <= runDate) - rejects, $"stored rows at {date}");
        }
        (await db.ScalarAsync<long>("select count(*) from raw.inspections")).ShouldBe(32022);
    }
}
