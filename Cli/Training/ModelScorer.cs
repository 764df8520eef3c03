using Inspections.Features;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using CalibratedFastTree = Microsoft.ML.Calibrators.CalibratedModelParametersBase<
    Microsoft.ML.Trainers.FastTree.FastTreeBinaryModelParameters, Microsoft.ML.Calibrators.PlattCalibrator>;
using CalibratedLightGbm = Microsoft.ML.Calibrators.CalibratedModelParametersBase<
    Microsoft.ML.Trainers.LightGbm.LightGbmBinaryModelParameters, Microsoft.ML.Calibrators.PlattCalibrator>;
using CalibratedLinear = Microsoft.ML.Calibrators.CalibratedModelParametersBase<
    Microsoft.ML.Trainers.LinearBinaryModelParameters, Microsoft.ML.Calibrators.PlattCalibrator>;

namespace Inspections.Training;

/// <summary>
/// A fitted model that scores <see cref="FeatureRow"/>s: a <see cref="FeatureTransform"/> of the numeric features
/// and an ML.NET pipeline (one-hot categoricals, a binary classifier's calibrated probability), or the risk-category
/// baseline (a table of one probability per risk category, no ML.NET model). Fitting is a pure function of the
/// rows, the candidate and the recency half-life: each fit gets its own <c>MLContext(seed: 1)</c> and one thread, so
/// the same rows give the same model whatever was fitted before. Scoring is batched through <c>Transform</c> (no shared
/// PredictionEngine), so one scorer may serve concurrent callers.
/// </summary>
internal sealed class ModelScorer
{
    private const string ProbabilityColumn = "Probability";

    private readonly MLContext? _ml;
    private readonly ITransformer? _model;
    private readonly BaselineRiskTable? _baseline;
    private readonly FeatureTransform? _transform;

    private ModelScorer(
        string algorithm,
        MLContext? ml,
        ITransformer? model,
        BaselineRiskTable? baseline,
        FeatureTransform? transform,
        double recencyHalfLifeMonths)
    {
        Algorithm = algorithm;
        _ml = ml;
        _model = model;
        _baseline = baseline;
        _transform = transform;
        RecencyHalfLifeMonths = recencyHalfLifeMonths;
    }

    public string Algorithm { get; }

    /// <summary>
    /// The half-life of the training rows' weights this model was fitted with (0: every row weighed the same).
    /// </summary>
    public double RecencyHalfLifeMonths { get; }

    /// <summary>Every LightGBM fit of the process passes this gate; see <see cref="NativeThreadGate"/>.</summary>
    internal static NativeThreadGate LightGbmThreads { get; } = new();

    /// <summary>
    /// Fits <paramref name="candidate"/> on <paramref name="rows"/> (labels required), whatever their order, each row
    /// weighted by <see cref="RecencyWeight"/>. <paramref name="treeThreads"/> threads build FastTree and LightGBM
    /// trees: their models do not depend on the number (each feature's histogram is summed by one thread;
    /// ModelScorerTests holds them to it), so one fit alone may use every core. L-BFGS sums gradients in one chunk per
    /// thread, so logistic stays on one.
    /// </summary>
    public static ModelScorer Fit(
        Candidate candidate,
        IReadOnlyList<FeatureRow> rows,
        double recencyHalfLifeMonths = 0,
        int treeThreads = 1)
    {
        if (rows.Count == 0) throw new InvalidOperationException($"no training rows for {candidate.Name}");
        // L-BFGS sums and tree split ties depend on row order: fix it, so a model is a function of the set of rows.
        rows = FeatureRows.InCanonicalOrder(rows);
        if (candidate.Algorithm == Candidate.Baseline)
            return new(candidate.Algorithm, null, null, BaselineRiskTable.Fit(rows), null, 0);
        var ml = new MLContext(seed: 1);
        var transform = FeatureTransform.Fit(rows);
        var newest = rows[^1].AsOfDate;
        var data = ToDataView(ml, rows, transform, r => RecencyWeight(r.AsOfDate, newest, recencyHalfLifeMonths));
        var estimator = Estimator(ml, candidate, treeThreads);
        ITransformer model;
        using (candidate.Algorithm == Candidate.LightGbm ? LightGbmThreads.Enter(treeThreads) : null)
        {
            model = estimator.Fit(data);
        }
        return new(candidate.Algorithm, ml, model, null, transform, recencyHalfLifeMonths);
    }

