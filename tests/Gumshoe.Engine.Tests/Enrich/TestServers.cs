namespace Gumshoe.Engine.Tests.Enrich;

/// <summary>Connection settings of the servers scripts/services/*.sh start; a missing one fails the test, never skips it.</summary>
internal static class TestServers
{
    public static string Require(string variable, string script) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value
        : throw new InvalidOperationException($"{variable} is not set: run `source {script}` (scripts/test.sh does) before these tests");

    /// <summary>A TCP port on 127.0.0.1 with nothing listening (bound, then released).</summary>
    public static int ClosedPort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
