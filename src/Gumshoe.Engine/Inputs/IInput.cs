using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Engine.Inputs;

/// <summary>
/// A source of lines. Runs until cancelled (or, when <see cref="InputRun.Follow"/> is false, until its data ends)
/// and writes to a bounded channel, so a slow consumer holds it back instead of losing lines. It never completes
/// the channel: the pipeline does.
/// </summary>
public interface IInput
{
    /// <summary>The configured name.</summary>
    string Name { get; }

    /// <summary>The parser its lines go through.</summary>
    IParser Parser { get; }

    /// <summary>Time zone and year inference for its stamps.</summary>
    ParseContext ParseContext { get; }

    /// <summary>Restores positions saved by <see cref="Checkpoint"/>; called before <see cref="RunAsync"/>.</summary>
    void Restore(JsonNode? state);

    /// <summary>Reads until cancelled or, when not following, until the end of its data.</summary>
    Task RunAsync(ChannelWriter<RawRecord> output, InputRun run, CancellationToken cancellationToken);

    /// <summary>Positions up to the last record the consumer acknowledged, for a checkpoint; null when stateless.</summary>
    JsonNode? Checkpoint();
}

/// <summary>How an input runs: following live data, or reading what exists and stopping.</summary>
public sealed record InputRun(bool Follow, Metrics.MetricsRegistry Metrics, Microsoft.Extensions.Logging.ILogger Logger);

/// <summary>
/// Where a record came from, acknowledged by the consumer once the record's effects are committed:
/// a file, a connection, a stream.
/// </summary>
public class SourceCursor(string input, string? path)
{
    private long _acked;

    /// <summary>The input that owns the source.</summary>
    public string Input { get; } = input;

    /// <summary>The file path, for <c>log.file.path</c>; null for network sources.</summary>
    public string? Path { get; set; } = path;

    /// <summary>What identifies the source across renames (a file's device and inode); the path when nothing better is known.</summary>
    public virtual string? Identity => Path;

    /// <summary>End offset of the last record the consumer finished with.</summary>
    public long Acked { get => Volatile.Read(ref _acked); set => Volatile.Write(ref _acked, value); }
}

/// <summary>One line as read, before parsing.</summary>
public readonly record struct RawRecord(string Text, SourceCursor Source, long Offset, long EndOffset, DateTimeOffset Received)
{
    /// <summary>The input's parse context (time zone, year inference), set by the input.</summary>
    public ParseContext? Context { get; init; }
}
