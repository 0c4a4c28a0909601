namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>
/// The newest events of one group, sorted by event time, holding at most N − 1 between checks: enough to tell
/// whether N events fit in a half-open window of T. A late event is inserted in order.
/// </summary>
public struct EventWindow
{
    private EventRef[]? _items;
    private int _count;

    public readonly int Count => _count;
    public readonly EventRef this[int i] => _items![i];
    public readonly IEnumerable<EventRef> Items => _items is null ? [] : _items.Take(_count);

    /// <summary>
    /// Adds an event and tells whether the newest <paramref name="n"/> events now span less than
    /// <paramref name="within"/>; if so, they are returned and the window is emptied. Otherwise events that can no
    /// longer share a window with the newest one are dropped and at most n − 1 are kept.
    /// </summary>
    public bool Add(EventRef r, int n, TimeSpan within, out EventRef[] fired)
    {
        fired = [];
        if (n <= 1) { fired = [r]; return true; }
        _items ??= new EventRef[n];
        if (_items.Length < n) Array.Resize(ref _items, n);
        // drop events that can no longer share a window with this one (or, for a late one, with anything after it)
        var drop = 0;
        while (drop < _count && r.Timestamp - _items[drop].Timestamp >= within) drop++;
        if (drop > 0) { Array.Copy(_items, drop, _items, 0, _count - drop); _count -= drop; }
        var at = _count;
        while (at > 0 && _items[at - 1].Timestamp > r.Timestamp) at--;
        Array.Copy(_items, at, _items, at + 1, _count - at);
        _items[at] = r;
        _count++;
        // every window of n consecutive events that contains the new one, earliest first
        for (var j = Math.Max(0, at - n + 1); j <= at && j + n <= _count; j++)
        {
            if (_items[j + n - 1].Timestamp - _items[j].Timestamp >= within) continue;
            fired = _items.AsSpan(j, n).ToArray();
            _count = 0;
            return true;
        }
        if (_count >= n) { Array.Copy(_items, _count - n + 1, _items, 0, n - 1); _count = n - 1; }
        return false;
    }

    public void Clear() => _count = 0;

    /// <summary>Replaces the content (restore).</summary>
    public void Load(IReadOnlyList<EventRef> refs, int capacity)
    {
        _items = new EventRef[Math.Max(capacity, refs.Count)];
        for (var i = 0; i < refs.Count; i++) _items[i] = refs[i];
        _count = refs.Count;
    }
}
