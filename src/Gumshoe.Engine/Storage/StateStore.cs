using System.Data.Common;

namespace Gumshoe.Engine.Storage;

/// <summary>A stored JSON blob and its version (1 for the first write, one more for each).</summary>
public sealed record StateEntry(string Key, long Version, string Json, DateTimeOffset Updated);

/// <summary>
/// Input checkpoints and rule state snapshots: a key/value table of JSON blobs with versions. <see cref="SetAsync"/>
/// writes several keys in one transaction (a checkpoint: positions and rule state together);
/// <see cref="TrySetAsync"/> writes one only if nobody changed it since it was read (an analyser taking over a
/// partition cannot overwrite its predecessor's newer snapshot).
/// </summary>
public sealed class StateStore(Database db, TimeProvider clock)
{
    public Task<StateEntry?> GetAsync(string key, CancellationToken ct = default) =>
        db.ReadAsync(async c => (await c.Command("SELECT key, version, json, updated_at FROM state WHERE key = @k").With("@k", key)
            .ListAsync(Map, ct)).FirstOrDefault(), ct);

    /// <summary>Entries whose key starts with a prefix (<c>checkpoint/</c>, <c>rules/</c> …), by key.</summary>
    public Task<List<StateEntry>> ListAsync(string prefix = "", CancellationToken ct = default) =>
        db.ReadAsync(c => c.Command("SELECT key, version, json, updated_at FROM state WHERE SUBSTR(key, 1, @n) = @p ORDER BY key")
            .With("@n", prefix.Length).With("@p", prefix).ListAsync(Map, ct), ct);

    /// <summary>Writes every entry in one transaction, whatever their versions were.</summary>
    public Task SetAsync(IReadOnlyDictionary<string, string> entries, CancellationToken ct = default) =>
        db.WriteAsync(async tx =>
        {
            foreach (var (key, json) in entries.OrderBy(e => e.Key, StringComparer.Ordinal)) await SetAsync(tx, key, json, ct);
            return 0;
        }, ct);

    /// <summary>Writes one entry inside a caller's transaction (so a checkpoint can commit with other changes).</summary>
    public Task SetAsync(DbTransaction tx, string key, string json, CancellationToken ct) =>
        tx.Command("""
            INSERT INTO state (key, version, json, updated_at) VALUES (@k, 1, @j, @now)
            ON CONFLICT (key) DO UPDATE SET version = state.version + 1, json = @j, updated_at = @now
            """).With("@k", key).With("@j", json).With("@now", clock.GetUtcNow()).ExecAsync(ct);

    /// <summary>
    /// Writes one entry if its version is still <paramref name="expectedVersion"/> (0 = it must not exist yet);
    /// returns the new version, or null when someone else wrote it first.
    /// </summary>
    public Task<long?> TrySetAsync(string key, string json, long expectedVersion, CancellationToken ct = default) =>
        db.WriteAsync(async tx =>
        {
            var now = clock.GetUtcNow();
            var rows = expectedVersion == 0
                ? await tx.Command("INSERT INTO state (key, version, json, updated_at) VALUES (@k, 1, @j, @now) ON CONFLICT (key) DO NOTHING")
                    .With("@k", key).With("@j", json).With("@now", now).ExecAsync(ct)
                : await tx.Command("UPDATE state SET version = version + 1, json = @j, updated_at = @now WHERE key = @k AND version = @v")
                    .With("@k", key).With("@j", json).With("@now", now).With("@v", expectedVersion).ExecAsync(ct);
            return rows == 1 ? expectedVersion + 1 : (long?)null;
        }, ct);

    public Task<bool> DeleteAsync(string key, CancellationToken ct = default) =>
        db.WriteAsync(async tx => await tx.Command("DELETE FROM state WHERE key = @k").With("@k", key).ExecAsync(ct) == 1, ct);

    private static StateEntry Map(DbDataReader r) => new(r.Str("key")!, r.Long("version"), r.Str("json")!, r.Time("updated_at"));
}
