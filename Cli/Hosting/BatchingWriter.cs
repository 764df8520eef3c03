using System.Text;

namespace Inspections.Hosting;

/// <summary>
/// A writer that collects what is written and passes it to the inner writer in batches, at most
/// <c>interval</c> apart, and on <see cref="Flush"/> and dispose. A server logging one line per request
/// then pays a string append per line instead of a write system call (stderr flushes every line).
/// Nothing is dropped: past <see cref="MaxPending"/> characters the writing thread flushes itself, so a
/// slow sink slows the writers down as an unbuffered one would, rather than filling memory.
/// </summary>
internal sealed class BatchingWriter : TextWriter
{
    private const int MaxPending = 256 * 1024;

    private readonly TextWriter _inner;
    private readonly Timer _timer;
    private readonly Lock _pendingLock = new();
    private readonly Lock _flushLock = new();
    private StringBuilder _pending = new();
    private StringBuilder _spare = new();

    public BatchingWriter(TextWriter inner, TimeSpan interval)
    {
        _inner = inner;
        _timer = new Timer(_ => Flush(), null, interval, interval);
    }

    public override Encoding Encoding => _inner.Encoding;

    public override void Write(char value)
    {
        bool full;
        lock (_pendingLock) full = _pending.Append(value).Length > MaxPending;
        if (full) Flush();
    }

    public override void Write(string? value)
    {
        bool full;
        lock (_pendingLock) full = _pending.Append(value).Length > MaxPending;
        if (full) Flush();
    }

    public override void WriteLine(string? value)
    {
        bool full;
        lock (_pendingLock) full = _pending.Append(value).Append(CoreNewLine).Length > MaxPending;
        if (full) Flush();
    }

    public override void Flush()
    {
        // One flusher at a time, so batches reach the sink in the order they were written.
        lock (_flushLock)
        {
            StringBuilder batch;
            lock (_pendingLock)
            {
                if (_pending.Length == 0) return;
                batch = _pending;
                _pending = _spare;
            }
            _inner.Write(batch.ToString()); // one write to the sink per batch
            _inner.Flush();
            batch.Clear();
            _spare = batch;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _timer.Dispose();
            Flush();
        }
        base.Dispose(disposing);
    }
}
