using System.Text;
using Inspections.Ingest;
using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Ingest;

public sealed class SyntheticSampleTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static string SamplePath =>
        Path.Combine(SharedData.RepositoryRoot, "samples", "synthetic-food-inspections.csv");

    [Fact]
    public void The_shipped_sample_is_what_the_generator_writes_from_its_seed()
    {
        var regenerated = new StringWriter { NewLine = "\n" };
        SyntheticSample.Write(regenerated);

        var shipped = File.ReadAllText(SamplePath, Encoding.UTF8);
        (regenerated.ToString() == shipped).ShouldBeTrue(
            "samples/synthetic-food-inspections.csv differs from the generator's output: " +
            "run inspections generate-sample");
    }

    [Fact]
    public async Task The_sample_ingests_whole_and_its_history_carries_the_signal()
    {
        var result = await db.RunAsync("features", "--date", "2014-12-31", "--source", SamplePath);
        result.ExitCode.ShouldBe(0, result.ToString());
        (await db.ScalarAsync<long>("select count(*) from raw.inspections"))
            .ShouldBe(File.ReadLines(SamplePath).Count() - 1);

        // Establishments whose last pass/fail inspection failed fail their next one more often.
        var failRate = "select avg(label_fail::int)::float8 from features.snapshots " +
            "where label_fail is not null and last_result_fail = {0}";
        var afterFail = await db.ScalarAsync<double>(string.Format(failRate, 1));
        var afterPass = await db.ScalarAsync<double>(string.Format(failRate, 0));
        afterFail.ShouldBeGreaterThan(afterPass * 1.5);
    }
}
