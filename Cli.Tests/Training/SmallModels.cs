using Inspections.Training;

namespace Inspections.Tests.Training;

/// <summary>Labelled synthetic snapshots and small candidates of each learner: models that fit in a second.</summary>
internal static class SmallModels
{
    public static IReadOnlyList<FeatureRow> Rows { get; } =
        SnapshotGenerator.Generate(licenses: 150, weeks: 8, TrainedDatabase.FirstAsOf)
            .Where(r => r.LabelFail is not null)
            .ToList();

    /// <summary>The three learners, for a theory's member data.</summary>
    public static TheoryData<string> Algorithms => [Candidate.Logistic, Candidate.FastTree, Candidate.LightGbm];

    public static Candidate Small(string algorithm) => algorithm == Candidate.Logistic
        ? Candidate.Create(algorithm, new() { ["l2"] = 1 })
        : Candidate.Create(algorithm, new() { ["leaves"] = 8, ["trees"] = 20, ["min_leaf"] = 10, ["lr"] = 0.1 });
}
