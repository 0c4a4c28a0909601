using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>
/// The distinct values of one group with the latest event of each: the first <see cref="InlineCapacity"/> inside the
/// struct itself (in the rule's table entry: no allocation for a group showing one or two values), beyond that an
/// array grown as values arrive (no per-key dictionary), searched linearly while small and through a value → slot
/// table beyond 16 values. A removed value's
/// slot is reused by the next one added, the last freed first, as a <see cref="Dictionary{TKey,TValue}"/> does, so
/// values enumerate in the same order as they did when this was a dictionary.
/// </summary>
public struct DistinctValues
{
    // 32 bytes: a free slot keeps the free list's next link where a held value keeps its hash
    private struct Slot
    {
        public string? Value;   // null: free
        public long Ticks;
        public long Offset;
        public int Path;        // EventPaths' number
        public int Hash;        // held: the value's hash (a search compares a value's text only when it matches); free: the next free slot + 1
    }

    /// <summary>Values held inside the struct before an array is needed.</summary>
    public const int InlineCapacity = 2;

    [InlineArray(InlineCapacity)]
    private struct InlineSlots
    {
        private Slot _first;
    }

    private const int Linear = 16;
    private InlineSlots _inline;
    private Slot[]? _slots;     // once more values than the inline slots hold arrive, every slot lives here
    private int _used;          // slots ever used (enumeration bound)
    private int _count;
    private int _free;          // head of the free list + 1 (0: empty)
    private Dictionary<string, int>? _index;

    public readonly int Count => _count;

    [UnscopedRef]
    private Span<Slot> Slots => _slots ?? (Span<Slot>)_inline;

    [UnscopedRef]
    private readonly ReadOnlySpan<Slot> Held => _slots ?? (ReadOnlySpan<Slot>)_inline;

    /// <summary>Values with their latest events, in dictionary order (a copy).</summary>
    public readonly List<(string Value, EventRef Ref)> Items
    {
        get
        {
            var items = new List<(string, EventRef)>(_count);
            var slots = Held;
            for (var i = 0; i < _used; i++)
                if (slots[i].Value is { } v) items.Add((v, new EventRef(new DateTimeOffset(slots[i].Ticks, TimeSpan.Zero), EventPaths.PathOf(slots[i].Path), slots[i].Offset)));
            return items;
        }
    }

    // Each held value is a string of its own somewhere on the heap: comparing its text first would load it (a cache
    // miss per value held), where the hash beside it in the slot is already at hand.
    private readonly int Find(string value, int hash)
    {
        if (_index is not null) return _index.TryGetValue(value, out var at) ? at : -1;
        var slots = Held;
        for (var i = 0; i < _used; i++)
            if (slots[i].Hash == hash && string.Equals(slots[i].Value, value, StringComparison.Ordinal)) return i;
        return -1;
    }

    /// <summary>The latest event time of a value, or false when it is not held.</summary>
    public readonly bool TryGetTicks(string value, out long ticks)
    {
        var at = Find(value, value.GetHashCode());
        ticks = at >= 0 ? Held[at].Ticks : 0;
        return at >= 0;
    }

    /// <summary>Sets a value's latest event (adding the value when new).</summary>
    public void Set(string value, EventRef r, int capacity)
    {
        var hash = value.GetHashCode();
        Put(value, hash, Find(value, hash), r, capacity);
    }

    /// <summary>
    /// Sets a value's latest event unless the value is held with a later one (one search, where a look-up and then a
    /// set are two). A value new to the group is kept as <paramref name="pool"/>'s instance of it.
    /// </summary>
    public void Update(string value, EventRef r, int capacity, ValuePool? pool = null) => Update(value, value.GetHashCode(), r, capacity, pool);

    /// <inheritdoc cref="Update(string, EventRef, int, ValuePool?)"/>
    /// <param name="hash">The value's <see cref="string.GetHashCode()"/>, worked out already.</param>
    public void Update(string value, int hash, EventRef r, int capacity, ValuePool? pool)
    {
        var at = Find(value, hash);
        if (at >= 0 && Held[at].Ticks > r.Timestamp.UtcTicks) return;
        if (at < 0 && pool is not null) value = pool.Canonical(value, hash);
        Put(value, hash, at, r, capacity);
    }

    // Writes a value's slot: its own (at), or a new one when at is -1.
    private void Put(string value, int hash, int at, EventRef r, int capacity)
    {
        if (at < 0)
        {
            if (_free > 0)
            {
                at = _free - 1;
                _free = Slots[at].Hash;
            }
            else
            {
                if (_slots is null && _used == InlineCapacity)
                {
                    _slots = new Slot[Math.Max(_used + 1, Math.Min(capacity, InlineCapacity * 2))];
                    ((Span<Slot>)_inline).CopyTo(_slots);
                    ((Span<Slot>)_inline).Clear(); // no value kept alive twice
                }
                else if (_slots is not null && _used == _slots.Length) Array.Resize(ref _slots, Math.Max(_slots.Length + 1, Math.Min(capacity, _slots.Length * 2)));
                at = _used++;
            }
            _count++;
            if (_index is null && _used > Linear) _index = Build();
            _index?.Add(value, at);
        }
        Slots[at] = new Slot { Value = value, Hash = hash, Ticks = r.Timestamp.UtcTicks, Offset = r.Offset, Path = EventPaths.IdOf(r.Path) };
    }

    /// <summary>Removes the values whose latest event is at or before <paramref name="ticks"/>.</summary>
    public void RemoveAtOrBefore(long ticks)
    {
        var slots = Slots;
        for (var i = 0; i < _used; i++)
        {
            if (slots[i].Value is not { } v || slots[i].Ticks > ticks) continue;
            _index?.Remove(v);
            slots[i] = new Slot { Hash = _free };
            _free = i + 1;
            _count--;
        }
    }

    public void Clear()
    {
        Slots[.._used].Clear();
        _used = _count = _free = 0;
        _index = null;
    }

    private readonly Dictionary<string, int> Build()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var slots = Held;
        for (var i = 0; i < _used; i++)
            if (slots[i].Value is { } v) index[v] = i;
        return index;
    }
}
