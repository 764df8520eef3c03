using System.Globalization;
using System.Text;

namespace Inspections.Hosting;

/// <summary>
/// Starts every line with the time it was written (ISO 8601, UTC), for output that goes to a file rather than
/// a terminal: an appended cron log then says when each run happened. Not thread-safe by itself: wrap it in
/// <see cref="TextWriter.Synchronized"/>.
/// </summary>
internal sealed class TimestampedWriter(TextWriter inner, TimeProvider clock) : TextWriter
{
    private readonly StringBuilder _stamped = new();
    private bool _atLineStart = true;
    private long _stampSecond = long.MinValue;
    private string _stamp = "";

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        if (_atLineStart && value != '\r') inner.Write(Stamp());
        inner.Write(value);
        _atLineStart = value == '\n';
    }

    /// <summary>
    /// The text with a stamp at each line's start, in one write to the inner writer: a batch of a thousand log lines
    /// is then one write to the stream, not two per line.
    /// </summary>
    public override void Write(ReadOnlySpan<char> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var end = buffer.IndexOf('\n');
            var line = end < 0 ? buffer : buffer[..(end + 1)];
            if (_atLineStart) _stamped.Append(Stamp());
            _stamped.Append(line);
            _atLineStart = end >= 0;
            buffer = buffer[line.Length..];
        }
        if (_stamped.Length == 0) return;
        inner.Write(_stamped.ToString());
        _stamped.Clear();
    }

    public override void Write(string? value) => Write(value.AsSpan());

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void WriteLine(string? value) => Write((value ?? "") + NewLine);

    public override void Flush() => inner.Flush();

    // The stamp is to the second: formatted once a second, not once a line.
    private string Stamp()
    {
        var now = clock.GetUtcNow();
        var second = now.UtcTicks / TimeSpan.TicksPerSecond;
        if (second != _stampSecond)
        {
            _stamp = now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z' ", CultureInfo.InvariantCulture);
            _stampSecond = second;
        }
        return _stamp;
    }
}
