using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>
/// A rule's groups: key → entry held by value, changed in place through references. Laid out as
/// <see cref="Dictionary{TKey,TValue}"/> is (a bucket array, entries chained by index, removed entries reused last
/// freed first) so groups enumerate in the same order as they did in a dictionary, with two differences. Each entry's
/// hash and chain link live apart from it, in a dense array, and freed entries on a stack of their own: looking up a
/// key that has no group (most events of a rule over many keys) and taking a freed entry for it touch no entry at all,
/// only those small arrays, which stay in the cache where the entries (a whole window's state each) cannot. And the
/// bucket, link and entry of a key can be fetched ahead (<see cref="PrefetchBucket"/>, <see cref="PrefetchEntry"/>),
/// so a rule set can start the cache misses of every rule an event visits before any of them needs its state.
/// </summary>
internal sealed class GroupTable<TValue> where TValue : struct
{
    private struct Link
    {
        public int Next;       // ≥ 0: next in the chain; -1: end; -2: free
        public int Hash;
    }

    private struct Entry
    {
        public GroupKeyValue Key;
        public TValue Value;
    }

    private const int Free = -2;

    private int[] _buckets = [];   // 1-based entry index, 0: empty; length a power of two
    private Link[] _links = [];    // per entry, beside it
    private Entry[] _entries = [];
    private int[] _free = [];      // freed entries, the last freed on top (reused first, as a dictionary does)
    private int _freeCount;
    private int _used;             // entries ever used (enumeration bound)
    private int _shift = 32;       // 32 − log2(bucket count): the top bits of a spread hash pick the bucket

    public int Count => _used - _freeCount;

    /// <summary>Whether adding a key now would grow the table (no free entry, no room left).</summary>
    public bool Full => _freeCount == 0 && _used == _entries.Length;

    /// <summary>The bound for <see cref="IsUsed"/>, <see cref="KeyAt"/> and <see cref="ValueAt"/> (entries in dictionary order).</summary>
    public int End => _used;

    public bool IsUsed(int i) => _links[i].Next != Free;

    public GroupKeyValue KeyAt(int i) => _entries[i].Key;

    public ref TValue ValueAt(int i) => ref _entries[i].Value;

    // Spreads the key's hash over the bucket index (the low bits of an address key are often all alike: /24 networks).
    private static int Spread(GroupKeyValue key) => (int)((uint)key.GetHashCode() * 0x9E3779B1u);

    private int BucketOf(int hash) => (int)((uint)hash >> _shift);

    /// <summary>
    /// Starts loading the bucket of a key into the cache, and the entry a new key would take (no effect without SSE).
    /// </summary>
    public unsafe void PrefetchBucket(GroupKeyValue key)
    {
        if (_buckets.Length == 0 || !Sse.IsSupported) return;
        fixed (int* b = &_buckets[BucketOf(Spread(key))]) Sse.Prefetch0(b);
        var next = _freeCount > 0 ? _free[_freeCount - 1] : _used < _entries.Length ? _used : -1;
        if (next >= 0) PrefetchAt(next);
    }

    /// <summary>Starts loading the link and entry at the head of a key's bucket (its bucket should be in the cache by now).</summary>
    public unsafe void PrefetchEntry(GroupKeyValue key)
    {
        if (_buckets.Length == 0 || !Sse.IsSupported) return;
        var i = _buckets[BucketOf(Spread(key))] - 1;
        if (i < 0) return;
        fixed (Link* l = &_links[i]) Sse.Prefetch0(l);
        PrefetchAt(i);
    }

    // A hint only: should the array move before the load, nothing is wrong, the lines are merely not used.
    private unsafe void PrefetchAt(int i)
    {
        var e = (byte*)Unsafe.AsPointer(ref _entries[i]);
        Sse.Prefetch0(e);
        Sse.Prefetch0(e + 64);
    }

    /// <summary>The entry of a key, or a null reference (<see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>).</summary>
    public ref TValue Find(GroupKeyValue key)
    {
        if (_buckets.Length == 0) return ref Unsafe.NullRef<TValue>();
        var hash = Spread(key);
        var links = _links;
        // only an entry whose hash is the key's is read: chains are walked in the dense links
        for (var i = _buckets[BucketOf(hash)] - 1; i >= 0; i = links[i].Next)
        {
            if (links[i].Hash != hash) continue;
            ref var e = ref _entries[i];
            if (e.Key.Equals(key)) return ref e.Value;
        }
        return ref Unsafe.NullRef<TValue>();
    }

    /// <summary>The entry of a key, added (default) when absent. The reference is valid until the next add.</summary>
    public ref TValue GetOrAdd(GroupKeyValue key, out bool exists)
    {
        ref var found = ref Find(key);
        exists = !Unsafe.IsNullRef(ref found);
        if (exists) return ref found;
        int at;
        if (_freeCount > 0) at = _free[--_freeCount];
        else
        {
            if (_used == _entries.Length) Grow();
            at = _used++;
        }
        var hash = Spread(key);
        ref var bucket = ref _buckets[BucketOf(hash)];
        ref var link = ref _links[at];
        link.Hash = hash;
        link.Next = bucket - 1;
        bucket = at + 1;
        // a free or never used entry is all zeros already (FreeAt clears it): only the key is written
        ref var entry = ref _entries[at];
        entry.Key = key;
        return ref entry.Value;
    }

    public bool Remove(GroupKeyValue key)
    {
        if (_buckets.Length == 0) return false;
        var hash = Spread(key);
        ref var bucket = ref _buckets[BucketOf(hash)];
        var last = -1;
        for (var i = bucket - 1; i >= 0; last = i, i = _links[i].Next)
        {
            if (_links[i].Hash != hash || !_entries[i].Key.Equals(key)) continue;
            if (last < 0) bucket = _links[i].Next + 1;
            else _links[last].Next = _links[i].Next;
            FreeAt(i);
            return true;
        }
        return false;
    }

    /// <summary>
    /// Frees entry <paramref name="i"/> (in use) without unlinking it from its chain, as <see cref="Remove"/> would
    /// free it: a sweep frees many, then calls <see cref="Relink"/> once, before the next lookup.
    /// </summary>
    public void FreeAt(int i)
    {
        _entries[i] = default; // no references kept by a free entry
        _links[i] = new Link { Next = Free };
        if (_freeCount == _free.Length) Array.Resize(ref _free, _entries.Length);
        _free[_freeCount++] = i;
    }

    /// <summary>
    /// Rebuilds every chain from the entries in use: one pass over the links with no key hashed or compared, where
    /// removing each of many keys would cost a lookup in cold memory apiece. Chain order is not observable.
    /// </summary>
    public void Relink()
    {
        Array.Clear(_buckets);
        var links = _links;
        for (var i = 0; i < _used; i++)
        {
            ref var l = ref links[i];
            if (l.Next == Free) continue;
            ref var bucket = ref _buckets[BucketOf(l.Hash)];
            l.Next = bucket - 1;
            bucket = i + 1;
        }
    }

    public void Clear()
    {
        _buckets = [];
        _links = [];
        _entries = [];
        _free = [];
        _used = _freeCount = 0;
        _shift = 32;
    }

    // Doubles the entries (in order, so enumeration order is kept) and rebuilds the buckets, one per entry.
    private void Grow()
    {
        var size = Math.Max(4, _entries.Length * 2);
        Array.Resize(ref _entries, size);
        Array.Resize(ref _links, size);
        _buckets = new int[size];
        _shift = 32 - System.Numerics.BitOperations.Log2((uint)size);
        Relink();
    }
}
