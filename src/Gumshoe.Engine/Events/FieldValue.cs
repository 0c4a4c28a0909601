using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Gumshoe.Engine.Events;

/// <summary>The type of a <see cref="FieldValue"/>.</summary>
public enum FieldKind : byte { Null, String, Long, Double, Bool, Ip, Timestamp, Array, Object }

/// <summary>A typed event field value: string, number, bool, IP address, timestamp, array or nested object.</summary>
public readonly struct FieldValue : IEquatable<FieldValue>
{
    // 16 bytes, so a value travels in two registers and an event's field slot is 24 bytes: a string, address, array
    // or object is _ref with its kind in _bits; a number, bool or time is _bits with a per-kind tag in _ref.
    private readonly object? _ref;
    private readonly long _bits;

    private sealed class Tag(FieldKind kind)
    {
        public readonly FieldKind Kind = kind;
    }

    private static readonly Tag LongTag = new(FieldKind.Long), DoubleTag = new(FieldKind.Double), BoolTag = new(FieldKind.Bool),
        TimestampTag = new(FieldKind.Timestamp), Ipv4Tag = new(FieldKind.Ip);

    /// <summary>The value's type.</summary>
    public FieldKind Kind => _ref is Tag t ? t.Kind : (FieldKind)_bits;

    /// <summary>
    /// The object the value holds (a string, an address, a list …, or for a number, bool or time its kind's tag),
    /// not looked at: for prefetching it, where even a type check would wait for the object.
    /// </summary>
    internal object? Reference => _ref;

    private FieldValue(object reference, FieldKind kind)
    {
        _ref = reference;
        _bits = (long)kind;
    }

    private FieldValue(Tag tag, long bits)
    {
        _ref = tag;
        _bits = bits;
    }

    /// <summary>The absent value.</summary>
    public static readonly FieldValue Null = default;

    public static FieldValue String(string value) => new(value, FieldKind.String);
    public static FieldValue Long(long value) => new(LongTag, value);
    public static FieldValue Double(double value) => new(DoubleTag, BitConverter.DoubleToInt64Bits(value));
    public static FieldValue Bool(bool value) => new(BoolTag, value ? 1 : 0);
    public static FieldValue Ip(IPAddress value) => new(value, FieldKind.Ip);

    /// <summary>
    /// An IPv4 address held in the value itself, with no object (a parser's fast path); the bytes of
    /// <paramref name="networkOrder"/> in memory are the address's, as <see cref="IPAddress(long)"/> takes it. It is
    /// equal to the same address made with <see cref="Ip"/>.
    /// </summary>
    public static FieldValue Ipv4(uint networkOrder) => new(Ipv4Tag, networkOrder);
    public static FieldValue Timestamp(DateTimeOffset value) => new(TimestampTag, value.UtcTicks);
    public static FieldValue Array(IReadOnlyList<FieldValue> items) => new(items, FieldKind.Array);
    public static FieldValue Object(IReadOnlyDictionary<string, FieldValue> members) => new(members, FieldKind.Object);

    public static implicit operator FieldValue(string value) => String(value);
    public static implicit operator FieldValue(long value) => Long(value);

    public bool IsNull => Kind == FieldKind.Null;
    public string AsString() => _ref as string ?? ToString();
    public long AsLong() => Kind switch
    {
        FieldKind.Long or FieldKind.Bool => _bits,
        FieldKind.Double => (long)BitConverter.Int64BitsToDouble(_bits),
        FieldKind.String when long.TryParse((string)_ref!, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
        _ => 0,
    };
    public double AsDouble() => Kind switch
    {
        FieldKind.Double => BitConverter.Int64BitsToDouble(_bits),
        FieldKind.Long => _bits,
        FieldKind.String when double.TryParse((string)_ref!, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => double.NaN,
    };
    public bool AsBool() => Kind == FieldKind.Bool ? _bits != 0 : Kind == FieldKind.String && bool.TryParse((string)_ref!, out var b) && b;
    public IPAddress? AsIp() => Kind switch
    {
        FieldKind.Ip => _ref as IPAddress ?? new IPAddress((uint)_bits),
        FieldKind.String when IPAddress.TryParse((string)_ref!, out var ip) => ip,
        _ => null,
    };

    /// <summary>
    /// An IPv4 address value as a number (most significant byte first: 10.0.0.1 is 0x0A000001), without making an
    /// <see cref="IPAddress"/>; false for any other value (a string is not parsed).
    /// </summary>
    public bool TryGetIpv4(out uint address)
    {
        if (ReferenceEquals(_ref, Ipv4Tag))
        {
            address = BinaryPrimitives.ReverseEndianness((uint)_bits);
            return true;
        }
        address = 0;
        if (_ref is not IPAddress { AddressFamily: AddressFamily.InterNetwork } ip || Kind != FieldKind.Ip) return false;
        Span<byte> bytes = stackalloc byte[4];
        ip.TryWriteBytes(bytes, out _);
        address = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        return true;
    }

    public DateTimeOffset AsTimestamp() => Kind == FieldKind.Timestamp ? new DateTimeOffset(_bits, TimeSpan.Zero) : default;
    public IReadOnlyList<FieldValue> AsArray() => _ref as IReadOnlyList<FieldValue> ?? [];
    public IReadOnlyDictionary<string, FieldValue>? AsObject() => _ref as IReadOnlyDictionary<string, FieldValue>;

    /// <summary>Whether the value is a number (long or double).</summary>
    public bool IsNumber => Kind is FieldKind.Long or FieldKind.Double;

    public override string ToString() => Kind switch
    {
        FieldKind.Null => "",
        FieldKind.String => (string)_ref!,
        FieldKind.Long => _bits.ToString(CultureInfo.InvariantCulture),
        FieldKind.Double => BitConverter.Int64BitsToDouble(_bits).ToString("R", CultureInfo.InvariantCulture),
        FieldKind.Bool => _bits != 0 ? "true" : "false",
        FieldKind.Ip => AsIp()!.ToString(),
        FieldKind.Timestamp => EventTime.Format(AsTimestamp()),
        FieldKind.Array => "[" + string.Join(",", AsArray()) + "]",
        FieldKind.Object => "{" + string.Join(",", AsObject()!.Select(kv => kv.Key + ":" + kv.Value)) + "}",
        _ => "",
    };

    public bool Equals(FieldValue other)
    {
        if (Kind != other.Kind) return Kind != FieldKind.Array && other.Kind != FieldKind.Array && ToString() == other.ToString();
        return Kind switch
        {
            FieldKind.String => string.Equals((string)_ref!, (string)other._ref!, StringComparison.Ordinal),
            FieldKind.Ip => TryGetIpv4(out var a) ? other.TryGetIpv4(out var b) && a == b : AsIp()!.Equals(other.AsIp()),
            FieldKind.Array => AsArray().SequenceEqual(other.AsArray()),
            FieldKind.Object => ReferenceEquals(_ref, other._ref) || ToString() == other.ToString(),
            _ => _bits == other._bits,
        };
    }

    public override bool Equals(object? obj) => obj is FieldValue v && Equals(v);
    public override int GetHashCode() => Kind switch
    {
        FieldKind.String => _ref!.GetHashCode(),
        FieldKind.Ip => TryGetIpv4(out var a) ? a.GetHashCode() : _ref!.GetHashCode(),
        FieldKind.Array or FieldKind.Object => ToString().GetHashCode(),
        _ => _bits.GetHashCode(),
    };
    public static bool operator ==(FieldValue a, FieldValue b) => a.Equals(b);
    public static bool operator !=(FieldValue a, FieldValue b) => !a.Equals(b);
}
