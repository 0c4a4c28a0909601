using Gumshoe.Engine.Config;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;

namespace Gumshoe.Engine.Cluster;

/// <summary>
/// The <c>cluster:</c> section: how the roles of a scaled-out deployment meet. <c>{nats: URLS, name, partitions,
/// partition_by: [fields], replicas, lease, snapshot_every, duplicate_window, retention, collector_timeout,
/// collector_grace, reorder_limit}</c>. Shared state (alerts, decisions, snapshots, leases) lives in the
/// <c>storage:</c> section's PostgreSQL database.
/// </summary>
public sealed record ClusterOptions
{
    /// <summary>NATS server URLs (a comma-separated list in the config, usually <c>${GUMSHOE_NATS_URL}</c>).</summary>
    public required IReadOnlyList<string> Servers { get; init; }
    /// <summary>Prefix of stream, subject and consumer names, so several deployments can share one NATS cluster.</summary>
    public string Name { get; init; } = "gumshoe";
    /// <summary>Partitions of the event stream: the unit of ownership an analyser takes and hands over.</summary>
    public int Partitions { get; init; } = 16;
    /// <summary>The correlation key events are partitioned by: all events of one key reach one analyser.</summary>
    public required GroupKey PartitionBy { get; init; }
    /// <summary>Stream replicas; default: 3 when three or more servers are given, else 1.</summary>
    public int Replicas { get; init; } = 1;
    /// <summary>How long a partition lease or a membership lasts without renewal (an analyser that died is replaced after this).</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How often an analyser snapshots a partition's state (and acknowledges its stream up to there).</summary>
    public TimeSpan SnapshotEvery { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>The broker drops a re-published event with the same id within this window (collector restarts, retries).</summary>
    public TimeSpan DuplicateWindow { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>How long the event stream keeps events (what a new analyser can replay from a snapshot).</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(7);
    /// <summary>A collector silent this long no longer holds the event clock back (its later events count as late).</summary>
    public TimeSpan CollectorTimeout { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>After its first event, a partition waits this long for other collectors to announce themselves.</summary>
    public TimeSpan CollectorGrace { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>Most events a partition holds back while waiting for a slower collector; beyond it the oldest are processed.</summary>
    public int ReorderLimit { get; init; } = 200_000;

    /// <summary>Subject of one partition's events.</summary>
    public string EventSubject(int partition) => $"{Name}.events.{partition}";
    /// <summary>Stream of events.</summary>
    public string EventStream => Name.ToUpperInvariant().Replace('.', '_') + "_EVENTS";
    /// <summary>Stream of alerts for responders.</summary>
    public string AlertStream => Name.ToUpperInvariant().Replace('.', '_') + "_ALERTS";
    /// <summary>Subject of alerts.</summary>
    public string AlertSubject => $"{Name}.alerts";
    /// <summary>Durable consumer of one partition.</summary>
    public string PartitionConsumer(int partition) => $"{Name}-analyze-{partition}";
    /// <summary>Durable consumer shared by responders.</summary>
    public string ResponderConsumer => $"{Name}-respond";

    /// <summary>The partition of a correlation key (FNV-1a, stable across processes and versions).</summary>
    public int PartitionOf(string key)
    {
        var h = 2166136261u;
        foreach (var c in key)
        {
            h = (h ^ (byte)c) * 16777619u;
            h = (h ^ (byte)(c >> 8)) * 16777619u;
        }
        return (int)(h % (uint)Partitions);
    }

    /// <summary>Reads the <c>cluster:</c> section.</summary>
    public static ClusterOptions Read(ConfigNode node, ComponentContext context)
    {
        if (!node.IsMapping) throw node.Error("cluster: expected a mapping such as {nats: ${GUMSHOE_NATS_URL}}");
        var serversNode = node.Required("nats");
        var servers = (serversNode.IsSequence ? serversNode.AsStringList() : [.. serversNode.AsString().Split(',')])
            .Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
        if (servers.Count == 0) throw serversNode.Error("cluster.nats: give at least one server URL such as nats://127.0.0.1:4222");
        foreach (var s in servers)
            if (!Uri.TryCreate(s.Contains("://", StringComparison.Ordinal) ? s : "nats://" + s, UriKind.Absolute, out _))
                throw serversNode.Error($"cluster.nats: '{s}' is not a server URL");
        var name = node.String("name") ?? "gumshoe";
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw node.Get("name")!.Error("cluster.name: letters, digits, '-' and '_' only");
        var options = new ClusterOptions
        {
            Servers = servers,
            Name = name,
            Partitions = node.Int("partitions", 1, 1024) ?? 16,
            PartitionBy = node.Get("partition_by") is { IsNull: false } pb ? GroupKey.Parse(pb) : GroupKey.Parse(null),
            Replicas = node.Int("replicas", 1, 5) ?? (servers.Count >= 3 ? 3 : 1),
            Lease = Positive(node, "lease") ?? TimeSpan.FromSeconds(10),
            SnapshotEvery = Positive(node, "snapshot_every") ?? TimeSpan.FromSeconds(2),
            DuplicateWindow = Positive(node, "duplicate_window") ?? TimeSpan.FromMinutes(10),
            Retention = Positive(node, "retention") ?? TimeSpan.FromDays(7),
            CollectorTimeout = Positive(node, "collector_timeout") ?? TimeSpan.FromMinutes(2),
            CollectorGrace = node.DurationAt("collector_grace") ?? TimeSpan.FromSeconds(3),
            ReorderLimit = node.Int("reorder_limit", 1000, 100_000_000) ?? 200_000,
        };
        if (options.PartitionBy.Count == 0) throw node.Required("partition_by").Error("cluster.partition_by: name the correlation key, such as [source.ip] or [user.name]");
        if (options.DuplicateWindow > options.Retention) throw node.Get("duplicate_window")!.Error("cluster.duplicate_window cannot be longer than cluster.retention");
        node.EnsureNoUnknownKeys("cluster");
        context.Cluster = options;
        return options;
    }

    private static TimeSpan? Positive(ConfigNode node, string key) =>
        node.DurationAt(key) is { } d ? d > TimeSpan.Zero ? d : throw node.Get(key)!.Error($"cluster.{key} must be longer than zero") : null;
}
