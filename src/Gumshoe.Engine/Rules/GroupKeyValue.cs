using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Gumshoe.Engine.Rules;

/// <summary>
/// One group's key as a small struct (24 bytes, no allocation per event): an IPv4 address, or an IPv4/IPv6 network
/// of a <c>field/prefix</c> key, held as numbers; any other key is its text with the text's hash worked out once.
/// Two values are equal exactly when their texts (<see cref="ToString"/>, the form alerts and snapshots show) are.
/// </summary>
public readonly struct GroupKeyValue : IEquatable<GroupKeyValue>
{
    private readonly long _a, _b;   // the address bits (IPv6: high, low), or the text's hash
    private readonly object? _ref;  // a string for a text key; the Shape of an address or network key

    // What a numeric key is: address family and prefix; one instance per shape, so shapes compare by reference, and a
    // number per shape (0 stands for text) for the packed form.
    private sealed class Shape(bool v6, int prefix, bool network, int id)
    {
        public readonly bool V6 = v6;
        public readonly int Prefix = prefix;
        public readonly bool Network = network;
        public readonly int Id = id;
    }

    private static readonly Shape V4Address = new(false, 32, false, 1);
    private static readonly Shape[] V4Networks = [.. Enumerable.Range(0, 33).Select(p => new Shape(false, p, true, 2 + p))];
    private static readonly Shape[] V6Networks = [.. Enumerable.Range(0, 129).Select(p => new Shape(true, p, true, 35 + p))];
    private static readonly Shape?[] ById = [null, V4Address, .. V4Networks, .. V6Networks];

    /// <summary>
    /// A key without references, for a table's entries (<see cref="Correlation.GroupTable{TValue}"/>): its numbers and
    /// its shape's number, 0 for a text key, whose text the table keeps beside. An entry holding no reference costs
    /// the collector nothing to scan and marks no card when written.
    /// </summary>
    internal readonly record struct Packed(long A, long B, int Shape);

    /// <summary>The key's packed form (its text, if any, is <see cref="TextOrNull"/>).</summary>
    internal Packed Pack() => new(_a, _b, _ref is Shape s ? s.Id : 0);

    /// <summary>A text key's text; null for an address or network key.</summary>
    internal string? TextOrNull => _ref as string;

    /// <summary>The key a packed form and (for a text key) its text stand for.</summary>
    internal static GroupKeyValue Unpack(in Packed p, string? text) => new(p.A, p.B, p.Shape == 0 ? text! : ById[p.Shape]!);

    /// <summary>Whether this key is the one a packed form and (for a text key) its text stand for: <see cref="Equals(GroupKeyValue)"/> on the unpacked key.</summary>
    internal bool Matches(in Packed p, string? text) =>
        _a == p.A && _b == p.B && (_ref is Shape s ? s.Id == p.Shape : p.Shape == 0 && string.Equals((string?)_ref, text, StringComparison.Ordinal));

    private GroupKeyValue(long a, long b, object reference)
    {
        _a = a;
        _b = b;
        _ref = reference;
    }

    /// <summary>A key held as its text.</summary>
    public static GroupKeyValue Text(string text) => new(text.GetHashCode(), 0, text);

    /// <summary>An IPv4 address (its text is the dotted quad).</summary>
    public static GroupKeyValue Ipv4(uint address) => new(address, 0, V4Address);

    /// <summary>The network of <paramref name="ip"/> with <paramref name="prefix"/> bits (its text is <c>10.1.2.0/24</c>).</summary>
    public static GroupKeyValue Network(IPAddress ip, int prefix)
    {
        Span<byte> bytes = stackalloc byte[16];
        ip.TryWriteBytes(bytes, out var length);
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            prefix = Math.Clamp(prefix, 0, 32);
            var v4 = BinaryPrimitives.ReadUInt32BigEndian(bytes[..length]);
            var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
            return new(v4 & mask, 0, V4Networks[prefix]);
        }
        prefix = Math.Clamp(prefix, 0, 128);
        var v6 = BinaryPrimitives.ReadUInt128BigEndian(bytes[..16]);
        var mask6 = prefix == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - prefix);
        var masked = v6 & mask6;
        return new((long)(ulong)(masked >> 64), (long)(ulong)masked, V6Networks[prefix]);
    }

    /// <summary>
    /// Reads a dotted quad in the exact form <see cref="IPAddress.ToString"/> writes (no leading zeros, no spaces),
    /// so that a string field and an address field with the same text give the same key.
    /// </summary>
    public static bool TryCanonicalIpv4(ReadOnlySpan<char> s, out uint address)
    {
        address = 0;
        if (s.Length is < 7 or > 15) return false;
        var parts = 0;
        var i = 0;
        while (true)
        {
            var start = i;
            var n = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i]) && i - start < 3) n = n * 10 + (s[i++] - '0');
            var digits = i - start;
            if (digits == 0 || n > 255 || (digits > 1 && s[start] == '0')) return false;
            address = address << 8 | (uint)n;
            if (++parts == 4) return i == s.Length;
            if (i >= s.Length || s[i] != '.') return false;
            i++;
        }
    }

    /// <summary>
    /// Reads network text in the exact form a network key writes (<c>10.1.2.0/24</c>, <c>2001:db8::/64</c>); any other
    /// text is not a network key.
    /// </summary>
    public static bool TryCanonicalNetwork(string text, out GroupKeyValue key)
    {
        key = default;
        var slash = text.IndexOf('/');
        if (slash <= 0 || !IPAddress.TryParse(text.AsSpan(0, slash), out var ip)
            || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)
            || prefix > (ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)) return false;
        var candidate = Network(ip, prefix);
        if (candidate.ToString() != text) return false;
        key = candidate;
        return true;
    }

    /// <summary>Whether the key is held as text (not as an address or network).</summary>
    public bool IsText => _ref is string;

    public bool Equals(GroupKeyValue other) =>
        _a == other._a && _b == other._b
        && (ReferenceEquals(_ref, other._ref) || (_ref is string s && other._ref is string t && string.Equals(s, t, StringComparison.Ordinal)));

    public override bool Equals(object? obj) => obj is GroupKeyValue v && Equals(v);

    public override int GetHashCode() => unchecked((int)_a ^ (int)(_a >> 32) * 31 ^ (int)_b ^ (int)(_b >> 32) * 17);

    public static bool operator ==(GroupKeyValue x, GroupKeyValue y) => x.Equals(y);
    public static bool operator !=(GroupKeyValue x, GroupKeyValue y) => !x.Equals(y);

    /// <summary>The key's text: what a string key would have been (alerts, snapshots, <c>explain</c>).</summary>
    public override string ToString()
    {
        switch (_ref)
        {
            case string s: return s;
            case Shape { V6: false, Network: false }:
                return FormatV4((uint)_a);
            case Shape { V6: false } v4:
                return FormatV4((uint)_a) + "/" + v4.Prefix.ToString(CultureInfo.InvariantCulture);
            case Shape v6:
            {
                Span<byte> bytes = stackalloc byte[16];
                BinaryPrimitives.WriteUInt128BigEndian(bytes, new UInt128((ulong)_a, (ulong)_b));
                return new IPNetwork(new IPAddress(bytes), v6.Prefix).ToString();
            }
            default: return "";
        }
    }

    private static string FormatV4(uint a) => string.Create(CultureInfo.InvariantCulture, $"{a >> 24}.{a >> 16 & 255}.{a >> 8 & 255}.{a & 255}");
}
