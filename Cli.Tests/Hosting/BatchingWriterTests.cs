using Inspections.Hosting;

namespace Inspections.Tests.Hosting;

public sealed class BatchingWriterTests
{
    private static readonly string NL = Environment.NewLine;

    [Fact]
    public void Lines_wait_for_a_flush_and_reach_the_sink_in_order()
    {
        var sink = new StringWriter();
        var writer = new BatchingWriter(sink, TimeSpan.FromHours(1));
        writer.WriteLine("one");
        writer.Write("two");
        writer.WriteLine();
        sink.ToString().ShouldBeEmpty(); // batched, not written through

        writer.Flush();
        sink.ToString().ShouldBe($"one{NL}two{NL}");
        writer.WriteLine("three");
        writer.Dispose();
        sink.ToString().ShouldBe($"one{NL}two{NL}three{NL}");
    }

    [Fact]
    public async Task Lines_reach_the_sink_within_the_interval_without_a_flush()
    {
        var text = new StringWriter();
        // its lock is the writer itself: reading under it never sees half a write
        var sink = TextWriter.Synchronized(text);
        using var writer = new BatchingWriter(sink, TimeSpan.FromMilliseconds(50));
        writer.WriteLine("one");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        string Written() { lock (sink) return text.ToString(); }
        while (Written().Length == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Written().ShouldBe($"one{NL}");
    }

    [Fact]
    public void Concurrent_writers_lose_no_line()
    {
        var sink = new StringWriter();
        using (var writer = new BatchingWriter(sink, TimeSpan.FromMilliseconds(1)))
        {
            Parallel.For(0, 20_000, i => writer.WriteLine($"line {i}"));
        }
        var lines = sink.ToString().Split(NL, StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(20_000);
        lines.Distinct().Count().ShouldBe(20_000);
    }
}
