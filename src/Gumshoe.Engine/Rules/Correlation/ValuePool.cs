using System.Numerics;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>
/// One long-lived instance per recently kept text value (a distinct count's values), shared by the rules of a set.
/// </summary>
/// <remarks>
/// A value taken from a fresh event is a young string. Kept in a group's entry — in a table long since old — it
/// marks that entry's card, which every collection then scans, and it is copied by each collection until it is old
/// itself: with many groups, most of what a collection does. The pooled instance of a value met before is old
/// already. A bounded two-way cache, not an intern table: a value not met lately is kept as given and becomes the
/// pooled one, so values that never repeat cost a look-up and nothing more. Single-threaded, as a rule set is.
/// </remarks>
public sealed class ValuePool
{
    private readonly string?[] _slots; // pairs: the most recently met value of a set first
    private readonly int[] _hashes;    // beside each slot, its value's hash: a value is compared only with one of its hash
    private readonly int _shift;       // 32 − log2(sets): the top bits of a spread hash pick the set

    /// <summary>A pool of <paramref name="capacity"/> values (a power of two, at least 2).</summary>
    public ValuePool(int capacity = 8192)
    {
        capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, capacity));
        _slots = new string?[capacity];
        _hashes = new int[capacity];
        _shift = 32 - BitOperations.Log2((uint)capacity / 2);
    }

    /// <summary>Starts loading the pooled value a value with this hash would be compared with (see <see cref="Canonical"/>).</summary>
    public void Prefetch(int hash)
    {
        var set = SetOf(hash);
        var at = _hashes[set] == hash ? set : _hashes[set + 1] == hash ? set + 1 : -1;
        if (at >= 0 && _slots[at] is { } pooled) CacheLines.Fetch(pooled);
    }

    private int SetOf(int hash) => _shift == 32 ? 0 : (int)(((uint)hash * 0x9E3779B1u) >> _shift) * 2;

    /// <summary>The pooled instance equal to <paramref name="value"/> (whose hash is <paramref name="hash"/>), or the value itself, pooled from now on.</summary>
    public string Canonical(string value, int hash)
    {
        var set = SetOf(hash);
        var (slots, hashes) = (_slots, _hashes);
        var first = slots[set];
        if (hashes[set] == hash && string.Equals(first, value, StringComparison.Ordinal)) return first!;
        var second = slots[set + 1];
        if (hashes[set + 1] == hash && string.Equals(second, value, StringComparison.Ordinal))
        {
            (slots[set], slots[set + 1]) = (second, first);
            (hashes[set], hashes[set + 1]) = (hash, hashes[set]);
            return second!;
        }
        (slots[set], slots[set + 1]) = (value, first);
        (hashes[set], hashes[set + 1]) = (hash, hashes[set]);
        return value;
    }
}
