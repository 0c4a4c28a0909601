using System.Buffers.Text;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gumshoe.Engine.Events;

/// <summary>
/// The fields a parser's fast path may set (at most 64), each a string or a value given as JSON, and the bytes that
/// go around the values of every combination of them that occurs.
/// </summary>
/// <remarks>
/// A combination's bytes are what <see cref="EventJson.WriteUtf8(System.Buffers.IBufferWriter{byte}, Event)"/> writes
/// around the values of an event with those fields (names, nesting, order), with the quotes of string values folded
/// in, so that writing an event is one copy per literal run and one per value. A parser meets a few combinations:
/// they are kept in a small array searched in order, replaced (never changed) when one is added, so threads share it.
/// </remarks>
public sealed class RawJsonLayout
{
    private readonly string[] _names;
    private readonly bool[] _strings;
    private volatile (ulong Mask, Plan Plan)[] _plans = [];
    private readonly Lock _adding = new();

    /// <summary>A layout of the given fields; a field's slot is its index here.</summary>
    public RawJsonLayout(params ReadOnlySpan<(string Name, bool IsString)> fields)
    {
        if (fields.Length > 64) throw new ArgumentException("at most 64 fields", nameof(fields));
        _names = new string[fields.Length];
        _strings = new bool[fields.Length];
        for (var i = 0; i < fields.Length; i++)
        {
            (_names[i], _strings[i]) = fields[i];
            if (string.IsNullOrEmpty(_names[i])) throw new ArgumentException($"slot {i} has no field name", nameof(fields));
        }
    }

    /// <summary>Number of fields (slots).</summary>
    public int Count => _names.Length;

    /// <summary>The field name of slot <paramref name="slot"/>.</summary>
    public string Name(int slot) => _names[slot];

    /// <summary>Whether slot <paramref name="slot"/> holds a string (quoted by the layout) rather than JSON.</summary>
    public bool IsString(int slot) => _strings[slot];

    /// <summary>The bytes around the values of the fields in <paramref name="mask"/> (bit i: slot i).</summary>
    internal Plan PlanFor(ulong mask)
    {
        foreach (ref readonly var p in _plans.AsSpan())
            if (p.Mask == mask) return p.Plan;
        lock (_adding)
        {
            foreach (ref readonly var p in _plans.AsSpan())
                if (p.Mask == mask) return p.Plan;
            var plan = Build(mask);
            _plans = [.. _plans, (mask, plan)];
            return plan;
        }
    }

    private Plan Build(ulong mask)
    {
        var slots = new List<int>();
        for (var i = 0; i < _names.Length; i++)
            if ((mask & (1UL << i)) != 0) slots.Add(i);
        var (literals, order) = EventJson.RawLayoutOf([.. slots.Select(s => _names[s])]);
        var ordered = Array.ConvertAll(order, i => slots[i]);
        // a string's quotes go into the runs on either side of it
        var bytes = new List<byte>();
        var ends = new int[ordered.Length];
        for (var i = 0; i < literals.Length; i++)
        {
            if (i > 0 && _strings[ordered[i - 1]]) bytes.Add((byte)'"');
            bytes.AddRange(literals[i]);
            if (i < ordered.Length)
            {
                if (_strings[ordered[i]]) bytes.Add((byte)'"');
                ends[i] = bytes.Count;
            }
        }
        var length = bytes.Count;
        bytes.AddRange(new byte[RawJsonEvent.Slack]); // read past by the chunked copies
        return new Plan([.. bytes], length, ends, ordered);
    }

    /// <summary>
    /// One combination: the runs of <see cref="Literals"/> that end at <see cref="Ends"/>, each followed by the value
    /// of the slot at the same index of <see cref="Slots"/>, and a last run after the last value, up to
    /// <see cref="Length"/> (the array goes on for <see cref="RawJsonEvent.Slack"/> bytes).
    /// </summary>
    internal sealed class Plan(byte[] literals, int length, int[] ends, int[] slots)
    {
        public readonly byte[] Literals = literals;
        public readonly int Length = length;
        public readonly int[] Ends = ends;
        public readonly int[] Slots = slots;
    }
}

