using System.Globalization;
using System.Net;
using Gumshoe.Engine.Config;

namespace Gumshoe.Engine.Inputs;

/// <summary>
/// Parses the <c>listen</c> option of network inputs: <c>127.0.0.1:5514</c>, <c>[::1]:5514</c>,
/// <c>0.0.0.0:514</c>, <c>[::]:514</c>, <c>localhost:8080</c> or <c>*:514</c> (every IPv4 address).
/// </summary>
public static class ListenAddress
{
    /// <summary>Parses an address with its port; false when either is missing or malformed.</summary>
    public static bool TryParse(string text, out IPEndPoint endpoint)
    {
        endpoint = null!;
        text = text.Trim();
        var colon = text.LastIndexOf(':');
        if (colon < 0 || colon == text.Length - 1) return false;
        var host = text[..colon];
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
            return false;
        IPAddress? address;
        if (host is "" or "*" or "+") address = IPAddress.Any;
        else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) address = IPAddress.Loopback;
        else if (host.StartsWith('[') && host.EndsWith(']')) address = IPAddress.TryParse(host.AsSpan(1, host.Length - 2), out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? v6 : null;
        else address = IPAddress.TryParse(host, out var v4) && v4.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? v4 : null;
        if (address is null) return false;
        endpoint = new IPEndPoint(address, port);
        return true;
    }

    /// <summary>Reads a <c>listen</c> value; port 0 (any free port) only when <paramref name="allowAnyPort"/>.</summary>
    public static IPEndPoint Parse(ConfigNode node, bool allowAnyPort = true)
    {
        var text = node.AsString();
        if (!TryParse(text, out var endpoint))
            throw node.Error($"expected an address and port such as 127.0.0.1:5514 or [::1]:5514, got '{text}'");
        if (endpoint.Port == 0 && !allowAnyPort) throw node.Error("the port must be between 1 and 65535");
        return endpoint;
    }
}
