using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>
/// A rule's groups: key → entry held by value, changed in place through references. Entries sit in one array in the
/// order a <see cref="Dictionary{TKey,TValue}"/> would keep them (removed entries reused last freed first), so groups
/// enumerate as they did in a dictionary. Keys are found through a separate open-addressed index of (hash, entry)
/// slots, probed linearly, at least twice as many slots as entries: a key's probe mostly reads one cache line, and a key
/// that has no group (most events of a rule over many keys) is known to be new without touching any entry, which hold a
/// whole window's state each and cannot all stay in the cache. The slot of a key, then the entry it names or the one a
/// new key would take, can be fetched ahead (<see cref="PrefetchSlot"/>, <see cref="PrefetchEntry"/>), so a rule set
/// can start the cache misses of every rule an event visits before any of them needs its state. Entries live in
/// chunks of <see cref="ChunkSize"/> (the first grows up to that size): past its first chunk a table grows by adding
/// chunks, never by copying its entries into fresh memory.
/// </summary>
internal sealed class GroupTable<TValue> where TValue : struct
{
    private struct Slot
    {
        public int Hash;
        public int Entry;      // 1-based entry index; 0: empty
    }

    private struct Entry
    {
        public GroupKeyValue.Packed Key; // no reference: writing an entry marks no card (TValue may still hold some)
        public TValue Value;
    }

    // Entries per chunk. Copying every group's state into a doubled array, in fresh memory whose pages are faulted in
    // and zeroed, with every reference in it passing the write barrier, was 12 % of the rules' time in a benchmark
    // that starts from empty (as after a restart, or a reload that changed the rule), and the old array stayed on the
    // large-object heap until a full collection.
    private const int ChunkBits = 10;
    internal const int ChunkSize = 1 << ChunkBits;

    private Slot[] _slots = [];     // length a power of two, at least twice the entries
    // Per entry, dense: its key's spread hash (rebuilding the slots reads no key; 0: free) and the owner's stamp.
    private struct Meta
    {
        public int Hash;
        public int Stamp;
    }

    private Meta[] _meta = [];
    private Entry[][] _chunks = []; // entry i is _chunks[i / ChunkSize][i % ChunkSize]
    private int _capacity;          // entries the chunks hold
    private string?[]? _texts;      // per entry: a text key's text (made when the first text key comes)
    private int[] _free = [];       // freed entries, the last freed on top (reused first, as a dictionary does)
    private int _freeCount;
    private int _used;              // entries ever used (enumeration bound)
    private int _shift = 32;        // 32 − log2(slot count): the top bits of a spread hash pick the home slot

    /// <summary>A table whose new entries are first written in their first <paramref name="newEntryBytes"/> bytes (see <see cref="PrefetchEntry(int, int)"/>).</summary>
    public GroupTable(int newEntryBytes = int.MaxValue) => _newEntryBytes = newEntryBytes;

    public int Count => _used - _freeCount;

    /// <summary>Whether adding a key now would grow the table (no free entry, no room left).</summary>
    public bool Full => _freeCount == 0 && _used == _capacity;

    /// <summary>The bound for <see cref="IsUsed"/>, <see cref="KeyAt"/> and <see cref="ValueAt"/> (entries in dictionary order).</summary>
    public int End => _used;

    public bool IsUsed(int i) => _meta[i].Hash != 0;

    /// <summary>
    /// A number the owner keeps beside entry <paramref name="i"/>, read without touching the entry (a rule: a
    /// lower bound of when its group was last touched, so a sweep reads only the entries that may have expired).
    /// 0 for a new entry unless <see cref="GetOrAdd(GroupKeyValue, int, int, out bool)"/> was given one.
    /// </summary>
    public ref int StampAt(int i) => ref _meta[i].Stamp;

    public GroupKeyValue KeyAt(int i) => GroupKeyValue.Unpack(EntryAt(i).Key, _texts?[i]);

    private ref Entry EntryAt(int i) => ref _chunks[i >> ChunkBits][i & (ChunkSize - 1)];

    private bool KeyIs(int e, GroupKeyValue key)
    {
        ref var packed = ref EntryAt(e).Key;
        return key.Matches(packed, packed.Shape == 0 ? _texts?[e] : null);
    }

    public ref TValue ValueAt(int i) => ref EntryAt(i).Value;

    /// <summary>
    /// A key's hash as the table uses it, for the overloads that take it: a caller that looks a key up several times
    /// (fetching ahead, then adding) works it out once.
    /// </summary>
    // Spreads the key's hash over the slot index (the low bits of an address key are often all alike: /24 networks).
    // Never 0, which marks a free entry: the lowest bit, which picks no home slot, is set.
    public static int HashOf(GroupKeyValue key) => (int)((uint)key.GetHashCode() * 0x9E3779B1u) | 1;

    private int HomeOf(int hash) => (int)((uint)hash >> _shift);

    // The slot holding a key, or (negated, minus one) the empty slot where its probe ended.
    private int Probe(GroupKeyValue key, int hash)
    {
        var slots = _slots;
        var mask = slots.Length - 1;
        for (var i = HomeOf(hash); ; i = (i + 1) & mask)
        {
            ref var s = ref slots[i];
            if (s.Entry == 0) return -1 - i;
            if (s.Hash == hash && KeyIs(s.Entry - 1, key)) return i;
        }
    }