/// <summary>
/// An event as the values of a <see cref="RawJsonLayout"/>'s fields, already encoded as JSON (UTF-8), for a parser's
/// fast path that writes events straight from a line's bytes without an <see cref="Event"/>; written by
/// <see cref="EventJson.WriteUtf8(System.Buffers.IBufferWriter{byte}, RawJsonEvent)"/>. One instance serves one line
/// at a time: <see cref="Clear"/> between lines keeps the buffers. A field is set at most once per event.
/// </summary>
/// <remarks>
/// A string that is a slice of the line given to <see cref="Clear"/> and needs no escaping is kept as a range of it
/// and copied once, into the output; other values are encoded into a buffer of their own.
/// </remarks>
public sealed class RawJsonEvent(RawJsonLayout layout)
{
    // value of slot i: _bytes[_starts[i]..][.._lengths[i]], or for _starts[i] < 0 the source's [~_starts[i]..][.._lengths[i]]
    private readonly int[] _starts = new int[layout.Count];
    private readonly int[] _lengths = new int[layout.Count];
    private byte[] _bytes = new byte[2048];
    private int _used;
    private ReadOnlyMemory<byte> _source;
    // the array behind the source, and where the source starts in it: whole chunks are copied from it when they fit
    private byte[] _sourceArray = [];
    private int _sourceStart;

    /// <summary>
    /// Bytes a chunked copy may read or write past a run or value: the room kept after the own values and the
    /// literal runs, and asked of the output.
    /// </summary>
    internal const int Slack = 64;

    /// <summary>The layout whose slots this event sets.</summary>
    public RawJsonLayout Layout => layout;

    /// <summary>
    /// The slots kept (bit i: slot i; all by default): a value for any other is dropped unlooked-at, for a caller that
    /// reads only some fields. <see cref="Clear"/> leaves it as it is.
    /// </summary>
    public ulong Kept { get; set; } = ulong.MaxValue;

    /// <summary>The slots set since <see cref="Clear"/> (bit i: slot i).</summary>
    public ulong Mask { get; private set; }

    /// <summary>Total bytes of the values as written (without a string's quotes).</summary>
    internal int ValueBytes { get; private set; }

    /// <summary>
    /// Set by a caller whose strings have no <c>"</c> or <c>\</c> (a line without either, for one): they are then
    /// taken without a search. <see cref="Clear"/> resets it.
    /// </summary>
    public bool NoEscapes { get; set; }

    /// <summary>Forgets the fields, keeping the room; <paramref name="source"/> is the line the next strings are slices of.</summary>
    public void Clear(ReadOnlyMemory<byte> source = default)
    {
        Mask = 0;
        ValueBytes = _used = 0;
        NoEscapes = false;
        _source = source;
        (_sourceArray, _sourceStart) = MemoryMarshal.TryGetArray(source, out var segment) ? (segment.Array!, segment.Offset) : ([], 0);
    }

    /// <summary>
    /// The value of a slot that is set, as written: a JSON slot's JSON, a string slot's text without its quotes (escaped,
    /// unless <see cref="NoEscapes"/>).
    /// </summary>
    public ReadOnlySpan<byte> Value(int slot)
    {
        Debug.Assert((Mask & (1UL << slot)) != 0, $"slot {slot} is not set");
        var start = _starts[slot];
        return start >= 0 ? _bytes.AsSpan(start, _lengths[slot]) : _source.Span.Slice(~start, _lengths[slot]);
    }

