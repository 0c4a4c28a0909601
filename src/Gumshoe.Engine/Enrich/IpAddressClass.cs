using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Gumshoe.Engine.Enrich;

/// <summary>
/// Classifies an address by the special-purpose registries (RFC 6890, IANA IPv4/IPv6 special-purpose address
/// registries) so enrichers can skip geolocating addresses that have no place on a map.
/// </summary>
public static class IpAddressClass
{
    public const string Public = "public";
    public const string Private = "private";            // 10/8, 172.16/12, 192.168/16, fc00::/7
    public const string Loopback = "loopback";          // 127/8, ::1
    public const string LinkLocal = "link_local";       // 169.254/16, fe80::/10
    public const string Shared = "shared";              // 100.64/10 carrier-grade NAT
    public const string Documentation = "documentation";// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20
    public const string Multicast = "multicast";        // 224/4, ff00::/8
    public const string Unspecified = "unspecified";    // 0.0.0.0, ::
    public const string Reserved = "reserved";          // 0/8, 192.0.0/24, 198.18/15, 240/4, broadcast, 100::/64 …

    /// <summary>The class of an address; IPv4-mapped IPv6 addresses are classified as their IPv4 address.</summary>
    public static string Of(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return address.AddressFamily == AddressFamily.InterNetwork ? OfV4(address) : OfV6(address);
    }

    private static string OfV4(IPAddress address)
    {
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        var v = BinaryPrimitives.ReadUInt32BigEndian(b);
        if (v == 0) return Unspecified;
        if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168)) return Private;
        if (b[0] == 127) return Loopback;
        if (b[0] == 169 && b[1] == 254) return LinkLocal;
        if (b[0] == 100 && (b[1] & 0xC0) == 64) return Shared;
        if ((b[0] == 192 && b[1] == 0 && b[2] == 2) || (b[0] == 198 && b[1] == 51 && b[2] == 100) || (b[0] == 203 && b[1] == 0 && b[2] == 113))
            return Documentation;
        if ((b[0] & 0xF0) == 224) return Multicast;
        if (b[0] == 0 || (b[0] & 0xF0) == 240 || (b[0] == 192 && b[1] == 0 && b[2] == 0) || (b[0] == 198 && (b[1] & 0xFE) == 18))
            return Reserved;
        return Public;
    }

    private static string OfV6(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        var hi = BinaryPrimitives.ReadUInt64BigEndian(b);
        var lo = BinaryPrimitives.ReadUInt64BigEndian(b[8..]);
        if (hi == 0 && lo == 0) return Unspecified;
        if (hi == 0 && lo == 1) return Loopback;
        if ((b[0] & 0xFE) == 0xFC) return Private;
        if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return LinkLocal;
        if (b[0] == 0xFF) return Multicast;
        if ((hi >> 32) == 0x20010DB8 || (hi >> 44) == 0x3FFF0) return Documentation;
        // IPv4-compatible (::a.b.c.d, deprecated) and the rest of ::/8, discard-only 100::/64, fec0::/10 site-local
        if ((b[0] == 0 && (hi >> 32) != 0x0064FF9B) || hi == 0x0100_0000_0000_0000 || (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0)) return Reserved;
        return Public;
    }
}