    /// <summary>Starts loading the home slot of a key into the cache (no effect without SSE).</summary>
    public void PrefetchSlot(GroupKeyValue key) => PrefetchSlot(HashOf(key));

    /// <inheritdoc cref="PrefetchSlot(GroupKeyValue)"/>
    public unsafe void PrefetchSlot(int hash)
    {
        if (_slots.Length == 0 || !Sse.IsSupported) return;
        fixed (Slot* s = &_slots[HomeOf(hash)]) Sse.Prefetch0(s);
    }

    /// <summary>
    /// Starts loading the entry of a key — its own if it has one, else the one a new key would take once
    /// <paramref name="newAhead"/> other new keys have taken theirs (none when negative: the key will not be added); its
    /// slot should be in the cache by now. Returns whether the key looked new, for the caller's count of new keys ahead.
    /// </summary>
    /// <remarks>
    /// Most keys of a rule over many keys are new to it, so a batch's next matches mostly add groups, each taking the
    /// entry on top of the free list (then the next unused one): the entry for a new key is the one left once the new
    /// keys before it have taken theirs.
    /// </remarks>
    public bool PrefetchEntry(GroupKeyValue key, int newAhead = 0) => PrefetchEntry(HashOf(key), newAhead);

    /// <inheritdoc cref="PrefetchEntry(GroupKeyValue, int)"/>
    public bool PrefetchEntry(int hash, int newAhead)
    {
        if (!Sse.IsSupported) return false;
        var entry = EntryFor(hash, newAhead, out var isNew);
        if (entry < 0) return isNew;
        if (!isNew) PrefetchAt(entry, Unsafe.SizeOf<Entry>());
        else
        {
            PrefetchAt(entry, _newEntryBytes);
            PrefetchHash(entry); // written as the key is added
        }
        return isNew;
    }

    /// <summary>
    /// The entry a key has, or (<paramref name="isNew"/>) the one it will take after <paramref name="newAhead"/>
    /// other new keys; -1 when there is none to name (an empty or full table, a negative count).
    /// </summary>
    internal int EntryFor(GroupKeyValue key, int newAhead, out bool isNew) => EntryFor(HashOf(key), newAhead, out isNew);

    // The first slot with the key's hash names its entry but for a rare collision: no key is compared, which would
    // wait for the very entry being fetched.
    private int EntryFor(int hash, int newAhead, out bool isNew)
    {
        isNew = false;
        if (_slots.Length == 0) return -1;
        var slots = _slots;
        var mask = slots.Length - 1;
        for (var i = HomeOf(hash); slots[i].Entry != 0; i = (i + 1) & mask)
            if (slots[i].Hash == hash) return slots[i].Entry - 1;
        isNew = true;
        if (newAhead < 0) return -1;
        var entry = newAhead < _freeCount ? _free[_freeCount - 1 - newAhead] : _used + newAhead - _freeCount;
        return entry < _capacity ? entry : -1;
    }

    private unsafe void PrefetchHash(int i)
    {
        fixed (Meta* m = &_meta[i]) Sse.Prefetch0(m);
    }

    // What a new group's first match writes (key, header, the state's counters and first inline slot) lies in the
    // first bytes of its entry (the owner knows how many). Over many keys most matches make a new group: fetching
    // only those lines for them, where a group held is fetched whole (its window is read from end to end), saved
    // ~10 % of the rules' time (the loads in flight at once are what bounds this loop).
    private readonly int _newEntryBytes;

    // A hint only: should the array move before the load, nothing is wrong, the lines are merely not used.
    private unsafe void PrefetchAt(int i, int bytes)
    {
        var e = (byte*)Unsafe.AsPointer(ref EntryAt(i));
        var size = Math.Min(Unsafe.SizeOf<Entry>(), bytes);
        for (var at = 0; at < size; at += 64) Sse.Prefetch0(e + at);
        Sse.Prefetch0(e + size - 1);
    }

    /// <summary>Starts loading the whole of entry <paramref name="i"/> (in use): a pass that will read and free it.</summary>
    public void PrefetchAt(int i)
    {
        if (Sse.IsSupported) PrefetchAt(i, Unsafe.SizeOf<Entry>());
    }

    /// <summary>The entry of a key, or a null reference (<see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>).</summary>
    public ref TValue Find(GroupKeyValue key) => ref Find(key, HashOf(key));

    /// <inheritdoc cref="Find(GroupKeyValue)"/>
    public ref TValue Find(GroupKeyValue key, int hash)
    {
        if (_slots.Length == 0) return ref Unsafe.NullRef<TValue>();
        var at = Probe(key, hash);
        if (at < 0) return ref Unsafe.NullRef<TValue>();
        return ref EntryAt(_slots[at].Entry - 1).Value;
    }