    /// <summary>
    /// Copies the value of <paramref name="slot"/> to <paramref name="destination"/> (<paramref name="at"/> is its
    /// start), which has <see cref="Slack"/> bytes of room past the value; returns the bytes of the value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int CopyValue(int slot, ref byte at, Span<byte> destination)
    {
        var start = _starts[slot];
        var length = _lengths[slot];
        if (start >= 0)
        {
            if (length <= Slack) CopyChunks(ref _bytes[start], ref at, length);
            else _bytes.AsSpan(start, length).CopyTo(destination);
        }
        else
        {
            var from = _sourceStart + ~start;
            if (length <= Slack && from + Slack <= _sourceArray.Length) CopyChunks(ref _sourceArray[from], ref at, length);
            else _source.Span.Slice(~start, length).CopyTo(destination);
        }
        return length;
    }

    /// <summary>
    /// Copies <paramref name="length"/> bytes (at most <see cref="Slack"/>) in whole 16-byte chunks: the short runs
    /// and values of an event cost a load and a store each rather than a call. Reads and writes up to 15 bytes past
    /// the end (at least one chunk): both sides must have <see cref="Slack"/> bytes of room.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CopyChunks(ref byte source, ref byte destination, int length)
    {
        Debug.Assert(length <= Slack);
        nuint i = 0;
        do
        {
            Vector128.LoadUnsafe(ref source, i).StoreUnsafe(ref destination, i);
            i += 16;
        } while ((int)i < length);
    }

    /// <summary>
    /// Sets a string slot from printable ASCII bytes (0x20–0x7E; the caller checks), with <c>"</c> and <c>\</c>
    /// escaped as the relaxed JSON encoder escapes them — the only printable ASCII characters it escapes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddString(int slot, ReadOnlySpan<byte> ascii)
    {
        Debug.Assert(layout.IsString(slot));
        Debug.Assert(ascii.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) < 0);
        if ((Kept & (1UL << slot)) == 0) return;
        if (NoEscapes && !ascii.IsEmpty && _source.Span.Overlaps(ascii, out var offset))
        {
            Set(slot, ~offset, ascii.Length);
            return;
        }
        var dest = Room(ascii.Length * 2);
        var pos = 0;
        while (!NoEscapes)
        {
            var special = ascii.IndexOfAny((byte)'"', (byte)'\\');
            if (special < 0) break;
            ascii[..special].CopyTo(dest[pos..]);
            pos += special;
            dest[pos++] = (byte)'\\';
            dest[pos++] = ascii[special];
            ascii = ascii[(special + 1)..];
        }
        ascii.CopyTo(dest[pos..]);
        SetOwn(slot, pos + ascii.Length);
    }

    /// <summary>Sets a JSON slot to a value given as JSON text.</summary>
    public void AddJson(int slot, ReadOnlySpan<byte> json)
    {
        Debug.Assert(!layout.IsString(slot));
        if ((Kept & (1UL << slot)) == 0) return;
        json.CopyTo(Room(json.Length));
        SetOwn(slot, json.Length);
    }

    /// <summary>Sets a JSON slot to an integer.</summary>
    public void AddLong(int slot, long value)
    {
        Debug.Assert(!layout.IsString(slot));
        if ((Kept & (1UL << slot)) == 0) return;
        Utf8Formatter.TryFormat(value, Room(20), out var written);
        SetOwn(slot, written);
    }

    // Room for a value of at most maxBytes in the own buffer; SetOwn records how many were used.
    private Span<byte> Room(int maxBytes)
    {
        if (_used + maxBytes + Slack > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_used + maxBytes + Slack, _bytes.Length * 2));
        return _bytes.AsSpan(_used, maxBytes);
    }

    private void SetOwn(int slot, int written)
    {
        Set(slot, _used, written);
        _used += written;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Set(int slot, int start, int length)
    {
        Debug.Assert((Mask & (1UL << slot)) == 0, $"slot {slot} set twice");
        _starts[slot] = start;
        _lengths[slot] = length;
        Mask |= 1UL << slot;
        ValueBytes += length;
    }
}
