using System.Text.Json;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Microsoft.Extensions.Logging;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Gumshoe.Engine.Cluster;

/// <summary>
/// The <c>respond</c> role: reads alerts from the alert stream through one durable consumer shared by every
/// responder (each alert goes to one of them), journals their action requests in its data directory's checkpoint
/// before acknowledging them, and runs them through the same action journal as a single process. Decisions are
/// idempotent by rule, entity and alert; other actions carry their idempotency key to the receiver.
/// </summary>
public sealed class ResponderNode(ClusterConnection connection, GumshoeConfig config, string dataDirectory, MetricsRegistry metrics, ILoggerFactory loggers)
{
    /// <summary>The role name in the membership table.</summary>
    public const string Role = "respond";

    private readonly ClusterOptions _options = connection.Options;
    private readonly ILogger _logger = loggers.CreateLogger("gumshoe.cluster.respond");

    /// <summary>The action journal (for tests and status).</summary>
    public ActionJournal? Journal { get; private set; }

    public async Task RunAsync(CancellationToken stop)
    {
        var rules = RuleSet.Compile(config, metrics);
        var checkpoints = new CheckpointStore(dataDirectory);
        using var hold = await checkpoints.HoldAsync(_logger, stop);
        if (hold is null) return; // stopped while waiting for it
        var checkpoint = checkpoints.Load();
        var journalOptions = config.Sections.GetValueOrDefault("actions") as ActionJournalOptions ?? new ActionJournalOptions();
        await using var journal = new ActionJournal(journalOptions, rules.FindAction, dataDirectory, metrics, loggers);
        Journal = journal;
        journal.Restore(checkpoint?["actions"]);
        journal.Start();
        var received = metrics.Counter("gumshoe_cluster_alerts_received_total");

        void Commit()
        {
            checkpoints.Commit(new JsonObject { ["version"] = 1, ["written"] = DateTimeOffset.UtcNow.ToString("O"), ["actions"] = journal.Snapshot() });
            journal.Committed();
        }

        var consumer = await connection.RetryAsync("create consumer", () => connection.JetStream.CreateOrUpdateConsumerAsync(_options.AlertStream,
            new ConsumerConfig(_options.ResponderConsumer)
            {
                FilterSubject = _options.AlertSubject,
                AckPolicy = ConsumerConfigAckPolicy.Explicit,
                AckWait = TimeSpan.FromMinutes(1),
                MaxAckPending = 10_000,
                DeliverPolicy = ConsumerConfigDeliverPolicy.All,
                NumReplicas = _options.Replicas,
            }, stop).AsTask(), stop);
        _logger.LogInformation("responder reading {Stream}", _options.AlertStream);
        var fetch = new NatsJSFetchOpts { MaxMsgs = 200, Expires = TimeSpan.FromSeconds(2), IdleHeartbeat = TimeSpan.FromSeconds(1) };
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var batch = new List<INatsJSMsg<byte[]>>();
                try
                {
                    await foreach (var msg in consumer.FetchAsync<byte[]>(fetch, cancellationToken: stop)) batch.Add(msg);
                }
                catch (Exception ex) when (ex is NatsJSException or NATS.Client.Core.NatsException && !stop.IsCancellationRequested)
                {
                    _logger.LogWarning("responder: reading paused ({Error}); resuming", ex.Message);
                    await Task.Delay(500, stop);
                }
                foreach (var msg in batch) JournalRequests(journal, msg);
                received.Add(batch.Count);
                // journaled durably before the stream forgets them: a crash now re-reads, and known keys are skipped
                if (batch.Count > 0 || journal.NeedsCommit) Commit();
                foreach (var msg in batch)
                {
                    try { await msg.AckAsync(cancellationToken: stop); }
                    catch (Exception ex) when (ex is NatsJSException or NATS.Client.Core.NatsException) { } // redelivered later: a duplicate the journal skips
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        finally
        {
            // released requests may finish within the grace; the last commit records which did, so none runs twice
            try
            {
                Commit();
                await journal.StopAsync(journalOptions.ShutdownGrace);
                Commit();
            }
            catch (IOException ex) { _logger.LogError("responder: final checkpoint failed: {Error}", ex.Message); }
        }
    }

    private void JournalRequests(ActionJournal journal, INatsJSMsg<byte[]> msg)
    {
        try
        {
            using var doc = JsonDocument.Parse(msg.Data);
            foreach (var a in doc.RootElement.GetProperty("actions").EnumerateArray())
            {
                var values = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var v in a.GetProperty("values").EnumerateObject()) values[v.Name] = v.Value.GetString() ?? "";
                journal.EnqueueRecorded(a.GetProperty("key").GetString()!, a.GetProperty("rule").GetString()!, a.GetProperty("index").GetInt32(), values);
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentNullException)
        {
            _logger.LogWarning("responder: {Subject} at stream position {Seq}: not an alert message ({Error}); skipped",
                msg.Subject, msg.Metadata?.Sequence.Stream, ex.Message);
        }
    }
}