    /// <summary>
    /// A training row's weight: 0.5^(age / half-life), its age being the months (of 30.4375 days) from its as-of date
    /// to the newest training as-of date; 1 when the half-life is 0. The City's practice and its inspectors change:
    /// last year's rows say more about next month than those of three years ago.
    /// </summary>
    public static float RecencyWeight(DateOnly asOf, DateOnly newest, double halfLifeMonths) =>
        halfLifeMonths <= 0 ? 1f : (float)Math.Pow(0.5, (newest.DayNumber - asOf.DayNumber) / 30.4375 / halfLifeMonths);

    /// <summary>
    /// A model stored in <c>models.registry</c>: its zip bytes (empty for the baseline), algorithm and
    /// hyper-parameters (the baseline's risk table lives there), the feature list it was trained on,
    /// which must be today's <see cref="FeatureSet.All"/>, and its feature transform. When <paramref name="sha256"/> is
    /// given the bytes must match it.
    /// </summary>
    public static ModelScorer Load(
        byte[] model,
        string algorithm,
        string hyperParametersJson,
        IReadOnlyList<string> features,
        string? transformJson,
        string? sha256 = null)
    {
        if (!features.SequenceEqual(FeatureSet.All))
            throw new InvalidOperationException(
                $"the model was trained on features [{string.Join(", ", features)}], " +
                $"not on today's [{string.Join(", ", FeatureSet.All)}]");
        if (sha256 is not null && Sha256(model) != sha256)
            throw new InvalidOperationException("the stored model's bytes do not match its sha256");
        if (algorithm == Candidate.Baseline)
            return new(algorithm, null, null, BaselineRiskTable.FromJson(hyperParametersJson), null, 0);
        var transform = FeatureTransform.FromJson(
            transformJson ?? throw new InvalidOperationException("the stored model has no feature transform"));
        var ml = new MLContext(seed: 1);
        using var stream = new MemoryStream(model, writable: false);
        return new(algorithm, ml, ml.Model.Load(stream, out _), null, transform, HalfLifeOf(hyperParametersJson));
    }

    /// <summary>Probabilities of failing, in the order of <paramref name="rows"/>.</summary>
    public double[] Score(IEnumerable<FeatureRow> rows)
    {
        var list = rows as IReadOnlyList<FeatureRow> ?? rows.ToList();
        if (_baseline is not null) return list.Select(_baseline.Score).ToArray();
        if (list.Count == 0) return [];
        var scored = _model!.Transform(ToDataView(_ml!, list, _transform!, _ => 1f));
        return scored.GetColumn<float>(ProbabilityColumn).Select(p => (double)p).ToArray();
    }

    /// <summary>The fitted feature transform as the registry stores it; null for the baseline.</summary>
    public string? TransformJson => _transform?.ToJson();

