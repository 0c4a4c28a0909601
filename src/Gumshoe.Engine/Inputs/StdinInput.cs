using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Inputs;

/// <summary>
/// Lines from standard input (or any stream given to it) until the end of the stream, then it returns. Offsets
/// count bytes from the start of the stream; there is nothing to resume, so the checkpoint is null.
/// </summary>
public sealed class StdinInput(string name, IParser parser, ParseContext context, int maxLineBytes = LineSplitter.DefaultMaxLineBytes, Func<Stream>? openStream = null) : IInput
{
    private readonly Func<Stream> _openStream = openStream ?? Console.OpenStandardInput;

    public string Name { get; } = name;
    public IParser Parser { get; } = parser;
    public ParseContext ParseContext { get; } = context;
    public int MaxLineBytes { get; } = maxLineBytes;

    /// <summary>Builds the input from its configuration node.</summary>
    public static IInput Create(ConfigNode node, ComponentContext context)
    {
        var name = node.Required("name").AsString();
        var parserNode = node.Required("parser");
        var maxLine = node.Int("max_line_bytes", 256, 64 << 20) ?? LineSplitter.DefaultMaxLineBytes;
        return new StdinInput(name, context.ResolveParser(parserNode.AsString(), parserNode), InputConfig.ParseContextOf(node), maxLine);
    }

    public void Restore(JsonNode? state) { }

    /// <summary>Null: a stream cannot be rewound to a position.</summary>
    public JsonNode? Checkpoint() => null;

    public async Task RunAsync(ChannelWriter<RawRecord> output, InputRun run, CancellationToken cancellationToken)
    {
        var counters = new InputCounters(Name, run.Metrics);
        var source = new SourceCursor(Name, null);
        var splitter = new LineSplitter(MaxLineBytes);
        var batch = new List<RawRecord>();
        var buffer = new byte[64 * 1024];
        long position = 0;
        LineSplitter.LineHandler deliver = (text, offset, end, problems) =>
        {
            if (problems != LineProblem.None)
                foreach (var reason in LineProblems.Reasons(problems)) counters.Problem(reason);
            counters.Lines.Add();
            batch.Add(new RawRecord(text, source, offset, end, DateTimeOffset.UtcNow) { Context = ParseContext });
        };
        await using var stream = _openStream();
        try
        {
            while (true)
            {
                int n;
                try
                {
                    // A console stream ignores the token once its read has begun; WaitAsync stops waiting for it.
                    n = await stream.ReadAsync(buffer, cancellationToken).AsTask().WaitAsync(cancellationToken);
                }
                catch (IOException ex)
                {
                    counters.Error("read_failed");
                    run.Logger.LogWarning("input {Input}: reading standard input failed: {Error}", Name, ex.Message);
                    n = 0;
                }
                if (n == 0)
                {
                    splitter.Flush(position, deliver);
                    await RecordWriter.WriteAllAsync(batch, output, counters, cancellationToken);
                    run.Logger.LogInformation("input {Input}: end of standard input after {Bytes} bytes", Name, position);
                    return;
                }
                counters.Bytes.Add(n);
                splitter.Feed(buffer.AsSpan(0, n), position, deliver);
                position += n;
                await RecordWriter.WriteAllAsync(batch, output, counters, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopped: lines not yet queued were counted as dropped
        }
    }
}
