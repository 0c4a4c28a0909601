using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Gumshoe.Engine.Decisions;

/// <summary>
/// What a decision applies to and how its value is normalised: <c>ip</c> (an address; IPv6 grouped to its /64 by
/// default, since one host rotates through its /64), <c>range</c> (a CIDR), <c>user</c> (case-insensitive),
/// <c>mac</c> (a device) or <c>field</c> (any field's value, kept as is).
/// </summary>
public static partial class DecisionScope
{
    public const string Ip = "ip";
    public const string Range = "range";
    public const string User = "user";
    public const string Mac = "mac";
    public const string Field = "field";

    public static readonly string[] Names = [Ip, Range, User, Mac, Field];

    /// <summary>The field a scope reads its value from unless told otherwise.</summary>
    public static string? DefaultField(string scope) => scope switch
    {
        Ip or Range => "source.ip",
        User => "user.name",
        Mac => "source.mac",
        _ => null,
    };

    /// <summary>
    /// Normalises a value for a scope; <paramref name="ipv6Prefix"/> groups IPv6 addresses of scope <c>ip</c>
    /// (128 keeps them exact), <paramref name="rangePrefix4"/>/<paramref name="rangePrefix6"/> make ranges from
    /// single addresses. Returns the stored scope (an IPv6 <c>ip</c> grouped below /128 becomes a <c>range</c>).
    /// </summary>
    public static bool TryNormalize(string scope, string raw, out string normalizedScope, out string value, out string? error,
        int ipv6Prefix = 64, int rangePrefix4 = 24, int rangePrefix6 = 64)
    {
        normalizedScope = scope;
        value = raw.Trim();
        error = null;
        switch (scope)
        {
            case Ip:
                if (!IPAddress.TryParse(value, out var ip)) { error = $"'{raw}' is not an IP address"; return false; }
                if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
                if (ip.AddressFamily == AddressFamily.InterNetworkV6 && ipv6Prefix < 128)
                {
                    normalizedScope = Range;
                    value = new IPNetwork(Mask(ip, ipv6Prefix), ipv6Prefix).ToString();
                }
                else value = ip.ToString();
                return true;
            case Range:
                if (IPNetwork.TryParse(value, out var net))
                {
                    value = new IPNetwork(Mask(net.BaseAddress, net.PrefixLength), net.PrefixLength).ToString();
                    return true;
                }
                if (IPAddress.TryParse(value, out var single))
                {
                    if (single.IsIPv4MappedToIPv6) single = single.MapToIPv4();
                    var prefix = single.AddressFamily == AddressFamily.InterNetwork ? rangePrefix4 : rangePrefix6;
                    value = new IPNetwork(Mask(single, prefix), prefix).ToString();
                    return true;
                }
                error = $"'{raw}' is neither a CIDR range nor an IP address";
                return false;
            case User:
                if (value.Length == 0) { error = "empty user name"; return false; }
                value = value.ToLowerInvariant();
                return true;
            case Mac:
                var hex = MacSeparators().Replace(value, "");
                if (hex.Length != 12 || !hex.All(char.IsAsciiHexDigit)) { error = $"'{raw}' is not a MAC address"; return false; }
                hex = hex.ToLowerInvariant();
                value = string.Join(':', Enumerable.Range(0, 6).Select(i => hex.Substring(i * 2, 2)));
                return true;
            case Field:
                if (value.Length == 0) { error = "empty value"; return false; }
                return true;
            default:
                // a field name used as its own scope ("host.name"): any field's value
                if (value.Length == 0) { error = "empty value"; return false; }
                return true;
        }
    }

    /// <summary>Whether a decision's scope and value cover an address.</summary>
    public static bool Covers(string scope, string value, IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return scope switch
        {
            Ip => IPAddress.TryParse(value, out var ip) && ip.Equals(address),
            Range => IPNetwork.TryParse(value, out var net) && net.Contains(address),
            _ => false,
        };
    }

    private static IPAddress Mask(IPAddress ip, int prefix)
    {
        var bytes = ip.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var bits = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }
        return new IPAddress(bytes);
    }

    [GeneratedRegex("[:\\-. ]")]
    private static partial Regex MacSeparators();
}
