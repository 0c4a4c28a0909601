using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Storage;
using Microsoft.Extensions.Logging;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Gumshoe.Engine.Cluster;

/// <summary>
/// Analyses one partition while its lease is held: restores the last snapshot (rule state, held events, collector
/// watermarks, stream position), reads the partition's events from the position after it through a durable
/// consumer, releases them to the rules in event-time order, stores each alert (idempotent by its id) and hands
/// it with its action requests to the responders, and snapshots — acknowledging the stream up to there — only
/// after those effects are durable. A new owner therefore re-derives exactly what the old one had not snapshotted.
/// </summary>
public sealed class PartitionWorker(int partition, long epoch, string owner, ClusterConnection connection, GumshoeStore store,
    GumshoeConfig config, MetricsRegistry metrics, ILogger logger)
{
    private readonly ClusterOptions _options = connection.Options;
    private readonly List<(Alert Alert, List<ActionRequestRecord> Actions)> _alerts = [];
    private readonly Counter _events = metrics.Counter("gumshoe_cluster_events_total", "partition", partition.ToString(CultureInfo.InvariantCulture));
    private readonly Counter _overflow = metrics.Counter("gumshoe_cluster_reorder_overflow_total");
    private readonly Counter _badMessages = metrics.Counter("gumshoe_cluster_bad_messages_total");

    /// <summary>An action request as journaled by a responder: key, rule, <c>then:</c> index and template values.</summary>
    public sealed record ActionRequestRecord(string Key, string Rule, int Index, IReadOnlyDictionary<string, string> Values);

    public int Partition => partition;
    public long Epoch => epoch;

    /// <summary>Set when the worker stops because its lease was lost (a snapshot was refused).</summary>
    public bool LeaseLost { get; private set; }

    // what the rules hand to side-effect actions: recorded with the alert, run by a responder
    private sealed class RequestRecorder(PartitionWorker worker) : IActionSink
    {
        public void Enqueue(IAction action, int index, ActionRequest request)
        {
            var entry = worker._alerts.FindLast(a => ReferenceEquals(a.Alert, request.Alert));
            entry.Actions?.Add(new ActionRequestRecord(request.Key, request.Rule, index, request.Values));
        }
    }

    /// <summary>Runs until cancelled (a clean hand-over: final snapshot) or until the lease is lost.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var rules = RuleSet.Compile(config, metrics);
        rules.Actions = new RequestRecorder(this);
        // per-user models live with the partition that sees the user's events (partition_by: [user.name] for them)
        var pipeline = new EventPipeline(rules, metrics, logger)
        {
            Analyzers = config.Sections.GetValueOrDefault("analytics") is Analytics.Logins.AnalyticsSection analytics ? analytics.CreateAnalyzers(fromStateFile: false) : [],
        };
        pipeline.AlertRaised += a => _alerts.Add((a, []));
        var buffer = new ReorderBuffer(_options.CollectorTimeout, _options.ReorderLimit);
        ulong consumed = 0;          // every message up to here is processed or held
        DateTimeOffset? firstSeen = null;
        var open = false;            // the collector grace has passed once for this partition

        var snapshot = await store.Cluster.SnapshotAsync(partition, stop);
        if (snapshot is not null)
        {
            var state = JsonNode.Parse(snapshot.State)!;
            rules.Restore(state["rules"]);
            foreach (var a in pipeline.Analyzers.OfType<Analytics.IStatefulAnalyzer>())
                if (state["analyzers"]?[a.Name] is { } saved)
                {
                    using var s = new MemoryStream(Convert.FromBase64String((string)saved!));
                    a.LoadState(s);
                }
            buffer.Restore(state["buffer"]);
            consumed = snapshot.Sequence;
            open = (bool?)state["open"] ?? true;
            if (!open && buffer.Count > 0) firstSeen = DateTimeOffset.UtcNow; // the grace had started under the previous owner
            logger.LogInformation("partition {Partition}: restored the snapshot at stream position {Seq} ({Held} events held)", partition, consumed, buffer.Count);
        }

        var js = connection.JetStream;
        var name = _options.PartitionConsumer(partition);
        // the consumer is recreated at the snapshot's position: the lease makes this worker its only reader
        await connection.RetryAsync("reset consumer", async () =>
        {
            try { await js.DeleteConsumerAsync(_options.EventStream, name, stop); }
            catch (NatsJSApiException ex) when (ex.Error.Code == 404) { }
            return true;
        }, stop);
        var consumerConfig = new ConsumerConfig(name)
        {
            FilterSubject = _options.EventSubject(partition),
            AckPolicy = ConsumerConfigAckPolicy.All,
            AckWait = TimeSpan.FromMinutes(2),
            MaxAckPending = 1_000_000,
            DeliverPolicy = consumed > 0 ? ConsumerConfigDeliverPolicy.ByStartSequence : ConsumerConfigDeliverPolicy.All,
            NumReplicas = _options.Replicas,
        };
        if (consumed > 0) consumerConfig.OptStartSeq = consumed + 1;
        var consumer = await connection.RetryAsync("create consumer", () => js.CreateOrUpdateConsumerAsync(_options.EventStream, consumerConfig, stop).AsTask(), stop);

        var inbox = Channel.CreateBounded<INatsJSMsg<byte[]>>(new BoundedChannelOptions(4096) { SingleReader = true, SingleWriter = true });
        using var readStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var reading = Task.Run(async () =>
        {
            try
            {
                // short pull expiry and heartbeats: a broker failover stalls the consumer for seconds, not the 30 s default
                var opts = new NatsJSConsumeOpts { MaxMsgs = 1000, Expires = TimeSpan.FromSeconds(5), IdleHeartbeat = TimeSpan.FromSeconds(1) };
                while (!readStop.IsCancellationRequested)
                {
                    try
                    {
                        await foreach (var msg in consumer.ConsumeAsync<byte[]>(opts: opts, cancellationToken: readStop.Token))
                            await inbox.Writer.WriteAsync(msg, readStop.Token);
                    }
                    catch (Exception ex) when (ex is NatsJSException or NATS.Client.Core.NatsException && !readStop.IsCancellationRequested)
                    {
                        logger.LogWarning("partition {Partition}: reading paused ({Error}); resuming", partition, ex.Message);
                        await Task.Delay(500, readStop.Token);
                    }
                }
            }
            catch (OperationCanceledException) { }
            finally { inbox.Writer.TryComplete(); }
        });

        INatsJSMsg<byte[]>? lastMsg = null;
        var sinceSnapshot = Stopwatch.StartNew();
        var unsnapshotted = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stop))
                {
                    wait.CancelAfter(TimeSpan.FromMilliseconds(250));
                    try { await inbox.Reader.WaitToReadAsync(wait.Token); }
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested) { }
                }
                var now = DateTimeOffset.UtcNow;
                while (inbox.Reader.TryRead(out var msg))
                {
                    var seq = msg.Metadata?.Sequence.Stream ?? 0;
                    if (seq <= consumed) continue; // a redelivery of what is already processed or held
                    consumed = seq;
                    lastMsg = msg;
                    unsnapshotted++;
                    var collector = Header(msg, EventPublisher.CollectorHeader) ?? "unknown";
                    firstSeen ??= now;
                    if (Header(msg, EventPublisher.WatermarkHeader) is { } wm)
                    {
                        buffer.Watermark(collector, wm == "none" ? null : long.Parse(wm, CultureInfo.InvariantCulture), now);
                        continue;
                    }
                    if (Header(msg, EventPublisher.TimeHeader) is not { } t || msg.Data is null || !long.TryParse(t, CultureInfo.InvariantCulture, out var ticks))
                    {
                        _badMessages.Add();
                        logger.LogWarning("partition {Partition}: stream position {Seq}: not a gumshoe event message; skipped", partition, seq);
                        continue;
                    }
                    buffer.Add(collector, ticks, seq, msg.Data, now);
                    if (unsnapshotted >= 50_000) break;
                }
                // other collectors get a moment to announce themselves before the first release
                if (!open && firstSeen is { } first && now - first >= _options.CollectorGrace) open = true;
                if (open) Release(buffer, pipeline, rules, now);
                if (_alerts.Count > 0) await PublishAlertsAsync(stop);
                if (lastMsg is not null && (sinceSnapshot.Elapsed >= _options.SnapshotEvery || unsnapshotted >= 50_000))
                {
                    if (!await SnapshotAsync(rules, pipeline, buffer, consumed, open, lastMsg, stop)) return;
                    lastMsg = null;
                    unsnapshotted = 0;
                    sinceSnapshot.Restart();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        finally
        {
            await readStop.CancelAsync();
            try { await reading; } catch (OperationCanceledException) { }
        }
        // a clean hand-over: everything consumed so far is in the final snapshot
        using var final = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            if (_alerts.Count > 0) await PublishAlertsAsync(final.Token);
            if (lastMsg is not null) await SnapshotAsync(rules, pipeline, buffer, consumed, open, lastMsg, final.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Data.Common.DbException or NATS.Client.Core.NatsException)
        {
            logger.LogWarning("partition {Partition}: no final snapshot ({Error}); its next owner re-reads from the previous one", partition, ex.Message);
        }
    }

    private void Release(ReorderBuffer buffer, EventPipeline pipeline, RuleSet rules, DateTimeOffset now)
    {
        var low = buffer.Low(now);
        var before = buffer.Overflowed;
        foreach (var (seq, data) in buffer.Release(low))
        {
            Event e;
            try { e = EventWire.Read(data); }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
            {
                _badMessages.Add();
                logger.LogWarning("partition {Partition}: stream position {Seq}: unreadable event ({Error}); skipped", partition, seq, ex.Message);
                continue;
            }
            pipeline.Handle(e);
            _events.Add();
        }
        if (buffer.Overflowed > before) _overflow.Add(buffer.Overflowed - before);
        // windows close on the slowest live collector's clock
        if (low is not long.MaxValue and not long.MinValue) rules.AdvanceClockTo(new DateTimeOffset(low, TimeSpan.Zero), pipeline);
    }

    private async Task PublishAlertsAsync(CancellationToken ct)
    {
        // stored first (idempotent by id), then published together: responders never see an alert the store lacks
        foreach (var (alert, _) in _alerts) await store.Alerts.AddAsync(alert, ct: ct);
        await Task.WhenAll(_alerts.Select(a => connection.PublishAsync(_options.AlertSubject, AlertMessage(a.Alert, a.Actions), a.Alert.Id, null, ct)));
        _alerts.Clear();
    }

    /// <summary>The message a responder reads: the alert as <c>--alerts-out</c> writes it, and its action requests.</summary>
    public static byte[] AlertMessage(Alert alert, IEnumerable<ActionRequestRecord> actions)
    {
        var output = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(output))
        {
            w.WriteStartObject();
            w.WritePropertyName("alert");
            alert.WriteJson(w);
            w.WriteStartArray("actions");
            foreach (var a in actions)
            {
                w.WriteStartObject();
                w.WriteString("key", a.Key);
                w.WriteString("rule", a.Rule);
                w.WriteNumber("index", a.Index);
                w.WriteStartObject("values");
                foreach (var (k, v) in a.Values) w.WriteString(k, v);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return output.WrittenSpan.ToArray();
    }

    private async Task<bool> SnapshotAsync(RuleSet rules, EventPipeline pipeline, ReorderBuffer buffer, ulong consumed, bool open, INatsJSMsg<byte[]> last, CancellationToken ct)
    {
        var state = new JsonObject { ["version"] = 1, ["rules"] = rules.Snapshot(), ["buffer"] = buffer.Snapshot(), ["open"] = open };
        var analyzers = new JsonObject();
        foreach (var a in pipeline.Analyzers.OfType<Analytics.IStatefulAnalyzer>())
        {
            using var s = new MemoryStream();
            a.SaveState(s);
            analyzers[a.Name] = Convert.ToBase64String(s.GetBuffer(), 0, (int)s.Length);
        }
        if (analyzers.Count > 0) state["analyzers"] = analyzers;
        if (!await store.Cluster.SaveSnapshotAsync(partition, owner, epoch, consumed, state.ToJsonString(), ct))
        {
            LeaseLost = true;
            logger.LogWarning("partition {Partition}: lease lost (epoch {Epoch}); stopping without a snapshot", partition, epoch);
            return false;
        }
        // acknowledges everything up to here (AckPolicy all): the stream may forget it for this consumer
        try { await last.AckAsync(cancellationToken: ct); }
        catch (Exception ex) when (ex is NATS.Client.Core.NatsException or NatsJSException) { } // progress is the snapshot; the ack only feeds lag figures
        return true;
    }

    private static string? Header(INatsJSMsg<byte[]> msg, string name) =>
        msg.Headers is { } h && h.TryGetValue(name, out var v) ? v.ToString() : null;
}
