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
    public async Task A_full_batch_is_written_by_the_flusher_not_by_the_thread_that_filled_it()
    {
        var sink = new ThreadRecordingWriter();
        using var writer = new BatchingWriter(sink, TimeSpan.FromHours(1));
        var line = new string('x', 1000);
        for (var i = 0; i < 300; i++) writer.WriteLine(line); // past one batch (256 Ki characters)

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (sink.Threads.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(20);
        sink.Threads.ShouldNotBeEmpty("the flusher wrote the full batch long before the interval");
        sink.Threads.ShouldNotContain(Environment.CurrentManagedThreadId);
    }

    private sealed class ThreadRecordingWriter : StringWriter
    {
        public System.Collections.Concurrent.ConcurrentBag<int> Threads { get; } = [];

        public override void Write(string? value)
        {
            Threads.Add(Environment.CurrentManagedThreadId);
            base.Write(value);
        }

        public override void Write(ReadOnlySpan<char> buffer)
        {
            Threads.Add(Environment.CurrentManagedThreadId);
            base.Write(buffer);
        }
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
