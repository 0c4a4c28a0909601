using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>
/// The newest events of one group, sorted by event time, holding at most N − 1 between checks: enough to tell
/// whether N events fit in a half-open window of T. A late event is inserted in order. Entries are kept compact
/// (ticks, offset, the path's number: 24 bytes, no reference, so moving them is a plain copy). Up to <see cref="InlineCapacity"/> of them live inside the struct itself — in
/// the rule's table entry, so a window of a few events costs no allocation and no extra memory access; a window that
/// must hold more moves to an array, grown as events arrive.
/// </summary>
public struct EventWindow
{
    /// <summary>Events held inside the struct before an array is needed (a count-5 window never needs one).</summary>
    public const int InlineCapacity = 4;

    private struct Slot
    {
        public long Ticks;
        public long Offset;
        public int Path;      // EventPaths' number
    }

    [InlineArray(InlineCapacity)]
    private struct InlineSlots
    {
        private Slot _first;
    }

    private InlineSlots _inline;
    private Slot[]? _spilled;   // once a window outgrows the inline slots, every slot lives here
    private int _count;

    public readonly int Count => _count;
    public readonly EventRef this[int i] => Ref(_spilled is null ? _inline[i] : _spilled[i]);

    /// <summary>The events held, oldest first (a copy).</summary>
    public readonly EventRef[] Items
    {
        get
        {
            var items = new EventRef[_count];
            for (var i = 0; i < _count; i++) items[i] = this[i];
            return items;
        }
    }

    private static EventRef Ref(in Slot s) => new(new DateTimeOffset(s.Ticks, TimeSpan.Zero), EventPaths.PathOf(s.Path), s.Offset);

    [UnscopedRef]
    private Span<Slot> Slots => _spilled ?? (Span<Slot>)_inline;

    // Room for one more slot, at most n in all (the new event joins before the check) unless more are held already.
    [UnscopedRef]
    private Span<Slot> Reserve(int n)
    {
        if (_spilled is null)
        {
            if (_count < InlineCapacity) return _inline;
            _spilled = new Slot[Math.Max(_count + 1, Math.Min(n, InlineCapacity * 2))];
            ((Span<Slot>)_inline)[.._count].CopyTo(_spilled);
            ((Span<Slot>)_inline).Clear();
        }
        else if (_count == _spilled.Length) Array.Resize(ref _spilled, Math.Max(_count + 1, Math.Min(n, _spilled.Length * 2)));
        return _spilled;
    }

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
        var items = Slots;
        // drop events that can no longer share a window with this one (or, for a late one, with anything after it)
        var drop = 0;
        while (drop < _count && t - items[drop].Ticks >= T) drop++;
        if (drop > 0) { items[drop.._count].CopyTo(items); _count -= drop; }
        if (_count == n - 1 && items[_count - 1].Ticks <= t)
        {
            // the usual case, in order: the n − 1 held (all less than T older, after the drop) and this one fire
            fired = new EventRef[n];
            for (var i = 0; i < _count; i++) fired[i] = Ref(items[i]);
            fired[n - 1] = r;
            _count = 0;
            return true;
        }
        items = Reserve(n);
        var at = _count;
        while (at > 0 && items[at - 1].Ticks > t) at--;
        if (at < _count) items[at.._count].CopyTo(items[(at + 1)..]);
        items[at] = new Slot { Ticks = t, Offset = r.Offset, Path = EventPaths.IdOf(r.Path) };
        _count++;
        // every window of n consecutive events that contains the new one, earliest first
        for (var j = Math.Max(0, at - n + 1); j <= at && j + n <= _count; j++)
        {
            if (items[j + n - 1].Ticks - items[j].Ticks >= T) continue;
            fired = new EventRef[n];
            for (var i = 0; i < n; i++) fired[i] = Ref(items[j + i]);
            _count = 0;
            return true;
        }
        if (_count >= n) { items.Slice(_count - n + 1, n - 1).CopyTo(items); _count = n - 1; }
        return false;
    }

    /// <summary>Empties the window (an array it spilled to is kept for the group's next events).</summary>
    public void Clear()
    {
        Slots[.._count].Clear();
        _count = 0;
    }

    /// <summary>Replaces the content (restore).</summary>
    public void Load(IReadOnlyList<EventRef> refs, int capacity)
    {
        this = default;
        if (refs.Count > InlineCapacity) _spilled = new Slot[Math.Max(refs.Count, Math.Min(Math.Max(capacity, 1), InlineCapacity * 2))];
        var items = Slots;
        for (var i = 0; i < refs.Count; i++) items[i] = new Slot { Ticks = refs[i].Timestamp.UtcTicks, Offset = refs[i].Offset, Path = EventPaths.IdOf(refs[i].Path) };
        _count = refs.Count;
    }
}
