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

/// <summary>Options of the <c>tcp_jsonlines</c> input.</summary>
public sealed record JsonLinesTcpOptions
{
    /// <summary>Address and port; port 0 picks a free one (see <see cref="JsonLinesTcpInput.Listening"/>).</summary>
    public required IPEndPoint Listen { get; init; }
    /// <summary>Longest line kept; the rest of a longer line is skipped and counted.</summary>
    public int MaxLineBytes { get; init; } = LineSplitter.DefaultMaxLineBytes;
    /// <summary>Connections at once; more are refused and counted.</summary>
    public int MaxConnections { get; init; } = 256;
    /// <summary>When set, connections are TLS (1.2 or later) with this certificate.</summary>
    public X509Certificate2? Certificate { get; init; }
}

/// <summary>
/// Newline-delimited JSON over TCP (optionally TLS): every non-blank line of a connection is one record, handed to
/// the parser (<c>json</c> by default) as is. A full channel stops reading the connection, so the sender is slowed
/// by TCP flow control.
/// </summary>
public sealed class JsonLinesTcpInput(string name, IParser parser, ParseContext context, JsonLinesTcpOptions options) : IInput
{
    private readonly TaskCompletionSource<IPEndPoint> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name { get; } = name;
    public IParser Parser { get; } = parser;
    public ParseContext ParseContext { get; } = context;
    public JsonLinesTcpOptions Options { get; } = options;

    /// <summary>Completes with the bound end point once the socket listens; faults when binding fails.</summary>
    public Task<IPEndPoint> Listening => _listening.Task;

    /// <summary>Builds the input from its configuration node.</summary>
    public static IInput Create(ConfigNode node, ComponentContext context)
    {
        var name = node.Required("name").AsString();
        var options = new JsonLinesTcpOptions
        {
            Listen = ListenAddress.Parse(node.Required("listen")),
            MaxLineBytes = node.Int("max_line_bytes", 256, 64 << 20) ?? LineSplitter.DefaultMaxLineBytes,
            MaxConnections = node.Int("max_connections", 1, 100_000) ?? 256,
            Certificate = node.Get("tls") is { IsNull: false } tls ? ServerCertificate.FromConfig(tls) : null,
        };
        var parserNode = node.Get("parser");
        var parser = context.ResolveParser(parserNode?.AsString() ?? "json", parserNode ?? node);
        return new JsonLinesTcpInput(name, parser, InputConfig.ParseContextOf(node), options);
    }

    public void Restore(JsonNode? state) { }

    /// <summary>Null: a network input has nothing to resume from.</summary>
    public JsonNode? Checkpoint() => null;

    public async Task RunAsync(ChannelWriter<RawRecord> output, InputRun run, CancellationToken cancellationToken)
    {
        var counters = new InputCounters(Name, run.Metrics);
        var server = new TcpServer(Name, Options.Listen, Options.MaxConnections, Options.Certificate, run, counters);
        try { server.Start(); }
        catch (SocketException ex)
        {
            counters.Error("bind_failed");
            run.Logger.LogError("input {Input}: cannot listen on {Listen}: {Error}", Name, Options.Listen, ex.Message);
            _listening.TrySetException(ex);
            throw;
        }
        run.Logger.LogInformation("input {Input}: JSON lines listening on {Endpoint}{Tls}", Name, server.LocalEndpoint, Options.Certificate is null ? "" : " (TLS)");
        _listening.TrySetResult(server.LocalEndpoint);
        await server.RunAsync((stream, source, ct) => ReadAsync(stream, source, output, counters, ct), cancellationToken);
    }

    private async Task ReadAsync(Stream stream, NetworkSource source, ChannelWriter<RawRecord> output, InputCounters counters, CancellationToken ct)
    {
        var splitter = new LineSplitter(Options.MaxLineBytes);
        var batch = new List<RawRecord>();
        var buffer = new byte[16 * 1024];
        LineSplitter.LineHandler deliver = (text, offset, end, problems) =>
        {
            if (problems != LineProblem.None)
                foreach (var reason in LineProblems.Reasons(problems)) counters.Problem(reason);
            if (string.IsNullOrWhiteSpace(text)) return;
            counters.Lines.Add();
            batch.Add(new RawRecord(text, source, offset, end, DateTimeOffset.UtcNow) { Context = ParseContext });
        };
        while (true)
        {
            var n = await stream.ReadAsync(buffer, ct);
            if (n == 0)
            {
                splitter.Flush(source.Received, deliver);
                await RecordWriter.WriteAllAsync(batch, output, counters, ct);
                return;
            }
            counters.Bytes.Add(n);
            splitter.Feed(buffer.AsSpan(0, n), source.Received, deliver);
            source.Received += n;
            await RecordWriter.WriteAllAsync(batch, output, counters, ct);
        }
    }
}