    /// <summary>
    /// What the model weighs, by feature: a logistic regression's coefficients (per standard deviation of a numeric
    /// feature, per category of a categorical one; positive raises the risk), a tree ensemble's gain importances (how
    /// much its splits on the feature reduced the loss, larger first, no sign); the baseline's score per risk category.
    /// Largest magnitude first.
    /// </summary>
    public IReadOnlyList<(string Feature, double Weight)> Explanation()
    {
        if (_baseline is not null)
            return _baseline.Scores
                .OrderByDescending(p => p.Value)
                .Select(p => ($"risk_level={p.Key}", p.Value))
                .ToList();
        // A fitted or loaded pipeline is a chain whose last link is the predictor.
        var last = ((IEnumerable<ITransformer>)_model!).Last();
        var parameters = ((ISingleFeaturePredictionTransformer<object>)last).Model;
        var weights = default(VBuffer<float>);
        switch (parameters)
        {
            case CalibratedLinear linear:
                weights = new VBuffer<float>(linear.SubModel.Weights.Count, [.. linear.SubModel.Weights]);
                break;
            case CalibratedFastTree fastTree:
                fastTree.SubModel.GetFeatureWeights(ref weights);
                break;
            case CalibratedLightGbm lightGbm:
                lightGbm.SubModel.GetFeatureWeights(ref weights);
                break;
            default:
                throw new InvalidOperationException(
                    $"{Algorithm} does not report feature weights ({parameters.GetType().Name})");
        }
        var names = SlotNames();
        var dense = weights.DenseValues().ToArray();
        return dense.Select((w, i) => (Feature: i < names.Count ? names[i] : $"slot {i}", Weight: (double)w))
            .Where(p => p.Weight != 0)
            .OrderByDescending(p => Math.Abs(p.Weight)).ThenBy(p => p.Feature, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The <paramref name="top"/> largest contributions to each row's score, by feature slot, largest magnitude first,
    /// as ML.NET's feature-contribution calculator gives them before calibration. For logistic regression that is the
    /// coefficient times the row's transformed value (1 for the category it has), in log-odds, computed here directly:
    /// the calculator takes six times as long as scoring (ScoreReasonsTests holds the two to the same values). For a
    /// tree ensemble, each tree's leaf value split among the features on the row's path. The baseline has one: the
    /// log-odds of the row's risk category's score. Positive raises the risk.
    /// </summary>
    public IReadOnlyList<(string Feature, double Effect)[]> Contributions(IReadOnlyList<FeatureRow> rows, int top)
    {
        if (_baseline is not null)
        {
            return rows.Select(r => new[]
            {
                ($"risk_level={BaselineRiskTable.Group(r.RiskLevel)}",
                    Math.Log(_baseline.Score(r) / (1 - _baseline.Score(r)))),
            }).ToList();
        }
        if (rows.Count == 0) return [];
        if (Algorithm != Candidate.Logistic) return CalculatedContributions(rows, top);

        var names = SlotNames();
        var weights = LinearWeights();
        var numeric = FeatureSet.Numeric.Count;
        // Each categorical column's values to their one-hot slot ("risk_level=high"); a value training never saw has
        // none.
        var categorySlots = FeatureSet.Categorical.Select(column => names
                .Select((name, slot) => (name, slot))
                .Skip(numeric)
                .Where(p => p.name.StartsWith(column + "=", StringComparison.Ordinal))
                .ToDictionary(p => p.name[(column.Length + 1)..], p => p.slot, StringComparer.Ordinal))
            .ToArray();
        return rows.Select(row =>
        {
            var z = _transform!.Apply(row.Numeric);
            var effects = new List<(string Feature, double Effect)>(numeric + categorySlots.Length);
            for (var j = 0; j < numeric; j++) effects.Add((names[j], weights[j] * z[j]));
            for (var c = 0; c < categorySlots.Length; c++)
                if (categorySlots[c].TryGetValue(row.Categorical[c], out var slot))
                    effects.Add((names[slot], weights[slot]));
            return Largest(effects, top);
        }).ToList();
    }

    /// <summary>
    /// The contributions as ML.NET's feature-contribution calculator gives them, for any of the three learners.
    /// </summary>
    internal IReadOnlyList<(string Feature, double Effect)[]> CalculatedContributions(
        IReadOnlyList<FeatureRow> rows,
        int top)
    {
        var names = SlotNames();
        var scored = _model!.Transform(ToDataView(_ml!, rows, _transform!, _ => 1f));
        var last = ((IEnumerable<ITransformer>)_model).Last();
        var calculator = last switch
        {
            ISingleFeaturePredictionTransformer<CalibratedLinear> linear =>
                _ml!.Transforms.CalculateFeatureContribution(linear, names.Count, names.Count, normalize: false)
                    .Fit(scored),
            ISingleFeaturePredictionTransformer<CalibratedFastTree> fastTree =>
                _ml!.Transforms.CalculateFeatureContribution(fastTree, names.Count, names.Count, normalize: false)
                    .Fit(scored),
            ISingleFeaturePredictionTransformer<CalibratedLightGbm> lightGbm =>
                _ml!.Transforms.CalculateFeatureContribution(lightGbm, names.Count, names.Count, normalize: false)
                    .Fit(scored),
            _ => throw new InvalidOperationException(
                $"{Algorithm} does not report feature contributions ({last.GetType().Name})"),
        };
        return calculator.Transform(scored).GetColumn<VBuffer<float>>("FeatureContributions")
            .Select(vector => Largest(
                vector.DenseValues().Select((c, i) => (i < names.Count ? names[i] : $"slot {i}", (double)c)),
                top))
            .ToList();
    }

    /// <summary>
    /// The <paramref name="top"/> non-zero effects of largest magnitude, ties by name: one pass, no sort.
    /// </summary>
    private static (string Feature, double Effect)[] Largest(
        IEnumerable<(string Feature, double Effect)> effects,
        int top)
    {
        var best = new List<(string Feature, double Effect)>(top + 1);
        foreach (var effect in effects)
        {
            if (effect.Effect == 0) continue;
            var at = best.Count;
            while (at > 0 && Before(effect, best[at - 1])) at--;
            if (at >= top) continue;
            best.Insert(at, effect);
            if (best.Count > top) best.RemoveAt(top);
        }
        return [.. best];

        static bool Before((string Feature, double Effect) a, (string Feature, double Effect) b) =>
            Math.Abs(a.Effect) > Math.Abs(b.Effect)
            || (Math.Abs(a.Effect) == Math.Abs(b.Effect) && string.CompareOrdinal(a.Feature, b.Feature) < 0);
    }

    /// <summary>A logistic regression's coefficients, by slot of the Features vector.</summary>
    private float[] LinearWeights()
    {
        var last = ((IEnumerable<ITransformer>)_model!).Last();
        var parameters = ((ISingleFeaturePredictionTransformer<object>)last).Model;
        return parameters is CalibratedLinear linear
            ? [.. linear.SubModel.Weights]
            : throw new InvalidOperationException($"{Algorithm} is not a linear model ({parameters.GetType().Name})");
    }

    /// <summary>
    /// The name of each slot of the Features vector: the numeric features, then the one-hot categories
    /// ("risk_level=high").
    /// </summary>
    private List<string> SlotNames()
    {
        var schema = _model!.GetOutputSchema(InputSchema(_ml!));
        var names = new List<string>(FeatureSet.Numeric);
        var oneHot = schema["CategoricalOneHot"];
        var slots = default(VBuffer<ReadOnlyMemory<char>>);
        oneHot.GetSlotNames(ref slots);
        names.AddRange(slots.DenseValues().Select(n => n.ToString()));
        return names;
    }

    /// <summary>The ML.NET model zip; empty for the baseline.</summary>
    public byte[] Save()
    {
        if (_baseline is not null) return [];
        using var stream = new MemoryStream();
        _ml!.Model.Save(_model!, InputSchema(_ml), stream);
        return stream.ToArray();
    }

    /// <summary>
    /// What the registry stores as hyper_parameters: the candidate's and the recency half-life, or the baseline's
    /// fitted risk table.
    /// </summary>
    public string HyperParametersJson(Candidate candidate) => _baseline?.ToJson() ?? JsonSerializer.Serialize(
        new SortedDictionary<string, double>(candidate.HyperParameters.ToDictionary(), StringComparer.Ordinal)
        {
            [HalfLifeKey] = RecencyHalfLifeMonths,
        });

    private const string HalfLifeKey = "recency_half_life_months";

    private static double HalfLifeOf(string hyperParametersJson)
    {
        using var document = JsonDocument.Parse(hyperParametersJson);
        return document.RootElement.TryGetProperty(HalfLifeKey, out var value) ? value.GetDouble() : 0;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static IEstimator<ITransformer> Estimator(MLContext ml, Candidate c, int treeThreads)
    {
        // Bag: the three columns' prefixed values share one dictionary, so one slot per category ("risk_level=high"),
        // left 0/1 (not standardised: a rare category should need evidence to weigh much).
        var features = ml.Transforms.Categorical.OneHotEncoding("CategoricalOneHot", nameof(ModelInput.Categorical),
                Microsoft.ML.Transforms.OneHotEncodingEstimator.OutputKind.Bag)
            .Append(ml.Transforms.Concatenate("Features", nameof(ModelInput.Numeric), "CategoricalOneHot"));
        var h = c.HyperParameters;
        return c.Algorithm switch
        {
            // The numeric features arrive standardised (FeatureTransform). L-BFGS passes over the data many times:
            // cache the encoded features rather than re-encode per pass.
            Candidate.Logistic => features
                .AppendCacheCheckpoint(ml)
                .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(
                    new LbfgsLogisticRegressionBinaryTrainer.Options
                    {
                        L2Regularization = (float)h["l2"],
                        // The default (1e-7) spends most iterations on digits no ranking metric sees.
                        OptimizationTolerance = 1e-5f,
                        NumberOfThreads = 1,
                        ExampleWeightColumnName = nameof(ModelInput.Weight),
                    })),
            Candidate.FastTree => features.Append(ml.BinaryClassification.Trainers.FastTree(
                new FastTreeBinaryTrainer.Options
                {
                    NumberOfLeaves = (int)h["leaves"],
                    NumberOfTrees = (int)h["trees"],
                    MinimumExampleCountPerLeaf = (int)h["min_leaf"],
                    LearningRate = h["lr"],
                    NumberOfThreads = treeThreads,
                    Seed = 1,
                    ExampleWeightColumnName = nameof(ModelInput.Weight),
                })),
            Candidate.LightGbm => features.Append(ml.BinaryClassification.Trainers.LightGbm(
                new LightGbmBinaryTrainer.Options
                {
                    NumberOfLeaves = (int)h["leaves"],
                    NumberOfIterations = (int)h["trees"],
                    MinimumExampleCountPerLeaf = (int)h["min_leaf"],
                    LearningRate = h["lr"],
                    NumberOfThreads = treeThreads,
                    Seed = 1,
                    Verbose = false,
                    Silent = true,
                    ExampleWeightColumnName = nameof(ModelInput.Weight),
                })),
            _ => throw new InvalidOperationException($"unknown algorithm '{c.Algorithm}'"),
        };
    }

    private static IDataView ToDataView(
        MLContext ml,
        IReadOnlyList<FeatureRow> rows,
        FeatureTransform transform,
        Func<FeatureRow, float> weight)
    {
        // Prefixed so the one-hot slots of the three columns (one shared dictionary) read "risk_level=high".
        // One array per distinct combination, not per row: at a million rows, per-row strings were 200 MB a fit.
        var prefixed = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string[] Prefixed(string[] values)
        {
            var key = string.Join('\u001f', values);
            if (!prefixed.TryGetValue(key, out var array))
                prefixed[key] = array = values.Select((v, i) => $"{FeatureSet.Categorical[i]}={v}").ToArray();
            return array;
        }
        return ml.Data.LoadFromEnumerable(rows.Select(r => new ModelInput
        {
            Numeric = transform.Apply(r.Numeric),
            Categorical = Prefixed(r.Categorical),
            Label = r.LabelFail ?? false,
            Weight = weight(r),
        }).ToList(), Definition());
    }

    private static DataViewSchema InputSchema(MLContext ml) =>
        ml.Data.LoadFromEnumerable(Array.Empty<ModelInput>(), Definition()).Schema;

    /// <summary>
    /// The vector sizes come from <see cref="FeatureSet"/>, so the schema is built at run time rather than by
    /// attributes.
    /// </summary>
    private static SchemaDefinition Definition()
    {
        var definition = SchemaDefinition.Create(typeof(ModelInput));
        definition[nameof(ModelInput.Numeric)].ColumnType =
            new VectorDataViewType(NumberDataViewType.Single, FeatureSet.Numeric.Count);
        definition[nameof(ModelInput.Categorical)].ColumnType =
            new VectorDataViewType(TextDataViewType.Instance, FeatureSet.Categorical.Count);
        return definition;
    }

    private sealed class ModelInput
    {
        public float[] Numeric { get; set; } = [];
        public string[] Categorical { get; set; } = [];
        public bool Label { get; set; }
        public float Weight { get; set; }
    }
}

/// <summary>
/// The baseline: rank by the City's risk category, high &gt; medium &gt; low &gt; anything else. Its score is a
/// fixed probability per category, the training prevalence, pooled where needed (pool adjacent
/// violators) so the scores never contradict that order; hence Brier is defined and the ranking is the
/// category's. Every row of a category ties, which is why precision at k breaks ties explicitly.
/// </summary>
internal sealed class BaselineRiskTable(IReadOnlyDictionary<string, double> scores)
{
    public static IReadOnlyList<string> Order { get; } = ["high", "medium", "low", "other"];

    public IReadOnlyDictionary<string, double> Scores { get; } = scores;

    public static string Group(string riskLevel) => riskLevel is "high" or "medium" or "low" ? riskLevel : "other";

    public double Score(FeatureRow row) => Scores[Group(row.RiskLevel)];

    public static BaselineRiskTable Fit(IReadOnlyList<FeatureRow> rows)
    {
        var counts = Order.Select(g => rows.Where(r => Group(r.RiskLevel) == g).ToList())
            .Select(g => (Positives: (double)g.Count(r => r.LabelFail == true), Rows: (double)g.Count)).ToList();
        // Pool adjacent violators over the categories present: blocks of (positives, rows), non-increasing means.
        var blocks = new List<(double Positives, double Rows, List<int> Members)>();
        for (var i = 0; i < Order.Count; i++)
        {
            if (counts[i].Rows == 0) continue;
            blocks.Add((counts[i].Positives, counts[i].Rows, [i]));
            while (blocks.Count > 1 && blocks[^2].Positives / blocks[^2].Rows < blocks[^1].Positives / blocks[^1].Rows)
            {
                var last = blocks[^1];
                var previous = blocks[^2];
                blocks.RemoveRange(blocks.Count - 2, 2);
                blocks.Add((
                    previous.Positives + last.Positives,
                    previous.Rows + last.Rows,
                    [.. previous.Members, .. last.Members]));
            }
        }
        var fitted = new double?[Order.Count];
        foreach (var block in blocks)
            foreach (var member in block.Members) fitted[member] = block.Positives / block.Rows;
        // A category absent from training takes its higher neighbour's score (or the lower one's, for "high").
        for (var i = 0; i < Order.Count; i++)
            fitted[i] ??= i > 0 ? fitted[i - 1] : fitted.FirstOrDefault(f => f is not null);
        return new BaselineRiskTable(Order.Select((g, i) => (g, fitted[i] ?? 0)).ToDictionary(p => p.g, p => p.Item2));
    }

    public string ToJson() => JsonSerializer.Serialize(new { order = Order, scores = Scores });

    public static BaselineRiskTable FromJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        var scores = document.RootElement.GetProperty("scores").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetDouble());
        return new BaselineRiskTable(scores);
    }
}

