namespace Inspections.Tests.Infrastructure;

/// <summary>
/// The synthetic sample shipped with the product (samples/): the demo's data, and the tests' whole-DAG input.
/// </summary>
public static class SampleData
{
    public static string Csv => Path.Combine(SharedData.RepositoryRoot, "samples", "synthetic-food-inspections.csv");

    /// <summary>A Monday near the end of the sample's history, with years of history before it.</summary>
    public const string RunDate = "2014-09-01";
}
