namespace Gumshoe.Engine.Storage;

/// <summary>A process of a scaled-out deployment, as it last reported itself.</summary>
public sealed record ClusterMember(string Id, string Role, string Host, DateTimeOffset Started, DateTimeOffset Heartbeat, string? Info);

/// <summary>Who holds a partition, under which epoch, until when.</summary>
public sealed record PartitionLease(int Partition, string? Owner, long Epoch, DateTimeOffset Expires);

/// <summary>A partition's analyser state as of a stream position, written under the lease epoch that produced it.</summary>
public sealed record PartitionSnapshot(int Partition, ulong Sequence, long Epoch, string State, DateTimeOffset Updated);

/// <summary>
/// Membership, partition leases and partition snapshots of a scaled-out deployment. A lease is taken and renewed
/// by conditional updates, so of two analysers only one holds a partition at a time; each change of owner bumps the
/// epoch, and a snapshot is accepted only while its writer still holds the lease under that epoch, so a stalled
/// former owner cannot overwrite the state of the new one.
/// </summary>
public sealed class ClusterStore(Database db, TimeProvider clock)
{
    /// <summary>Records that a member is alive (and what it does); members that stop heartbeating drop out after a lease.</summary>
    public Task HeartbeatAsync(string id, string role, string host, DateTimeOffset started, string? info, CancellationToken ct) =>
        db.WriteAsync(async tx =>
        {
            var now = clock.GetUtcNow();
            var rows = await tx.Command("UPDATE cluster_members SET heartbeat_at = @now, info = @info, role = @role WHERE id = @id")
                .With("@now", now).With("@info", info).With("@role", role).With("@id", id).ExecAsync(ct);
            if (rows == 0)
                await tx.Command("INSERT INTO cluster_members (id, role, host, started_at, heartbeat_at, info) VALUES (@id, @role, @host, @started, @now, @info)")
                    .With("@id", id).With("@role", role).With("@host", host).With("@started", started).With("@now", now).With("@info", info).ExecAsync(ct);
            return rows;
        }, ct);

    /// <summary>Removes a member (a clean stop) so others rebalance at once.</summary>
    public Task LeaveAsync(string id, CancellationToken ct) =>
        db.WriteAsync(tx => tx.Command("DELETE FROM cluster_members WHERE id = @id").With("@id", id).ExecAsync(ct), ct);

    /// <summary>Members heard from within <paramref name="within"/>, by id.</summary>
    public Task<List<ClusterMember>> MembersAsync(TimeSpan within, CancellationToken ct) =>
        db.ReadAsync(c => c.Command("SELECT id, role, host, started_at, heartbeat_at, info FROM cluster_members WHERE heartbeat_at >= @since ORDER BY id")
            .With("@since", clock.GetUtcNow() - within)
            .ListAsync(r => new ClusterMember(r.Str("id")!, r.Str("role")!, r.Str("host")!, r.Time("started_at"), r.Time("heartbeat_at"), r.Str("info")), ct), ct);

    /// <summary>Forgets members silent for longer than <paramref name="silent"/>.</summary>
    public Task<int> PruneAsync(TimeSpan silent, CancellationToken ct) =>
        db.WriteAsync(tx => tx.Command("DELETE FROM cluster_members WHERE heartbeat_at < @before").With("@before", clock.GetUtcNow() - silent).ExecAsync(ct), ct);

    /// <summary>Every partition's lease (partitions never leased are absent).</summary>
    public Task<List<PartitionLease>> LeasesAsync(CancellationToken ct) =>
        db.ReadAsync(c => c.Command("SELECT part, owner, epoch, expires_at FROM cluster_leases ORDER BY part")
            .ListAsync(r => new PartitionLease((int)r.Long("part"), r.Str("owner"), r.Long("epoch"), r.Time("expires_at")), ct), ct);