/// <summary>
/// Lets native fits run at the same time only when they use the same number of threads. LightGBM keeps that number
/// in one process-wide global (each fit's num_threads sets it) and sizes its per-thread buffers by it, so a fit that
/// starts with another number while one runs makes the running one index past its buffers: the segfault seen when
/// test classes ran a one-thread validation fit beside select's refit on every core. Fits with the same number share
/// the gate, so train's parallel one-thread validation fits never wait, nor does select's refit, which runs alone:
/// within one command the gate costs the train stage nothing; only fits from different callers in one process (the
/// test suite) queue. Entrants are admitted in arrival order, so a fit with another number waits for the fits already
/// running, not for a stream of newcomers with their number. Managed trainers (FastTree, L-BFGS) need no gate.
/// </summary>
internal sealed class NativeThreadGate
{
    private readonly object _sync = new(); // not a Lock: Monitor.Wait needs a monitor
    private readonly Dictionary<int, int> _waiting = [];
    private long _nextTicket, _nowServing;
    private int _running, _threads;

    /// <summary>How many callers wait to enter with <paramref name="threads"/> threads.</summary>
    public int Waiting(int threads)
    {
        lock (_sync) return _waiting.GetValueOrDefault(threads);
    }

    /// <summary>
    /// Blocks until no fit with another thread count runs and every earlier caller is in; dispose to leave.
    /// </summary>
    public IDisposable Enter(int threads)
    {
        lock (_sync)
        {
            var ticket = _nextTicket++;
            _waiting[threads] = _waiting.GetValueOrDefault(threads) + 1;
            while (ticket != _nowServing || (_running > 0 && _threads != threads)) Monitor.Wait(_sync);
            _waiting[threads]--;
            _nowServing++;
            _threads = threads;
            _running++;
            // The next in line may have the same thread count and come in too.
            Monitor.PulseAll(_sync);
        }
        return new Pass(this);
    }

    private void Leave()
    {
        lock (_sync)
        {
            if (--_running == 0) Monitor.PulseAll(_sync);
        }
    }

    private sealed class Pass(NativeThreadGate gate) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0) gate.Leave();
        }
    }
}
