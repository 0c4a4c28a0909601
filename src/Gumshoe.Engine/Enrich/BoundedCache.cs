namespace Gumshoe.Engine.Enrich;

/// <summary>
/// A least-recently-used cache with a fixed number of entries and an optional time to live. Entries live in arrays
/// linked by index, so a hit (and, once full, a miss that evicts) allocates nothing. Not thread-safe: each enricher
/// owns one and uses it from the pipeline thread.
/// </summary>
public sealed class BoundedCache<TKey, TValue> where TKey : notnull
{
    private readonly Dictionary<TKey, int> _index;
    private readonly TKey[] _keys;
    private readonly TValue[] _values;
    private readonly long[] _expires;
    private readonly int[] _prev, _next;
    private readonly Func<long> _clock;
    private int _head = -1, _tail = -1, _used, _free = -1;

    /// <param name="capacity">Maximum number of entries (at least 1).</param>
    /// <param name="clock">Milliseconds of a monotonic clock; <see cref="Environment.TickCount64"/> by default.</param>
    public BoundedCache(int capacity, IEqualityComparer<TKey>? comparer = null, Func<long>? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _index = new Dictionary<TKey, int>(Math.Min(capacity, 4096), comparer);
        _keys = new TKey[capacity];
        _values = new TValue[capacity];
        _expires = new long[capacity];
        _prev = new int[capacity];
        _next = new int[capacity];
        _clock = clock ?? (static () => Environment.TickCount64);
    }

    public int Capacity { get; }
    public int Count => _index.Count;

    /// <summary>Looks a key up; an expired entry counts as absent (and is dropped).</summary>
    public bool TryGet(TKey key, out TValue value)
    {
        if (_index.TryGetValue(key, out var i))
        {
            if (_expires[i] == long.MaxValue || _expires[i] > _clock())
            {
                MoveToFront(i);
                value = _values[i];
                return true;
            }
            Remove(i);
        }
        value = default!;
        return false;
    }

    /// <summary>Adds or replaces an entry; <paramref name="ttl"/> null keeps it until it is evicted.</summary>
    public void Set(TKey key, TValue value, TimeSpan? ttl = null)
    {
        var expires = ttl is { } t ? _clock() + (long)t.TotalMilliseconds : long.MaxValue;
        if (_index.TryGetValue(key, out var i))
        {
            _values[i] = value;
            _expires[i] = expires;
            MoveToFront(i);
            return;
        }
        if (_free >= 0) { i = _free; _free = _next[i]; }
        else if (_used < Capacity) i = _used++;
        else
        {
            i = _tail;                       // evict the least recently used
            _index.Remove(_keys[i]);
            Unlink(i);
        }
        _keys[i] = key;
        _values[i] = value;
        _expires[i] = expires;
        _index[key] = i;
        LinkFront(i);
    }

    /// <summary>Drops every entry (after a database reload, for instance).</summary>
    public void Clear()
    {
        _index.Clear();
        Array.Clear(_keys);
        Array.Clear(_values);
        _head = _tail = _free = -1;
        _used = 0;
    }

    // A slot freed before it was evicted (an expired entry) goes on a free list and is reused first.
    private void Remove(int i)
    {
        _index.Remove(_keys[i]);
        _keys[i] = default!;
        _values[i] = default!;
        Unlink(i);
        _next[i] = _free;
        _free = i;
    }

    private void MoveToFront(int i)
    {
        if (i == _head) return;
        Unlink(i);
        LinkFront(i);
    }

    private void Unlink(int i)
    {
        var p = _prev[i];
        var n = _next[i];
        if (p >= 0) _next[p] = n; else _head = n;
        if (n >= 0) _prev[n] = p; else _tail = p;
    }

    private void LinkFront(int i)
    {
        _prev[i] = -1;
        _next[i] = _head;
        if (_head >= 0) _prev[_head] = i;
        _head = i;
        if (_tail < 0) _tail = i;
    }
}
