using System.Globalization;
using System.Text.Json;

namespace Inspections.Training;

/// <summary>
/// One algorithm with one setting of its hyper-parameters: a row of the grid the train task validates.
/// </summary>
/// <param name="Name">
/// Unique and readable, e.g. <c>lightgbm(leaves=16, trees=100, min_leaf=20, lr=0.1)</c>.
/// </param>
internal sealed record Candidate(string Name, string Algorithm, IReadOnlyDictionary<string, double> HyperParameters)
{
    public const string Baseline = "baseline-risk";
    public const string Logistic = "logistic";
    public const string FastTree = "fasttree";
    public const string LightGbm = "lightgbm";

    public string HyperParametersJson => JsonSerializer.Serialize(HyperParameters);

    /// <summary>The grid of the settings, baseline first; the order is the tie-break of the selection.</summary>
    public static IReadOnlyList<Candidate> Grid(TrainingSettings settings)
    {
        var grid = new List<Candidate> { Create(Baseline, []) };
        foreach (var l in settings.Logistic) grid.Add(Create(Logistic, new() { ["l2"] = l.L2Regularization }));
        foreach (var t in settings.FastTree) grid.Add(Create(FastTree, Tree(t)));
        foreach (var t in settings.LightGbm) grid.Add(Create(LightGbm, Tree(t)));
        var duplicate = grid.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"the Training grid lists {duplicate.Key} twice");
        return grid;
    }

    public static Candidate Create(string algorithm, Dictionary<string, double> hyperParameters)
    {
        var name = hyperParameters.Count == 0
            ? algorithm
            : $"{algorithm}({string.Join(", ",
                hyperParameters.Select(p => $"{p.Key}={p.Value.ToString(CultureInfo.InvariantCulture)}"))})";
        return new Candidate(name, algorithm, hyperParameters);
    }

    private static Dictionary<string, double> Tree(TreeSettings t) => new()
    {
        ["leaves"] = t.Leaves,
        ["trees"] = t.Trees,
        ["min_leaf"] = t.MinLeaf,
        ["lr"] = t.LearningRate,
    };
}
