using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Engine.Tests.Inputs;

public class SyslogInputTests
{
    private const string Input = "{input=\"net\"}";

    private static SyslogInput Create(SyslogProtocol protocol, int port, X509Certificate2? certificate = null, int maxMessageBytes = 64 * 1024, int maxConnections = 256) =>
        new("net", new SyslogLineParser(), new ParseContext(), new SyslogOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, port),
            Protocol = protocol,
            Certificate = certificate,
            MaxMessageBytes = maxMessageBytes,
            MaxConnections = maxConnections,
        });

    private static async Task<TcpClient> ConnectAsync(int port)
    {
        var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(IPAddress.Loopback, port);
        client.NoDelay = true;
        return client;
    }

    [Fact]
    public async Task Udp_datagrams_become_records_with_the_peer_and_per_peer_offsets()
    {
        var port = Loopback.FreePort();
        var input = Create(SyslogProtocol.Udp, port);
        await using var running = new RunningInput(input);
        var bound = await input.Listening.WaitAsync(RunningInput.Patience);
        Assert.Equal(port, bound.Single().Port);

        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var m1 = "<14>Nov 24 14:18:47 vm myapp: udp 3164 hello\n";
        var m2 = "<132>1 2026-11-24T14:18:47.961107+00:00 vm myapp - M1 [timeQuality tzKnown=\"1\"] udp 5424 hello";
        await udp.SendAsync(Encoding.UTF8.GetBytes(m1), bound[0]);
        await udp.SendAsync(Encoding.UTF8.GetBytes(m2), bound[0]);

        var r1 = await running.NextAsync();
        var r2 = await running.NextAsync();
        Assert.Equal(m1.TrimEnd('\n'), r1.Text);
        Assert.Equal(m2, r2.Text);
        var source = Assert.IsType<NetworkSource>(r1.Source);
        Assert.Same(source, r2.Source);
        Assert.Null(source.Path);
        Assert.Equal("udp", source.Transport);
        Assert.Equal(udp.Client.LocalEndPoint!.ToString(), source.Peer);
        Assert.Equal((0L, (long)m1.Length), (r1.Offset, r1.EndOffset));
        Assert.Equal((long)m1.Length, r2.Offset);
        Assert.Null(input.Checkpoint());
        Assert.Equal(2, running.Counter("gumshoe_input_lines_total", Input));
    }

    [Fact]
    public async Task Tcp_takes_octet_counted_and_newline_messages_on_one_connection_and_messages_split_across_packets()
    {
        var port = Loopback.FreePort();
        var input = Create(SyslogProtocol.Tcp, port);
        await using var running = new RunningInput(input);
        await input.Listening.WaitAsync(RunningInput.Patience);

        using var client = await ConnectAsync(port);
        var stream = client.GetStream();
        await stream.WriteAsync(SyslogFramer.OctetCounted("<13>1 2026-01-01T00:00:00Z h app - - - counted"));
        await stream.WriteAsync("<14>Jan  1 00:00:00 h app: newline one\n"u8.ToArray());
        // a counted frame whose length and body arrive in separate packets
        var split = SyslogFramer.OctetCounted("<15>Jan  1 00:00:00 h app: split");
        await stream.WriteAsync(split.AsMemory(0, 1));
        await Task.Delay(50);
        await stream.WriteAsync(split.AsMemory(1, split.Length - 3));
        await Task.Delay(50);
        await stream.WriteAsync(split.AsMemory(split.Length - 2));
        // a newline frame split in the middle
        await stream.WriteAsync("<16>Jan  1 00:00:00 h app: half"u8.ToArray());
        await Task.Delay(50);
        await stream.WriteAsync(" and half\n"u8.ToArray());

        var texts = await running.NextTextsAsync(4);
        Assert.Equal([
            "<13>1 2026-01-01T00:00:00Z h app - - - counted",
            "<14>Jan  1 00:00:00 h app: newline one",
            "<15>Jan  1 00:00:00 h app: split",
            "<16>Jan  1 00:00:00 h app: half and half",
        ], texts);
        Assert.Equal(1, running.Counter("gumshoe_input_connections_total", Input));
    }

    [Fact]
    public async Task Tcp_offsets_count_the_bytes_of_each_connection_and_name_the_peer()
    {
        var port = Loopback.FreePort();
        var input = Create(SyslogProtocol.Tcp, port);
        await using var running = new RunningInput(input);
        await input.Listening.WaitAsync(RunningInput.Patience);

        using var a = await ConnectAsync(port);
        await a.GetStream().WriteAsync("<1>Jan  1 00:00:00 h a: one\n<1>Jan  1 00:00:00 h a: two\n"u8.ToArray());
        var r1 = await running.NextAsync();
        var r2 = await running.NextAsync();
        Assert.Equal((0L, 28L, 28L, 56L), (r1.Offset, r1.EndOffset, r2.Offset, r2.EndOffset));
        var source = Assert.IsType<NetworkSource>(r1.Source);
        Assert.Equal(("tcp", a.Client.LocalEndPoint!.ToString()), (source.Transport, source.Peer));

        using var b = await ConnectAsync(port);
        await b.GetStream().WriteAsync("<1>Jan  1 00:00:00 h b: one\n"u8.ToArray());
        var r3 = await running.NextAsync();
        Assert.NotSame(r1.Source, r3.Source);
        Assert.Equal(0, r3.Offset);
    }

    [Fact]
    public async Task Over_long_messages_are_cut_to_the_limit_and_counted()
    {
        var port = Loopback.FreePort();
        var input = Create(SyslogProtocol.Both, port, maxMessageBytes: 300);
        await using var running = new RunningInput(input);
        var bound = await input.Listening.WaitAsync(RunningInput.Patience);

        var longMessage = "<13>Jan  1 00:00:00 h app: " + new string('x', 1000);
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await udp.SendAsync(Encoding.UTF8.GetBytes(longMessage), bound[0]);
        Assert.Equal(longMessage[..300], (await running.NextAsync()).Text);

        using var tcp = await ConnectAsync(port);
        await tcp.GetStream().WriteAsync(Encoding.UTF8.GetBytes(longMessage + "\n<13>Jan  1 00:00:00 h app: next\n"));
        Assert.Equal(longMessage[..300], (await running.NextAsync()).Text);
        Assert.Equal("<13>Jan  1 00:00:00 h app: next", (await running.NextAsync()).Text);
        Assert.Equal(2, running.Counter("gumshoe_input_problems_total", "{input=\"net\",reason=\"message_too_long\"}"));
    }

    [Fact]
    public async Task Tls_connections_are_decrypted_and_framed()
    {
        using var certificate = SelfSignedCertificate.Create();
        var port = Loopback.FreePort();
        var input = Create(SyslogProtocol.Tcp, port, certificate);
        await using var running = new RunningInput(input);
        await input.Listening.WaitAsync(RunningInput.Patience);

        using var client = await ConnectAsync(port);
        await using var ssl = new SslStream(client.GetStream(), false,
            (_, cert, _, _) => cert is not null && cert.GetCertHashString() == certificate.GetCertHashString());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
        });
        await ssl.WriteAsync(SyslogFramer.OctetCounted("<86>1 2026-01-01T00:00:00Z h sshd 12 - - over tls"));
        await ssl.WriteAsync("<86>Jan  1 00:00:00 h sshd[12]: second\n"u8.ToArray());
        await ssl.FlushAsync();

        var r1 = await running.NextAsync();
        Assert.Equal("<86>1 2026-01-01T00:00:00Z h sshd 12 - - over tls", r1.Text);
        Assert.Equal("tls", ((NetworkSource)r1.Source).Transport);
        Assert.Equal("<86>Jan  1 00:00:00 h sshd[12]: second", (await running.NextAsync()).Text);
    }

    [Fact]
    public async Task A_client_that_does_not_speak_tls_is_counted_and_the_server_goes_on()
    {
        using var certificate = SelfSignedCertificate.Create();
        var port = Loopback.FreePort();
        var input = Create(SyslogProtocol.Tcp, port, certificate);
        await using var running = new RunningInput(input);
        await input.Listening.WaitAsync(RunningInput.Patience);

        using (var plain = await ConnectAsync(port))
        {
            await plain.GetStream().WriteAsync("<13>Jan  1 00:00:00 h app: plaintext\n"u8.ToArray());
            var buf = new byte[1];
            try { while (await plain.GetStream().ReadAsync(buf) > 0) { } } catch (IOException) { }
        }
        var deadline = DateTime.UtcNow + RunningInput.Patience;
        while (running.Counter("gumshoe_input_errors_total", "{input=\"net\",reason=\"tls_handshake_failed\"}") == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.Equal(1, running.Counter("gumshoe_input_errors_total", "{input=\"net\",reason=\"tls_handshake_failed\"}"));
        Assert.False(running.Records.TryRead(out _));
    }

    [Fact]
    public async Task A_full_channel_holds_tcp_back_and_nothing_is_lost()
    {
        var port = Loopback.FreePort();
        var input = Create(SyslogProtocol.Tcp, port);
        await using var running = new RunningInput(input, capacity: 1);
        await input.Listening.WaitAsync(RunningInput.Patience);

        using var client = await ConnectAsync(port);
        var sent = Enumerable.Range(0, 50).Select(i => $"<13>Jan  1 00:00:00 h app: message {i}").ToList();
        foreach (var m in sent) await client.GetStream().WriteAsync(Encoding.UTF8.GetBytes(m + "\n"));
        await Task.Delay(200); // the reader is stuck on the full channel meanwhile
        Assert.Equal(sent, await running.NextTextsAsync(sent.Count));
    }

    [Fact]
    public async Task Connections_over_the_limit_are_refused_and_counted()
    {
        var port = Loopback.FreePort();
        var input = Create(SyslogProtocol.Tcp, port, maxConnections: 1);
        await using var running = new RunningInput(input);
        await input.Listening.WaitAsync(RunningInput.Patience);

        using var first = await ConnectAsync(port);
        await first.GetStream().WriteAsync("<13>Jan  1 00:00:00 h app: first\n"u8.ToArray());
        Assert.Equal("<13>Jan  1 00:00:00 h app: first", (await running.NextAsync()).Text);

        using var second = await ConnectAsync(port);
        var buf = new byte[1];
        int read;
        try { read = await second.GetStream().ReadAsync(buf).AsTask().WaitAsync(RunningInput.Patience); }
        catch (IOException) { read = 0; }
        Assert.Equal(0, read); // closed by the server
        Assert.Equal(1, running.Counter("gumshoe_input_errors_total", "{input=\"net\",reason=\"too_many_connections\"}"));
    }

    [Fact]
    public async Task Cancellation_stops_promptly_with_idle_connections_open_and_frees_the_port()
    {
        var port = Loopback.FreePort();
        var input = Create(SyslogProtocol.Both, port);
        var running = new RunningInput(input);
        await input.Listening.WaitAsync(RunningInput.Patience);
        using var idle = await ConnectAsync(port);
        var partial = "<13>Jan  1 00:00:00 h app: partial without newline"u8.ToArray();
        await idle.GetStream().WriteAsync(partial);
        await running.UntilCounterAsync("gumshoe_input_bytes_total", Input, partial.Length);

        var took = await running.StopAsync();
        Assert.True(took < TimeSpan.FromSeconds(2), $"took {took}");
        await running.DisposeAsync();

        using var tcpAgain = new TcpListener(IPAddress.Loopback, port);
        tcpAgain.Start();
        using var udpAgain = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
    }

    [Fact]
    public async Task A_udp_datagram_that_cannot_be_queued_at_shutdown_is_counted_as_dropped()
    {
        var port = Loopback.FreePort();
        var input = Create(SyslogProtocol.Udp, port);
        var running = new RunningInput(input, capacity: 1);
        var bound = await input.Listening.WaitAsync(RunningInput.Patience);
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await udp.SendAsync("<13>Jan  1 00:00:00 h app: fills the channel"u8.ToArray(), bound[0]);
        await udp.SendAsync("<13>Jan  1 00:00:00 h app: waits"u8.ToArray(), bound[0]);
        await running.UntilCounterAsync("gumshoe_input_lines_total", Input, 2);

        await running.StopAsync();
        await running.DisposeAsync();
        Assert.Equal(1, running.Counter("gumshoe_input_dropped_total", "{input=\"net\",reason=\"shutdown\"}"));
    }

    [Fact]
    public async Task A_taken_port_fails_the_run_and_the_listening_task()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var input = Create(SyslogProtocol.Tcp, port);
        var running = new RunningInput(input);
        await Assert.ThrowsAsync<SocketException>(() => input.Listening.WaitAsync(RunningInput.Patience));
        await Assert.ThrowsAsync<SocketException>(() => running.Run);
        Assert.Equal(1, running.Counter("gumshoe_input_errors_total", "{input=\"net\",reason=\"bind_failed\"}"));
    }

    [Fact]
    public void The_config_builds_a_tls_syslog_server_from_pem_files()
    {
        var dir = Directory.CreateTempSubdirectory("gumshoe-syslog-");
        try
        {
            using var _ = SelfSignedCertificate.WritePem(Path.Combine(dir.FullName, "server.pem"), Path.Combine(dir.FullName, "server.key"));
            var config = Path.Combine(dir.FullName, "gumshoe.yml");
            File.WriteAllText(config, """
                inputs:
                  - name: syslog-tls
                    type: syslog
                    listen: "[::1]:6514"
                    protocol: tcp
                    framing: octet_counting
                    max_message_bytes: 8192
                    max_connections: 10
                    timezone: UTC
                    tls:
                      certificate: server.pem
                      key: server.key
                """);
            var loaded = GumshoeConfig.Load(config, BuiltInComponents.Create());
            var input = Assert.IsType<SyslogInput>(Assert.Single(loaded.Inputs));
            Assert.Equal("syslog", input.Parser.Name);
            Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 6514), input.Options.Listen);
            Assert.Equal((SyslogProtocol.Tcp, SyslogFraming.OctetCounting, 8192, 10), (input.Options.Protocol, input.Options.Framing, input.Options.MaxMessageBytes, input.Options.MaxConnections));
            Assert.True(input.Options.Certificate?.HasPrivateKey);
            Assert.Equal(TimeZoneInfo.Utc, input.ParseContext.TimeZone);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void The_config_rejects_tls_over_udp()
    {
        var dir = Directory.CreateTempSubdirectory("gumshoe-syslog-");
        try
        {
            var config = Path.Combine(dir.FullName, "gumshoe.yml");
            File.WriteAllText(config, """
                inputs:
                  - name: s
                    type: syslog
                    listen: 127.0.0.1:5514
                    tls: {certificate: server.pem}
                """);
            var ex = Assert.Throws<ConfigException>(() => GumshoeConfig.Load(config, BuiltInComponents.Create()));
            Assert.Contains("protocol: tcp", ex.Message);
        }
        finally { dir.Delete(recursive: true); }
    }
}
