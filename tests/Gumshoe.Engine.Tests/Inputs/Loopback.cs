using System.Net;
using System.Net.Sockets;

namespace Gumshoe.Engine.Tests.Inputs;

/// <summary>Free ports on 127.0.0.1 for listeners under test.</summary>
internal static class Loopback
{
    /// <summary>A port free for TCP (and, checked, for UDP) right now.</summary>
    public static int FreePort()
    {
        for (var attempt = 0; ; attempt++)
        {
            var tcp = new TcpListener(IPAddress.Loopback, 0);
            tcp.Start();
            var port = ((IPEndPoint)tcp.LocalEndpoint).Port;
            tcp.Stop();
            try
            {
                using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) when (attempt < 20) { }
        }
    }

    public static IPEndPoint FreeEndpoint() => new(IPAddress.Loopback, FreePort());
}