    /// <summary>
    /// Takes or renews the lease of a partition for <paramref name="owner"/>: succeeds when the partition is free,
    /// expired, or already ours. Returns the epoch held (new on a change of owner), or null when another holds it.
    /// </summary>
    public Task<long?> TryAcquireAsync(int partition, string owner, TimeSpan lease, CancellationToken ct) =>
        db.WriteAsync(async tx =>
        {
            var now = clock.GetUtcNow();
            await tx.Command("INSERT INTO cluster_leases (part, owner, epoch, expires_at) VALUES (@p, NULL, 0, 0) ON CONFLICT (part) DO NOTHING")
                .With("@p", partition).ExecAsync(ct);
            // renewal keeps the epoch; a takeover (free or expired) bumps it
            var rows = await tx.Command("UPDATE cluster_leases SET expires_at = @until WHERE part = @p AND owner = @o AND expires_at > @now")
                .With("@until", now + lease).With("@p", partition).With("@o", owner).With("@now", now).ExecAsync(ct);
            if (rows == 0)
                rows = await tx.Command("UPDATE cluster_leases SET owner = @o, epoch = epoch + 1, expires_at = @until WHERE part = @p AND (owner IS NULL OR expires_at <= @now)")
                    .With("@o", owner).With("@until", now + lease).With("@p", partition).With("@now", now).ExecAsync(ct);
            if (rows == 0) return (long?)null;
            return (long?)Convert.ToInt64(await tx.Command("SELECT epoch FROM cluster_leases WHERE part = @p").With("@p", partition).ScalarAsync(ct),
                System.Globalization.CultureInfo.InvariantCulture);
        }, ct);

    /// <summary>Gives a partition up (after a final snapshot) so its next owner need not wait for the lease to run out.</summary>
    public Task ReleaseAsync(int partition, string owner, long epoch, CancellationToken ct) =>
        db.WriteAsync(tx => tx.Command("UPDATE cluster_leases SET owner = NULL, expires_at = 0 WHERE part = @p AND owner = @o AND epoch = @e")
            .With("@p", partition).With("@o", owner).With("@e", epoch).ExecAsync(ct), ct);

    /// <summary>The last snapshot of a partition, or null.</summary>
    public Task<PartitionSnapshot?> SnapshotAsync(int partition, CancellationToken ct) =>
        db.ReadAsync(async c => (await c.Command("SELECT part, seq, epoch, state, updated_at FROM cluster_snapshots WHERE part = @p").With("@p", partition)
            .ListAsync(r => new PartitionSnapshot((int)r.Long("part"), (ulong)r.Long("seq"), r.Long("epoch"), r.Str("state")!, r.Time("updated_at")), ct))
            .FirstOrDefault(), ct);

    /// <summary>Stream position of every partition's last snapshot.</summary>
    public Task<Dictionary<int, ulong>> SnapshotPositionsAsync(CancellationToken ct) =>
        db.ReadAsync(async c => (await c.Command("SELECT part, seq FROM cluster_snapshots").ListAsync(r => ((int)r.Long("part"), (ulong)r.Long("seq")), ct))
            .ToDictionary(x => x.Item1, x => x.Item2), ct);

    /// <summary>
    /// Saves a partition's state as of stream position <paramref name="sequence"/>, only while <paramref name="owner"/>
    /// holds the lease under <paramref name="epoch"/>. Returns false when the lease was lost (the caller must stop).
    /// </summary>
    public Task<bool> SaveSnapshotAsync(int partition, string owner, long epoch, ulong sequence, string state, CancellationToken ct) =>
        db.WriteAsync(async tx =>
        {
            var now = clock.GetUtcNow();
            var held = await tx.Command("SELECT COUNT(*) FROM cluster_leases WHERE part = @p AND owner = @o AND epoch = @e AND expires_at > @now")
                .With("@p", partition).With("@o", owner).With("@e", epoch).With("@now", now).ScalarAsync(ct);
            if (Convert.ToInt64(held, System.Globalization.CultureInfo.InvariantCulture) == 0) return false;
            await tx.Command("""
                INSERT INTO cluster_snapshots (part, seq, epoch, state, updated_at) VALUES (@p, @s, @e, @state, @now)
                ON CONFLICT (part) DO UPDATE SET seq = excluded.seq, epoch = excluded.epoch, state = excluded.state, updated_at = excluded.updated_at
                """).With("@p", partition).With("@s", (long)sequence).With("@e", epoch).With("@state", state).With("@now", now).ExecAsync(ct);
            return true;
        }, ct);
}
