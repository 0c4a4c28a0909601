using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Pipeline;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace Gumshoe.Engine.Cluster;

/// <summary>
/// The collector's end of the event stream. Each event goes to the partition of its correlation key with a message
/// id derived from where it was read (source identity, offset, text), so re-reading after a crash, a retried publish,
/// or two collectors tailing one file publish it once. At each checkpoint it waits for every acknowledgement, then
/// tells every partition how far this collector's event clock has come (its watermark), which is what lets
/// analysers close windows on the slowest collector's time instead of dropping its events as late.
/// </summary>
public sealed class EventPublisher(ClusterConnection connection, string collectorId, MetricsRegistry metrics, ILogger logger) : IEventForwarder
{
    /// <summary>Header naming the collector of a message.</summary>
    public const string CollectorHeader = "Gumshoe-Collector";
    /// <summary>Header of a watermark message: event-time ticks, or <c>none</c> while the collector has seen no event.</summary>
    public const string WatermarkHeader = "Gumshoe-Watermark";
    /// <summary>Header of an event message: its event time in ticks (analysers order by it without parsing the body).</summary>
    public const string TimeHeader = "Gumshoe-Time";
    /// <summary>Most publishes awaiting their acknowledgement.</summary>
    public const int MaxInFlight = 2048;

    private readonly ClusterOptions _options = connection.Options;
    private readonly Queue<Task> _inFlight = new();
    private readonly Counter _published = metrics.Counter("gumshoe_cluster_published_total");
    private readonly Counter _unkeyed = metrics.Counter("gumshoe_cluster_unkeyed_events_total");
    private readonly Counter _oversized = metrics.Counter("gumshoe_cluster_events_without_original_total");
    private readonly Counter _rejected = metrics.Counter("gumshoe_cluster_events_too_large_total");
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private long _lastWatermark = long.MinValue;

    /// <summary>The collector's id (stable across its restarts: host and data directory).</summary>
    public string CollectorId => collectorId;

    public async ValueTask ForwardAsync(Event e, RawRecord record, CancellationToken ct)
    {
        if (!_options.PartitionBy.TryGetKey(e, out var key))
        {
            key = "";
            _unkeyed.Add();
        }
        var partition = _options.PartitionOf(key);
        _buffer.ResetWrittenCount();
        EventWire.Write(_buffer, e);
        // the broker refuses messages over its max_payload (1 MB by default): a huge line goes without its raw text
        var limit = (connection.Connection.ServerInfo?.MaxPayload ?? 1024 * 1024) - 4096;
        if (_buffer.WrittenCount > limit && e.Original is not null)
        {
            e.Original = null;
            e.Set("event.original_truncated", FieldValue.Bool(true));
            _buffer.ResetWrittenCount();
            EventWire.Write(_buffer, e);
            _oversized.Add();
        }
        if (_buffer.WrittenCount > limit)
        {
            _rejected.Add();
            logger.LogError("{Path}@{Offset}: event of {Bytes} bytes is larger than the stream accepts ({Limit}); not forwarded",
                record.Source.Path ?? record.Source.Input, record.Offset, _buffer.WrittenCount, limit);
            return;
        }
        var data = _buffer.WrittenMemory.ToArray();
        var headers = new NatsHeaders { [CollectorHeader] = collectorId, [TimeHeader] = e.Timestamp.UtcTicks.ToString(CultureInfo.InvariantCulture) };
        while (_inFlight.Count >= MaxInFlight) await _inFlight.Dequeue();
        _inFlight.Enqueue(connection.PublishAsync(_options.EventSubject(partition), data, MessageId(record), headers, ct));
        _published.Add();
    }

    public async Task FlushAsync(DateTimeOffset clock, CancellationToken ct)
    {
        while (_inFlight.Count > 0) await _inFlight.Dequeue();
        var ticks = clock.UtcTicks;
        if (ticks == _lastWatermark) return;
        await AnnounceAsync(ticks == 0 ? "none" : ticks.ToString(CultureInfo.InvariantCulture), ct);
        _lastWatermark = ticks;
    }

    // one small message per partition: partitions are read independently, each must learn the watermark in order
    private Task AnnounceAsync(string watermark, CancellationToken ct) =>
        Task.WhenAll(Enumerable.Range(0, _options.Partitions).Select(p =>
            connection.PublishAsync(_options.EventSubject(p), ReadOnlyMemory<byte>.Empty, null,
                new NatsHeaders { [CollectorHeader] = collectorId, [WatermarkHeader] = watermark }, ct)));

    /// <summary>
    /// The message id of a record: the same line at the same place of the same file always gets the same id. Network
    /// sources are never re-read, and their positions restart with the process, so their ids include the arrival time.
    /// </summary>
    public static string MessageId(RawRecord record)
    {
        var where = record.Source.Path is null ? record.Received.UtcTicks.ToString(CultureInfo.InvariantCulture) : record.Source.Identity;
        var text = $"{record.Source.Input}\n{where}\n{record.Offset.ToString(CultureInfo.InvariantCulture)}\n{record.Text}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));
    }

    /// <summary>A collector id that survives restarts: the host name and a hash of the data directory.</summary>
    public static string StableId(string dataDirectory) =>
        $"{Environment.MachineName}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))).AsSpan(0, 4))}";
}
