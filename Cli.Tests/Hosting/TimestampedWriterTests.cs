using Inspections.Hosting;

namespace Inspections.Tests.Hosting;

public sealed class TimestampedWriterTests
{
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class CountingWriter : StringWriter
    {
        public int Writes { get; private set; }

        public override void Write(string? value)
        {
            Writes++;
            base.Write(value);
        }
    }

    [Fact]
    public void Many_lines_written_at_once_are_one_write_to_the_stream_each_line_with_the_time()
    {
        var inner = new CountingWriter();
        var clock = new FixedClock(new DateTimeOffset(2014, 9, 1, 6, 0, 5, TimeSpan.Zero));
        var writer = new TimestampedWriter(inner, clock) { NewLine = "\n" };

        writer.Write("one\ntwo\nthree".AsSpan());
        clock.Now = clock.Now.AddSeconds(1);
        writer.Write(" and a half\nfour\n");

        inner.Writes.ShouldBe(2);
        inner.ToString().ShouldBe(
            "2014-09-01T06:00:05Z one\n2014-09-01T06:00:05Z two\n2014-09-01T06:00:05Z three and a half\n" +
            "2014-09-01T06:00:06Z four\n");
    }

    [Fact]
    public void Every_line_starts_with_the_time_it_was_written_however_it_is_written()
    {
        var inner = new StringWriter { NewLine = "\n" };
        var writer = new TimestampedWriter(
            inner, new FixedClock(new DateTimeOffset(2014, 9, 1, 6, 0, 5, TimeSpan.Zero))) { NewLine = "\n" };

        writer.WriteLine("ran      ingest(date=2014-09-01)");
        writer.Write("two lines\nat once\npart");
        writer.Write(" of a line");
        writer.WriteLine();
        writer.Write('x');
        writer.WriteLine();

        inner.ToString().ShouldBe(
            "2014-09-01T06:00:05Z ran      ingest(date=2014-09-01)\n" +
            "2014-09-01T06:00:05Z two lines\n2014-09-01T06:00:05Z at once\n2014-09-01T06:00:05Z part of a line\n" +
            "2014-09-01T06:00:05Z x\n");
    }
}
