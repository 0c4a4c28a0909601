using System.Buffers.Text;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Gumshoe.Engine.Events;

/// <summary>
/// An event as dotted field names with values already encoded as JSON (UTF-8), for a parser's fast path that writes
/// events straight from a line's bytes without an <see cref="Event"/>; written by
/// <see cref="EventJson.WriteUtf8(System.Buffers.IBufferWriter{byte}, RawJsonEvent)"/>. One instance serves one line
/// at a time: <see cref="Clear"/> between lines keeps the buffers. A name is added at most once per event (an
/// <see cref="Event"/> would keep the last value; this writes what it is given).
/// </summary>
/// <remarks>
/// A string that is a slice of the line given to <see cref="Clear"/> and needs no escaping is kept as a range of it
/// and copied once, into the output; other values are encoded into a buffer of their own.
/// </remarks>
public sealed class RawJsonEvent
{
    private string[] _names = new string[32];
    // value i: _bytes[_starts[i]..][.._lengths[i]], or for _starts[i] < 0 the source's [~_starts[i]..][.._lengths[i]] in quotes
    private int[] _starts = new int[32];
    private int[] _lengths = new int[32];
    private byte[] _bytes = new byte[2048];
    private int _used;
    private ReadOnlyMemory<byte> _source;

    /// <summary>Number of fields added since <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    /// <summary>The field names added, in order (the first <see cref="Count"/>).</summary>
    internal string[] Names => _names;

    /// <summary>Total bytes of the values as JSON.</summary>
    internal int ValueBytes { get; private set; }

    /// <summary>A hash of the names in order (by reference: names are mostly the same constant strings).</summary>
    internal int ShapeHash { get; private set; }

    /// <summary>
    /// Set by a caller whose strings have no <c>"</c> or <c>\</c> (a line without either, for one): they are then
    /// taken without a search. <see cref="Clear"/> resets it.
    /// </summary>
    public bool NoEscapes { get; set; }

    /// <summary>Forgets the fields, keeping the room; <paramref name="source"/> is the line the next strings are slices of.</summary>
    public void Clear(ReadOnlyMemory<byte> source = default)
    {
        Count = ShapeHash = ValueBytes = _used = 0;
        NoEscapes = false;
        _source = source;
    }

    /// <summary>Copies the JSON of field <paramref name="i"/> to <paramref name="destination"/>; returns the bytes written.</summary>
    internal int CopyValue(int i, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var start = _starts[i];
        var length = _lengths[i];
        if (start >= 0)
        {
            _bytes.AsSpan(start, length).CopyTo(destination);
            return length;
        }
        destination[0] = (byte)'"';
        source.Slice(~start, length).CopyTo(destination[1..]);
        destination[length + 1] = (byte)'"';
        return length + 2;
    }

    /// <summary>The line the strings are slices of.</summary>
    internal ReadOnlySpan<byte> Source => _source.Span;

    /// <summary>
    /// Adds a string field from printable ASCII bytes (0x20–0x7E; the caller checks): quoted, with <c>"</c> and
    /// <c>\</c> escaped as the relaxed JSON encoder escapes them — the only printable ASCII characters it escapes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddString(string name, ReadOnlySpan<byte> ascii)
    {
        Debug.Assert(ascii.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) < 0);
        if (NoEscapes && !ascii.IsEmpty && _source.Span.Overlaps(ascii, out var offset))
        {
            Add(name, ~offset, ascii.Length, ascii.Length + 2);
            return;
        }
        var dest = Room(ascii.Length * 2 + 2);
        var pos = 1;
        dest[0] = (byte)'"';
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
        pos += ascii.Length;
        dest[pos++] = (byte)'"';
        AddOwn(name, pos);
    }

    /// <summary>Adds a field whose value is given as JSON text.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddJson(string name, ReadOnlySpan<byte> json)
    {
        json.CopyTo(Room(json.Length));
        AddOwn(name, json.Length);
    }

    /// <summary>Adds an integer field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddLong(string name, long value)
    {
        Utf8Formatter.TryFormat(value, Room(20), out var written);
        AddOwn(name, written);
    }

    // Room for a value of at most maxBytes in the own buffer; AddOwn records how many were used.
    private Span<byte> Room(int maxBytes)
    {
        if (_used + maxBytes > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_used + maxBytes, _bytes.Length * 2));
        return _bytes.AsSpan(_used, maxBytes);
    }

    private void AddOwn(string name, int written)
    {
        Add(name, _used, written, written);
        _used += written;
    }

    private void Add(string name, int start, int length, int jsonBytes)
    {
        var i = Count;
        Debug.Assert(Array.IndexOf(_names, name, 0, i) < 0, $"{name} added twice");
        if (i == _names.Length)
        {
            Array.Resize(ref _names, i * 2);
            Array.Resize(ref _starts, i * 2);
            Array.Resize(ref _lengths, i * 2);
        }
        _names[i] = name;
        _starts[i] = start;
        _lengths[i] = length;
        ShapeHash = ShapeHash * 31 + RuntimeHelpers.GetHashCode(name);
        ValueBytes += jsonBytes;
        Count = i + 1;
    }
}
