using Xunit;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("Inspections.Tests.Infrastructure.LongestFirst", "Cli.Tests")]

namespace Inspections.Tests.Infrastructure;

/// <summary>
/// Starts the longest test classes first. The suite runs two classes at a time (two cores); the real export's
/// order-independence test (about 400 s) and weekly replay (about 250 s) are most of it, and when the scheduler started
/// them one after the other on the same thread they were the suite's whole tail (13.7 min instead of about 8). Every
/// other class keeps its place.
/// </summary>
public sealed class LongestFirst : ITestCollectionOrderer
{
    // Longest first, as measured on the CI machine; a class not listed keeps its place after them.
    private static readonly string[] Long =
    [
        "OrderIndependenceTests", "RealDataMonitoringTests", "ShiftedSourceMonitoringTests", "KillTests",
        "DatabaseStopTests",
    ];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.Select((collection, index) => (collection, index))
            .OrderBy(p => Rank(p.collection.DisplayName)).ThenBy(p => p.index)
            .Select(p => p.collection);

    private static int Rank(string displayName)
    {
        for (var i = 0; i < Long.Length; i++)
            if (displayName.EndsWith("." + Long[i], StringComparison.Ordinal)) return i;
        return Long.Length;
    }
}
