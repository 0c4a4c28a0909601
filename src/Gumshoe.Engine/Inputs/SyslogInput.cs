using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Inputs;

/// <summary>Transports a syslog server listens on.</summary>
[Flags]
public enum SyslogProtocol
{
    Udp = 1,
    Tcp = 2,
    Both = Udp | Tcp,
}

/// <summary>Options of the <c>syslog</c> input.</summary>
public sealed record SyslogOptions
{
    /// <summary>Address and port for both transports; port 0 picks a free one (see <see cref="SyslogInput.LocalEndpoints"/>).</summary>
    public required IPEndPoint Listen { get; init; }
    public SyslogProtocol Protocol { get; init; } = SyslogProtocol.Udp;
    /// <summary>TCP framing.</summary>
    public SyslogFraming Framing { get; init; } = SyslogFraming.Auto;
    /// <summary>Longest message kept; longer ones are cut and counted.</summary>
    public int MaxMessageBytes { get; init; } = 64 * 1024;
    /// <summary>TCP connections at once; more are refused and counted.</summary>
    public int MaxConnections { get; init; } = 256;
    /// <summary>When set, TCP is TLS (1.2 or later) with this certificate.</summary>
    public X509Certificate2? Certificate { get; init; }
}

/// <summary>
/// A syslog server over UDP (RFC 5426: one message per datagram) and/or TCP, optionally TLS (RFC 6587 octet
/// counting or newline framing, RFC 5425). Each message becomes one record holding the whole message, <c>&lt;PRI&gt;</c>
/// included, with a <see cref="NetworkSource"/> naming the peer. A full channel stops the reading: TCP senders are
/// slowed by flow control; UDP datagrams wait in the socket buffer.
/// </summary>
public sealed class SyslogInput(string name, IParser parser, ParseContext context, SyslogOptions options) : IInput
{
    // Peers remembered for UDP offsets; past this many the table starts over (a flood of spoofed sources).
    private const int MaxUdpPeers = 4096;

    private readonly TaskCompletionSource<IReadOnlyList<IPEndPoint>> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name { get; } = name;
    public IParser Parser { get; } = parser;
    public ParseContext ParseContext { get; } = context;
    public SyslogOptions Options { get; } = options;

    /// <summary>Completes with the bound end points (UDP first) once the sockets listen; faults when binding fails.</summary>
    public Task<IReadOnlyList<IPEndPoint>> Listening => _listening.Task;

    /// <summary>Builds the input from its configuration node.</summary>
    public static IInput Create(ConfigNode node, ComponentContext context)
    {
        var name = node.Required("name").AsString();
        var listen = ListenAddress.Parse(node.Required("listen"));
        var protocol = (node.Get("protocol") is { IsNull: false } p ? p.AsEnum("udp", "tcp", "both") : "udp") switch
        {
            "tcp" => SyslogProtocol.Tcp,
            "both" => SyslogProtocol.Both,
            _ => SyslogProtocol.Udp,
        };
        var framing = (node.Get("framing") is { IsNull: false } f ? f.AsEnum("auto", "octet_counting", "newline") : "auto") switch
        {
            "octet_counting" => SyslogFraming.OctetCounting,
            "newline" => SyslogFraming.Newline,
            _ => SyslogFraming.Auto,
        };
        X509Certificate2? certificate = null;
        if (node.Get("tls") is { IsNull: false } tls)
        {
            if (protocol != SyslogProtocol.Tcp) throw tls.Error("tls needs 'protocol: tcp' (UDP would still be unencrypted)");
            certificate = ServerCertificate.FromConfig(tls);
        }
        var options = new SyslogOptions
        {
            Listen = listen,
            Protocol = protocol,
            Framing = framing,
            MaxMessageBytes = node.Int("max_message_bytes", 256, 16 << 20) ?? 64 * 1024,
            MaxConnections = node.Int("max_connections", 1, 100_000) ?? 256,
            Certificate = certificate,
        };
        var parserNode = node.Get("parser");
        var parser = context.ResolveParser(parserNode?.AsString() ?? "syslog", parserNode ?? node);
        return new SyslogInput(name, parser, InputConfig.ParseContextOf(node), options);
    }

    public void Restore(JsonNode? state) { }

    /// <summary>Null: a network input has nothing to resume from.</summary>
    public JsonNode? Checkpoint() => null;

