using System.Buffers.Text;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Gumshoe.Engine.Events;

/// <summary>
/// An event as dotted field names with values already encoded as JSON (UTF-8), for a parser's fast path that writes
/// events straight from a line's bytes without an <see cref="Event"/>; written by
/// <see cref="EventJson.WriteUtf8(System.Buffers.IBufferWriter{byte}, RawJsonEvent)"/>. One instance serves one line
/// at a time: <see cref="Clear"/> between lines keeps the buffers.
/// </summary>
public sealed class RawJsonEvent
{
    private string[] _names = new string[32];
    private int[] _ends = new int[32]; // value i is _bytes[_ends[i - 1].._ends[i]]
    private byte[] _bytes = new byte[2048];

    /// <summary>Number of fields added since <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    /// <summary>The field names added, in order (the first <see cref="Count"/>).</summary>
    internal string[] Names => _names;

    /// <summary>Total bytes of the values.</summary>
    internal int ValueBytes => Count == 0 ? 0 : _ends[Count - 1];

    /// <summary>The JSON text of field <paramref name="i"/>.</summary>
    internal ReadOnlySpan<byte> Value(int i)
    {
        var start = i == 0 ? 0 : _ends[i - 1];
        return _bytes.AsSpan(start, _ends[i] - start);
    }

    /// <summary>A hash of the names in order (by reference: names are mostly the same constant strings).</summary>
    internal int ShapeHash { get; private set; }

    /// <summary>
    /// Set by a caller whose strings have no <c>"</c> or <c>\</c> (a line without either, for one): they are then
    /// copied without a search. <see cref="Clear"/> resets it.
    /// </summary>
    public bool NoEscapes { get; set; }

    /// <summary>Forgets the fields, keeping the room.</summary>
    public void Clear()
    {
        Count = ShapeHash = 0;
        NoEscapes = false;
    }

    /// <summary>
    /// Adds a string field from printable ASCII bytes (0x20–0x7E; the caller checks): quoted, with <c>"</c> and
    /// <c>\</c> escaped as the relaxed JSON encoder escapes them — the only printable ASCII characters it escapes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddString(string name, ReadOnlySpan<byte> ascii)
    {
        Debug.Assert(ascii.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) < 0);
        var dest = Begin(name, ascii.Length * 2 + 2);
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
        End(pos);
    }

    /// <summary>Adds a field whose value is given as JSON text.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddJson(string name, ReadOnlySpan<byte> json)
    {
        json.CopyTo(Begin(name, json.Length));
        End(json.Length);
    }

    /// <summary>Adds an integer field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddLong(string name, long value)
    {
        Utf8Formatter.TryFormat(value, Begin(name, 20), out var written);
        End(written);
    }

    // Room for a value of at most maxBytes after the last one; End records how many were used.
    private Span<byte> Begin(string name, int maxBytes)
    {
        if (Count == _names.Length)
        {
            Array.Resize(ref _names, Count * 2);
            Array.Resize(ref _ends, Count * 2);
        }
        _names[Count] = name;
        ShapeHash = ShapeHash * 31 + RuntimeHelpers.GetHashCode(name);
        var start = ValueBytes;
        if (start + maxBytes > _bytes.Length) Array.Resize(ref _bytes, Math.Max(start + maxBytes, _bytes.Length * 2));
        return _bytes.AsSpan(start, maxBytes);
    }

    private void End(int written)
    {
        _ends[Count] = ValueBytes + written;
        Count++;
    }
}
