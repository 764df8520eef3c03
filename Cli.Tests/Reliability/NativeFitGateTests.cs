using System.Diagnostics;
using Inspections.Tests.Training;
using Inspections.Training;

namespace Inspections.Tests.Reliability;

/// <summary>
/// LightGBM fits with different thread counts never run at once in one process (its thread count is a process-wide
/// global: mixing them segfaulted the test host). Nothing here races a real mix: the gate is observed, not timed.
/// </summary>
public sealed class NativeFitGateTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Fits_with_one_thread_count_share_the_gate_and_another_count_waits_in_arrival_order()
    {
        var gate = new NativeThreadGate();
        var first = gate.Enter(1);
        var second = await Task.Run(() => gate.Enter(1)).WaitAsync(Bound); // shares: it does not wait for the first

        var wide = Task.Run(() => gate.Enter(4));
        await WaitUntilAsync(() => gate.Waiting(4) == 1);
        var late = Task.Run(() => gate.Enter(1));
        await WaitUntilAsync(() => gate.Waiting(1) == 1); // behind the four-thread fit, though one-thread fits run

        first.Dispose();
        gate.Waiting(4).ShouldBe(1); // the second one-thread fit still runs
        second.Dispose();
        var widePass = await wide.WaitAsync(Bound);
        gate.Waiting(1).ShouldBe(1);
        late.IsCompleted.ShouldBeFalse();
        widePass.Dispose();
        (await late.WaitAsync(Bound)).Dispose();
        gate.Waiting(1).ShouldBe(0);
    }

    [Fact]
    public async Task A_LightGBM_fit_waits_while_a_fit_with_another_thread_count_holds_the_gate()
    {
        var rows = SnapshotGenerator.Generate(licenses: 150, weeks: 8, TrainedDatabase.FirstAsOf)
            .Where(r => r.LabelFail is not null).ToList();
        var candidate = Candidate.Create(Candidate.LightGbm,
            new() { ["leaves"] = 8, ["trees"] = 20, ["min_leaf"] = 10, ["lr"] = 0.1 });
        // Thread counts no other test uses, so the counts observed are this test's alone.
        const int held = 13, fitted = 11;

        Task<ModelScorer> fit;
        using (ModelScorer.LightGbmThreads.Enter(held))
        {
            fit = Task.Run(() => ModelScorer.Fit(candidate, rows, treeThreads: fitted));
            await WaitUntilAsync(() => ModelScorer.LightGbmThreads.Waiting(fitted) == 1 || fit.IsCompleted);
            fit.IsCompleted.ShouldBeFalse("the fit ran while a fit with another thread count held the gate");
        }

        var model = await fit.WaitAsync(Bound);
        model.Score(rows).Distinct().Count().ShouldBeGreaterThan(10);
        ModelScorer.LightGbmThreads.Waiting(fitted).ShouldBe(0);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > Bound) Assert.Fail($"still not so after {Bound.TotalSeconds} s");
            await Task.Delay(10);
        }
    }
}
