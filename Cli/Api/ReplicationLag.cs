namespace Inspections.Api;

/// <summary>
/// What the API's database said about replication at one poll: whether it is a hot standby, the WAL positions (bytes)
/// it has received from its primary and replayed, and whether a WAL receiver runs (it streams, or tries to).
/// Any role may read these: a role without pg_read_all_stats sees only that the receiver exists.
/// </summary>
internal sealed record ReplicationSample(bool Standby, long? Received, long? Replayed, bool Streaming);

/// <summary>
/// How far behind its primary the API's database may be, in seconds; 0 on a primary (<see cref="Standby"/> false).
/// <see cref="Streaming"/> false: the standby has no WAL receiver (its primary is gone, or it cannot reach it).
/// </summary>
internal sealed record ReplicationState(bool Standby, double LagSeconds, bool Streaming);

/// <summary>
/// A standby's lag measured over successive polls, in the API's own clock: how long the oldest WAL it received and
/// has not replayed has waited, or, when it has no WAL receiver, how long it has been without one, whichever is
/// longer. Not <c>now() - pg_last_xact_replay_timestamp()</c>: after an idle spell that reads as minutes while a
/// single new transaction is being replayed, and takes every replica out of the load balancer at once. What it cannot
/// see is WAL the primary has not sent yet: a receiver that streams is taken to be current, and a lag is a lower bound
/// (it starts at 0 when the process starts). Not thread-safe: the poll loop alone calls <see cref="Observe"/>.
/// </summary>
internal sealed class ReplicationLag
{
    // One entry per poll at most; a replay stuck for hours keeps its oldest entries, which are what the lag reads.
    private const int MaxPending = 4096;

    private readonly Queue<(double At, long Received)> _pending = new();
    private long _lastEnqueued = -1;
    private double? _lastStreaming;
    private double? _firstSeen;

    /// <param name="now">Seconds on a monotonic clock.</param>
    public ReplicationState Observe(ReplicationSample sample, double now)
    {
        if (!sample.Standby)
        {
            (_lastStreaming, _firstSeen, _lastEnqueued) = (null, null, -1);
            _pending.Clear();
            return new ReplicationState(Standby: false, LagSeconds: 0, Streaming: false);
        }
        _firstSeen ??= now;
        var replayed = sample.Replayed ?? 0;
        var received = Math.Max(sample.Received ?? replayed, replayed);
        if (_pending.Count < MaxPending && received > _lastEnqueued)
        {
            _pending.Enqueue((now, received));
            _lastEnqueued = received;
        }
        while (_pending.TryPeek(out var oldest) && oldest.Received <= replayed) _pending.Dequeue();
        var replayLag = _pending.TryPeek(out var waiting) ? now - waiting.At : 0;

        if (sample.Streaming) _lastStreaming = now;
        var withoutReceiver = sample.Streaming ? 0 : now - (_lastStreaming ?? _firstSeen.Value);
        return new ReplicationState(Standby: true, LagSeconds: Math.Max(replayLag, withoutReceiver), sample.Streaming);
    }
}
