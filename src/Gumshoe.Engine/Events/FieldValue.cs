using System.Globalization;
using System.Net;

namespace Gumshoe.Engine.Events;

/// <summary>The type of a <see cref="FieldValue"/>.</summary>
public enum FieldKind : byte { Null, String, Long, Double, Bool, Ip, Timestamp, Array, Object }

/// <summary>A typed event field value: string, number, bool, IP address, timestamp, array or nested object.</summary>
public readonly struct FieldValue : IEquatable<FieldValue>
{
    private readonly object? _ref;
    private readonly long _bits;

    /// <summary>The value's type.</summary>
    public FieldKind Kind { get; }

    private FieldValue(FieldKind kind, object? reference, long bits)
    {
        Kind = kind;
        _ref = reference;
        _bits = bits;
    }

    /// <summary>The absent value.</summary>
    public static readonly FieldValue Null = default;

    public static FieldValue String(string value) => new(FieldKind.String, value, 0);
    public static FieldValue Long(long value) => new(FieldKind.Long, null, value);
    public static FieldValue Double(double value) => new(FieldKind.Double, null, BitConverter.DoubleToInt64Bits(value));
    public static FieldValue Bool(bool value) => new(FieldKind.Bool, null, value ? 1 : 0);
    public static FieldValue Ip(IPAddress value) => new(FieldKind.Ip, value, 0);
    public static FieldValue Timestamp(DateTimeOffset value) => new(FieldKind.Timestamp, null, value.UtcTicks);
    public static FieldValue Array(IReadOnlyList<FieldValue> items) => new(FieldKind.Array, items, 0);
    public static FieldValue Object(IReadOnlyDictionary<string, FieldValue> members) => new(FieldKind.Object, members, 0);

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
        FieldKind.Ip => (IPAddress)_ref!,
        FieldKind.String when IPAddress.TryParse((string)_ref!, out var ip) => ip,
        _ => null,
    };
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
        FieldKind.Ip => ((IPAddress)_ref!).ToString(),
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
            FieldKind.Ip => _ref!.Equals(other._ref),
            FieldKind.Array => AsArray().SequenceEqual(other.AsArray()),
            FieldKind.Object => ReferenceEquals(_ref, other._ref) || ToString() == other.ToString(),
            _ => _bits == other._bits,
        };
    }

    public override bool Equals(object? obj) => obj is FieldValue v && Equals(v);
    public override int GetHashCode() => Kind switch
    {
        FieldKind.String or FieldKind.Ip => _ref!.GetHashCode(),
        FieldKind.Array or FieldKind.Object => ToString().GetHashCode(),
        _ => _bits.GetHashCode(),
    };
    public static bool operator ==(FieldValue a, FieldValue b) => a.Equals(b);
    public static bool operator !=(FieldValue a, FieldValue b) => !a.Equals(b);
}
