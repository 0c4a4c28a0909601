using Gumshoe.Engine.Storage;
using NATS.Client.JetStream;

namespace Gumshoe.Engine.Cluster;

/// <summary>One partition as <c>gumshoe cluster status</c> shows it: owner, epoch, snapshot position and consumer lag.</summary>
public sealed record PartitionStatus(int Partition, string? Owner, long Epoch, bool LeaseLive, ulong? SnapshotAt, ulong? Pending, ulong? AckPending);

/// <summary>What <c>gumshoe cluster status</c> reports: members, partition ownership and lag, the responders' backlog.</summary>
public sealed record ClusterStatusReport(IReadOnlyList<ClusterMember> Members, IReadOnlyList<PartitionStatus> Partitions,
    ulong? StreamEvents, ulong? AlertsPending, IReadOnlyList<string> Servers)
{
    /// <summary>Reads the membership and leases from the store and the consumer positions from JetStream.</summary>
    public static async Task<ClusterStatusReport> ReadAsync(ClusterConnection connection, ClusterStore store, CancellationToken ct)
    {
        var options = connection.Options;
        var now = DateTimeOffset.UtcNow;
        var members = await store.MembersAsync(options.Lease * 3, ct);
        var leases = (await store.LeasesAsync(ct)).ToDictionary(l => l.Partition);
        var snapshots = await store.SnapshotPositionsAsync(ct);
        var js = connection.JetStream;
        var partitions = new List<PartitionStatus>();
        for (var p = 0; p < options.Partitions; p++)
        {
            ulong? pending = null, ackPending = null;
            try
            {
                var c = await js.GetConsumerAsync(options.EventStream, options.PartitionConsumer(p), ct);
                pending = c.Info.NumPending;
                ackPending = (ulong)c.Info.NumAckPending;
            }
            catch (NatsJSApiException ex) when (ex.Error.Code == 404) { }
            leases.TryGetValue(p, out var lease);
            partitions.Add(new PartitionStatus(p, lease?.Owner, lease?.Epoch ?? 0, lease is not null && lease.Owner is not null && lease.Expires > now,
                snapshots.TryGetValue(p, out var s) ? s : null, pending, ackPending));
        }
        ulong? events = null, alerts = null;
        try { events = (ulong)(await js.GetStreamAsync(options.EventStream, cancellationToken: ct)).Info.State.Messages; }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404) { }
        try { alerts = (ulong)(await js.GetConsumerAsync(options.AlertStream, options.ResponderConsumer, ct)).Info.NumPending; }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404) { }
        var servers = connection.Connection.ServerInfo?.ClientConnectUrls?.ToList() ?? [.. options.Servers];
        return new ClusterStatusReport(members, partitions, events, alerts, servers);
    }
}
