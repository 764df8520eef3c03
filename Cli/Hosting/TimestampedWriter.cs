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
    private bool _atLineStart = true;

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        if (_atLineStart && value != '\r') inner.Write(Stamp());
        inner.Write(value);
        _atLineStart = value == '\n';
    }

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        var start = 0;
        while (start < value.Length)
        {
            var end = value.IndexOf('\n', start);
            var line = end < 0 ? value.AsSpan(start) : value.AsSpan(start, end - start + 1);
            if (_atLineStart) inner.Write(Stamp());
            inner.Write(line);
            _atLineStart = end >= 0;
            start = end < 0 ? value.Length : end + 1;
        }
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value) => Write((value ?? "") + NewLine);

    public override void Flush() => inner.Flush();

    private string Stamp() => clock.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z' ", CultureInfo.InvariantCulture);
}
