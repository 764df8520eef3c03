using System.Text;

namespace Inspections.Hosting;

/// <summary>
/// A writer that collects what is written and passes it to the inner writer in batches, from a thread of its own, at
/// most <c>interval</c> apart, and on <see cref="Flush"/> and dispose. A server logging one line per request then pays
/// a string append per line instead of a write system call (stderr flushes every line), and no request waits for the
/// sink: a writing thread that wrote the batch itself would hold up every request queued behind it on that thread
/// (the API's p99 rose by about 4 ms when it did).
/// Nothing is dropped: past <see cref="FlushAt"/> characters the flusher is woken early, and past
/// <see cref="MaxPending"/> (a sink far slower than the writers) the writing thread flushes itself, so a slow sink
/// slows the writers down as an unbuffered one would, rather than filling memory.
/// </summary>
internal sealed class BatchingWriter : TextWriter
{
    private const int FlushAt = 256 * 1024;
    private const int MaxPending = 16 * FlushAt;

    private readonly TextWriter _inner;
    private readonly TimeSpan _interval;
    private readonly Thread _flusher;
    private readonly AutoResetEvent _wake = new(false);
    private readonly Lock _pendingLock = new();
    private readonly Lock _flushLock = new();
    private StringBuilder _pending = new();
    private StringBuilder _spare = new();
    private volatile bool _disposed;

    public BatchingWriter(TextWriter inner, TimeSpan interval)
    {
        _inner = inner;
        _interval = interval;
        _flusher = new Thread(FlushLoop) { IsBackground = true, Name = "log flusher" };
        _flusher.Start();
    }

    public override Encoding Encoding => _inner.Encoding;

    public override void Write(char value)
    {
        int pending;
        lock (_pendingLock) pending = _pending.Append(value).Length;
        Written(pending);
    }

    public override void Write(string? value)
    {
        int pending;
        lock (_pendingLock) pending = _pending.Append(value).Length;
        Written(pending);
    }

    public override void WriteLine(string? value)
    {
        int pending;
        lock (_pendingLock) pending = _pending.Append(value).Append(CoreNewLine).Length;
        Written(pending);
    }

    private void Written(int pending)
    {
        if (pending > MaxPending) Flush();
        else if (pending > FlushAt) _wake.Set();
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
            // A chunk at a time (a few thousand characters each): a batch as one string would be a large-object
            // allocation every few hundred milliseconds, and collections of the large-object heap are full ones.
            foreach (var chunk in batch.GetChunks()) _inner.Write(chunk.Span);
            _inner.Flush();
            batch.Clear();
            _spare = batch;
        }
    }

    private void FlushLoop()
    {
        while (!_disposed)
        {
            _wake.WaitOne(_interval);
            try
            {
                Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // A sink that fails (stderr's pipe closed) has nowhere to put that batch; this thread must not take the
                // process down with it. Dispose's flush fails the same way, where the caller sees it.
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _wake.Set();
            _flusher.Join();
            Flush(); // the event stays undisposed: a line logged during shutdown may still set it
        }
        base.Dispose(disposing);
    }
}
