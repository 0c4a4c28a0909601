namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>
/// Groups waiting for a deadline, in the order the deadlines come due (equal ones in the order they were set).
/// Deadlines set by events in time order (an absence's t_A + T: nearly all of them) only ever grow, so they queue
/// in a ring, first in first out, at no cost per item and in an order that lets the rule fetch the groups of the
/// next few ahead; a deadline earlier than the last one queued (a late event's) goes to a heap beside it.
/// </summary>
internal sealed class DeadlineQueue
{
    private (GroupKeyValue Key, long Deadline, long Seq)[] _ring = new (GroupKeyValue, long, long)[16];
    private int _head, _count;
    private readonly PriorityQueue<(GroupKeyValue Key, long Deadline, long Seq), (long, long)> _early = new();
    private long _seq;

    public int Count => _count + _early.Count;

    public void Enqueue(GroupKeyValue key, long deadline)
    {
        var item = (key, deadline, _seq++);
        if (_count > 0 && deadline < _ring[(_head + _count - 1) & (_ring.Length - 1)].Deadline)
        {
            _early.Enqueue(item, (deadline, item.Item3));
            return;
        }
        if (_count == _ring.Length)
        {
            var grown = new (GroupKeyValue, long, long)[_ring.Length * 2];
            for (var i = 0; i < _count; i++) grown[i] = _ring[(_head + i) & (_ring.Length - 1)];
            (_ring, _head) = (grown, 0);
        }
        _ring[(_head + _count++) & (_ring.Length - 1)] = item;
    }

    /// <summary>The group whose deadline comes due first, and the deadline.</summary>
    public bool TryPeek(out GroupKeyValue key, out long deadline)
    {
        var fromRing = FromRing(out var ringFirst);
        if (fromRing is null)
        {
            (key, deadline) = (default, 0);
            return false;
        }
        (key, deadline) = fromRing.Value ? (ringFirst.Key, ringFirst.Deadline) : (_early.Peek().Key, _early.Peek().Deadline);
        return true;
    }

    public void Dequeue()
    {
        if (FromRing(out _) is not { } fromRing) throw new InvalidOperationException("no deadline is queued");
        if (!fromRing)
        {
            _early.Dequeue();
            return;
        }
        _ring[_head] = default; // no key text kept alive
        _head = (_head + 1) & (_ring.Length - 1);
        _count--;
    }

    /// <summary>The group of the <paramref name="i"/>-th deadline of the ring (0: its first), for fetching ahead; false past its end.</summary>
    public bool TryPeekAhead(int i, out GroupKeyValue key)
    {
        key = i < _count ? _ring[(_head + i) & (_ring.Length - 1)].Key : default;
        return i < _count;
    }

    public void Clear()
    {
        Array.Clear(_ring);
        _head = _count = 0;
        _early.Clear();
    }

    // Whether the first deadline is the ring's (null when none is queued); ties go to the one set first.
    private bool? FromRing(out (GroupKeyValue Key, long Deadline, long Seq) ringFirst)
    {
        ringFirst = _count > 0 ? _ring[_head] : default;
        if (_early.Count == 0) return _count > 0 ? true : null;
        if (_count == 0) return false;
        var early = _early.Peek();
        return ringFirst.Deadline < early.Deadline || (ringFirst.Deadline == early.Deadline && ringFirst.Seq < early.Seq);
    }
}
