namespace Inspections.Ingest;

/// <summary>
/// Reads a UTF-8 file (a byte order mark is skipped) as <see cref="SourceText.Decode"/> does: each byte
/// that is not UTF-8 becomes a lone surrogate for <see cref="SourceText.Problem"/> to find, where a
/// <see cref="StreamReader"/> would put U+FFFD, silently. Reads are synchronous (a local file).
/// </summary>
internal sealed class EscapingUtf8Reader(Stream stream) : TextReader
{
    private const int BufferSize = 64 * 1024;

    private readonly byte[] _bytes = new byte[BufferSize];
    private readonly char[] _chars = new char[BufferSize]; // a byte never decodes to more than one char
    private int _byteCount;
    private int _charPosition;
    private int _charCount;
    private bool _started;
    private bool _ended;

    public override int Peek() => Fill() ? _chars[_charPosition] : -1;

    public override int Read() => Fill() ? _chars[_charPosition++] : -1;

    public override int Read(Span<char> buffer)
    {
        if (buffer.IsEmpty || !Fill()) return 0;
        var count = Math.Min(buffer.Length, _charCount - _charPosition);
        _chars.AsSpan(_charPosition, count).CopyTo(buffer);
        _charPosition += count;
        return count;
    }

    public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

    public override Task<int> ReadAsync(char[] buffer, int index, int count) =>
        Task.FromResult(Read(buffer.AsSpan(index, count)));

    public override ValueTask<int> ReadAsync(Memory<char> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    /// <summary>Decodes more when every decoded char was read; false at the end of the file.</summary>
    private bool Fill()
    {
        while (_charPosition == _charCount)
        {
            if (_ended && _byteCount == 0) return false;
            if (!_ended)
            {
                var read = stream.Read(_bytes, _byteCount, _bytes.Length - _byteCount);
                _ended = read == 0;
                _byteCount += read;
            }
            if (!_started)
            {
                if (_byteCount < 3 && !_ended) continue;
                _started = true;
                if (_bytes.AsSpan(0, _byteCount).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) Consume(3);
            }
            SourceText.Decode(_bytes.AsSpan(0, _byteCount), _chars, final: _ended, out var decoded, out _charCount);
            _charPosition = 0;
            Consume(decoded);
        }
        return true;
    }

    private void Consume(int bytes)
    {
        _byteCount -= bytes;
        Buffer.BlockCopy(_bytes, bytes, _bytes, 0, _byteCount);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) stream.Dispose();
        base.Dispose(disposing);
    }
}
