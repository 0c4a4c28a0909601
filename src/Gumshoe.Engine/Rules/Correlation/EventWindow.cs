namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>
/// The newest events of one group, sorted by event time, holding at most N − 1 between checks: enough to tell
/// whether N events fit in a half-open window of T. A late event is inserted in order. Entries are kept compact
/// (ticks, offset, path: 24 bytes) and the array grows only as events arrive, so a key with one event stays small.
/// </summary>
public struct EventWindow
{
    private struct Slot
    {
        public long Ticks;
        public long Offset;
        public string? Path;
    }

    private Slot[]? _items;
    private int _count;

    public readonly int Count => _count;
    public readonly EventRef this[int i] => Ref(_items![i]);
    public readonly IEnumerable<EventRef> Items => _items is null ? [] : _items.Take(_count).Select(Ref);

    private static EventRef Ref(Slot s) => new(new DateTimeOffset(s.Ticks, TimeSpan.Zero), s.Path, s.Offset);

    /// <summary>
    /// Adds an event and tells whether N events containing it now span less than <paramref name="within"/>; if so,
    /// they are returned (oldest first) and the window is emptied. Otherwise events that can no longer share a
    /// window with this one are dropped and at most n − 1 are kept.
    /// </summary>
    public bool Add(EventRef r, int n, TimeSpan within, out EventRef[] fired)
    {
        fired = [];
        if (n <= 1) { fired = [r]; return true; }
        var t = r.Timestamp.UtcTicks;
        var T = within.Ticks;
        // drop events that can no longer share a window with this one (or, for a late one, with anything after it)
        var drop = 0;
        while (drop < _count && t - _items![drop].Ticks >= T) drop++;
        if (drop > 0) { _items.AsSpan(drop, _count - drop).CopyTo(_items); _count -= drop; }
        if (_items is null) _items = new Slot[Math.Min(n, 2)];
        else if (_count == _items.Length) Array.Resize(ref _items, Math.Min(n, _items.Length * 2));
        var at = _count;
        while (at > 0 && _items[at - 1].Ticks > t) at--;
        if (at < _count) _items.AsSpan(at, _count - at).CopyTo(_items.AsSpan(at + 1));
        _items[at] = new Slot { Ticks = t, Offset = r.Offset, Path = r.Path };
        _count++;
        // every window of n consecutive events that contains the new one, earliest first
        for (var j = Math.Max(0, at - n + 1); j <= at && j + n <= _count; j++)
        {
            if (_items[j + n - 1].Ticks - _items[j].Ticks >= T) continue;
            fired = new EventRef[n];
            for (var i = 0; i < n; i++) fired[i] = Ref(_items[j + i]);
            _count = 0;
            return true;
        }
        if (_count >= n) { _items.AsSpan(_count - n + 1, n - 1).CopyTo(_items); _count = n - 1; }
        return false;
    }

    public void Clear() => _count = 0;

    /// <summary>Replaces the content (restore).</summary>
    public void Load(IReadOnlyList<EventRef> refs, int capacity)
    {
        _items = refs.Count == 0 ? null : new Slot[Math.Min(Math.Max(capacity, 1), Math.Max(refs.Count, 2))];
        if (_items is not null && _items.Length < refs.Count) _items = new Slot[refs.Count];
        for (var i = 0; i < refs.Count; i++) _items![i] = new Slot { Ticks = refs[i].Timestamp.UtcTicks, Offset = refs[i].Offset, Path = refs[i].Path };
        _count = refs.Count;
    }
}