    public async Task RunAsync(ChannelWriter<RawRecord> output, InputRun run, CancellationToken cancellationToken)
    {
        var counters = new InputCounters(Name, run.Metrics);
        Socket? udp = null;
        TcpServer? tcp = null;
        var bound = new List<IPEndPoint>();
        try
        {
            if ((Options.Protocol & SyslogProtocol.Udp) != 0)
            {
                udp = BindUdp();
                bound.Add((IPEndPoint)udp.LocalEndPoint!);
            }
            if ((Options.Protocol & SyslogProtocol.Tcp) != 0)
            {
                tcp = new TcpServer(Name, Options.Listen, Options.MaxConnections, Options.Certificate, run, counters);
                tcp.Start();
                bound.Add(tcp.LocalEndpoint);
            }
        }
        catch (SocketException ex)
        {
            udp?.Dispose();
            counters.Error("bind_failed");
            run.Logger.LogError("input {Input}: cannot listen on {Listen}: {Error}", Name, Options.Listen, ex.Message);
            _listening.TrySetException(ex);
            throw;
        }
        run.Logger.LogInformation("input {Input}: syslog listening on {Endpoints} ({Protocol}{Tls})", Name,
            string.Join(", ", bound), Options.Protocol.ToString().ToLowerInvariant(), Options.Certificate is null ? "" : ", TLS");
        _listening.TrySetResult(bound);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = new List<Task>();
        if (udp is not null) tasks.Add(ReceiveUdpAsync(udp, output, run, counters, stop.Token));
        if (tcp is not null) tasks.Add(tcp.RunAsync((stream, source, ct) => ReadTcpAsync(stream, source, output, counters, ct), stop.Token));
        try
        {
            // one transport failing stops the other, so the error surfaces instead of half a server running
            var first = await Task.WhenAny(tasks);
            if (first.IsFaulted) await stop.CancelAsync();
            await Task.WhenAll(tasks);
        }
        finally
        {
            udp?.Dispose();
        }
    }

    private Socket BindUdp()
    {
        var socket = new Socket(Options.Listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (Options.Listen.Address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            // room for bursts while the pipeline is busy; the kernel caps it at net.core.rmem_max
            socket.ReceiveBufferSize = 4 << 20;
            socket.Bind(Options.Listen);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task ReceiveUdpAsync(Socket socket, ChannelWriter<RawRecord> output, InputRun run, InputCounters counters, CancellationToken ct)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(65536);
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        var peers = new Dictionary<EndPoint, NetworkSource>();
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try { received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, ct); }
            catch (OperationCanceledException) { break; }
            catch (SocketException ex)
            {
                counters.Error("receive_failed");
                run.Logger.LogDebug("input {Input}: UDP receive failed: {Error}", Name, ex.Message);
                continue;
            }
            var n = received.ReceivedBytes;
            counters.Bytes.Add(n);
            if (!peers.TryGetValue(received.RemoteEndPoint, out var source))
            {
                if (peers.Count >= MaxUdpPeers) peers.Clear();
                source = new NetworkSource(Name, received.RemoteEndPoint.ToString() ?? "unknown", "udp");
                peers[received.RemoteEndPoint] = source;
            }
            var offset = source.Received;
            source.Received += n;
            var bytes = buffer.AsSpan(0, n);
            if (bytes.Length > Options.MaxMessageBytes)
            {
                bytes = bytes[..Options.MaxMessageBytes];
                counters.Problem("message_too_long");
            }
            if (MessageText.Decode(bytes, counters) is not { } text) continue;
            counters.Lines.Add();
            var record = new RawRecord(text, source, offset, offset + n, DateTimeOffset.UtcNow) { Context = ParseContext };
            try { await output.WriteAsync(record, ct); }
            catch (OperationCanceledException)
            {
                counters.Dropped("shutdown");
                break;
            }
            catch (ChannelClosedException)
            {
                counters.Dropped("channel_closed");
                break;
            }
        }
    }

    private async Task ReadTcpAsync(Stream stream, NetworkSource source, ChannelWriter<RawRecord> output, InputCounters counters, CancellationToken ct)
    {
        var framer = new SyslogFramer(Options.Framing, Options.MaxMessageBytes);
        var batch = new List<RawRecord>();
        var buffer = new byte[16 * 1024];
        SyslogFramer.FrameHandler deliver = (message, offset, end, problems) =>
        {
            if ((problems & FrameProblem.TooLong) != 0) counters.Problem("message_too_long");
            if ((problems & FrameProblem.Incomplete) != 0) counters.Problem("incomplete_frame");
            if ((problems & FrameProblem.MissingLength) != 0) counters.Problem("missing_octet_count");
            if (MessageText.Decode(message, counters) is not { } text) return;
            counters.Lines.Add();
            batch.Add(new RawRecord(text, source, offset, end, DateTimeOffset.UtcNow) { Context = ParseContext });
        };
        while (true)
        {
            var n = await stream.ReadAsync(buffer, ct);
            if (n == 0)
            {
                framer.Finish(deliver);
                await RecordWriter.WriteAllAsync(batch, output, counters, ct);
                return;
            }
            counters.Bytes.Add(n);
            source.Received += n;
            framer.Feed(buffer.AsSpan(0, n), deliver);
            await RecordWriter.WriteAllAsync(batch, output, counters, ct);
        }
    }
}