    /// <summary>The index of a key's entry (see <see cref="ValueAt"/>), or -1 when it has none.</summary>
    public int IndexOf(GroupKeyValue key)
    {
        if (_slots.Length == 0) return -1;
        var at = Probe(key, HashOf(key));
        return at < 0 ? -1 : _slots[at].Entry - 1;
    }

    /// <summary>The entry of a key, added (default) when absent. The reference is valid until the next add.</summary>
    public ref TValue GetOrAdd(GroupKeyValue key, out bool exists) => ref GetOrAdd(key, HashOf(key), 0, out exists);

    /// <summary>
    /// <inheritdoc cref="GetOrAdd(GroupKeyValue, out bool)"/> An entry added gets <paramref name="stamp"/> (see
    /// <see cref="StampAt"/>), written with its hash.
    /// </summary>
    public ref TValue GetOrAdd(GroupKeyValue key, int hash, int stamp, out bool exists)
    {
        var at = _slots.Length == 0 ? -1 : Probe(key, hash);
        exists = at >= 0;
        if (exists) return ref EntryAt(_slots[at].Entry - 1).Value;
        int e;
        if (_freeCount > 0) e = _free[--_freeCount];
        else
        {
            if (_used == _capacity)
            {
                Grow();
                at = Probe(key, hash);
            }
            e = _used++;
        }
        _slots[-1 - at] = new Slot { Hash = hash, Entry = e + 1 };
        _meta[e] = new Meta { Hash = hash, Stamp = stamp };
        // a free or never used entry is all zeros already (FreeAt clears it): only the key is written
        ref var entry = ref EntryAt(e);
        entry.Key = key.Pack();
        if (key.TextOrNull is { } text) (_texts ??= new string?[_capacity])[e] = text;
        return ref entry.Value;
    }

    public bool Remove(GroupKeyValue key)
    {
        if (_slots.Length == 0) return false;
        var at = Probe(key, HashOf(key));
        if (at < 0) return false;
        var e = _slots[at].Entry - 1;
        // backward-shift deletion: every later slot of the run that may sit earlier moves up, so probes still end at
        // the first empty slot and no tombstone is left
        var slots = _slots;
        var mask = slots.Length - 1;
        var hole = at;
        for (var j = (hole + 1) & mask; slots[j].Entry != 0; j = (j + 1) & mask)
        {
            var home = HomeOf(slots[j].Hash);
            // the slot may fill the hole when its home is not cyclically within (hole, j]
            if (((j - home) & mask) >= ((j - hole) & mask))
            {
                slots[hole] = slots[j];
                hole = j;
            }
        }
        slots[hole] = default;
        FreeAt(e);
        return true;
    }

    /// <summary>
    /// Frees entry <paramref name="i"/> (in use) but leaves its slot, as <see cref="Remove"/> would free it: a sweep
    /// frees many, then calls <see cref="Relink"/> once, before the next lookup.
    /// </summary>
    public void FreeAt(int i)
    {
        EntryAt(i) = default; // no references kept by a free entry, and a new key finds it zeroed
        if (_texts is not null) _texts[i] = null;
        _meta[i] = default;
        if (_freeCount == _free.Length) Array.Resize(ref _free, _capacity);
        _free[_freeCount++] = i;
    }

    /// <summary>
    /// Rebuilds the slots from the entries in use: one pass over the dense hashes with no key compared, where
    /// removing each of many keys would cost a lookup in cold memory apiece. Slot order is not observable.
    /// </summary>
    public void Relink()
    {
        Array.Clear(_slots);
        var slots = _slots;
        var mask = slots.Length - 1;
        for (var e = 0; e < _used; e++)
        {
            var hash = _meta[e].Hash;
            if (hash == 0) continue;
            var i = HomeOf(hash);
            while (slots[i].Entry != 0) i = (i + 1) & mask;
            slots[i] = new Slot { Hash = hash, Entry = e + 1 };
        }
    }

    public void Clear()
    {
        _slots = [];
        _meta = [];
        _chunks = [];
        _capacity = 0;
        _texts = null;
        _free = [];
        _used = _freeCount = 0;
        _shift = 32;
    }

    // Doubles the room for entries (in order, so enumeration order is kept): the first chunk doubles until full size,
    // then as many chunks are added as there are. Doubling, as a single array would, keeps a sweep's cost (the
    // whole table) spread over as many new groups as before. Rebuilds the slots, two per entry.
    private void Grow()
    {
        if (_capacity < ChunkSize)
        {
            var first = _chunks.Length == 0 ? [] : _chunks[0];
            Array.Resize(ref first, Math.Max(4, _capacity * 2));
            _chunks = [first];
            _capacity = first.Length;
        }
        else
        {
            var chunks = _chunks.Length;
            Array.Resize(ref _chunks, chunks * 2);
            for (var i = chunks; i < _chunks.Length; i++) _chunks[i] = new Entry[ChunkSize];
            _capacity *= 2;
        }
        if (_texts is not null) Array.Resize(ref _texts, _capacity);
        Array.Resize(ref _meta, _capacity);
        _slots = new Slot[2 * _capacity];
        _shift = 32 - System.Numerics.BitOperations.Log2((uint)_slots.Length);
        Relink();
    }
}
