using System.Data.Common;

namespace Gumshoe.Engine.Storage;

/// <summary>
/// The versioned schema. Each migration runs once, in its own transaction, recorded in <c>schema_migrations</c>;
/// concurrent starters serialise on the backend's migration lock, so two nodes never apply one twice.
/// Append new migrations at the end; never edit an applied one.
/// </summary>
public static class Migrations
{
    /// <summary>A schema step: its version, a name, and SQL statements (<c>{auto_id}</c> is the backend's auto-numbered key).</summary>
    public sealed record Migration(int Version, string Name, string[] Statements);

    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "initial schema",
        [
            """
            CREATE TABLE alerts (
              id TEXT PRIMARY KEY, rule TEXT NOT NULL, group_key TEXT NOT NULL,
              first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, stored_at BIGINT NOT NULL, json TEXT NOT NULL)
            """,
            "CREATE INDEX alerts_rule_first_seen ON alerts (rule, first_seen)",
            "CREATE INDEX alerts_group_key ON alerts (group_key)",
            "CREATE INDEX alerts_stored_at ON alerts (stored_at)",
            """
            CREATE TABLE alert_events (
              alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE, seq INTEGER NOT NULL, json TEXT NOT NULL,
              PRIMARY KEY (alert_id, seq))
            """,
            """
            CREATE TABLE decisions (
              id TEXT PRIMARY KEY, scope TEXT NOT NULL, value TEXT NOT NULL, reason TEXT NOT NULL, rule TEXT NOT NULL,
              alert_id TEXT, priority INTEGER NOT NULL, level INTEGER NOT NULL, explain TEXT, remediation TEXT,
              self_release_max INTEGER NOT NULL, grace_ms BIGINT NOT NULL, on_release TEXT NOT NULL,
              state TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, expires_at BIGINT,
              ended_at BIGINT, ended_by TEXT, end_reason TEXT)
            """,
            "CREATE INDEX decisions_entity ON decisions (scope, value, state)",
            "CREATE INDEX decisions_state_expires ON decisions (state, expires_at)",
            "CREATE INDEX decisions_rule_entity ON decisions (rule, scope, value, state)",
            // every trigger (rule + scope + value + window) ever applied: the idempotency of create
            """
            CREATE TABLE decision_triggers (
              trigger_key TEXT PRIMARY KEY, decision_id TEXT NOT NULL REFERENCES decisions (id) ON DELETE CASCADE,
              created_at BIGINT NOT NULL)
            """,
            // per rule and entity: escalation level, self-releases used, last release (for grace)
            """
            CREATE TABLE decision_history (
              rule TEXT NOT NULL, scope TEXT NOT NULL, value TEXT NOT NULL, level INTEGER NOT NULL,
              last_penalty_at BIGINT NOT NULL, last_release_at BIGINT, self_releases INTEGER NOT NULL,
              PRIMARY KEY (rule, scope, value))
            """,
            """
            CREATE TABLE audit (
              id {auto_id}, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, decision_id TEXT,
              reason TEXT, detail TEXT)
            """,
            "CREATE INDEX audit_at ON audit (at)",
            "CREATE INDEX audit_decision ON audit (decision_id)",
            """
            CREATE TABLE outbox (
              id {auto_id}, effect_key TEXT NOT NULL UNIQUE, decision_id TEXT NOT NULL, transition TEXT NOT NULL,
              effect TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
              last_error TEXT, created_at BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL, claimed_until BIGINT NOT NULL,
              done_at BIGINT)
            """,
            "CREATE INDEX outbox_pending ON outbox (state, next_attempt_at)",
            """
            CREATE TABLE state (
              key TEXT PRIMARY KEY, version BIGINT NOT NULL, json TEXT NOT NULL, updated_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE users (
              name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('viewer', 'helpdesk', 'admin')),
              password_hash TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE api_tokens (
              id TEXT PRIMARY KEY, user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
              token_hash TEXT NOT NULL UNIQUE, label TEXT, created_at BIGINT NOT NULL, last_used_at BIGINT)
            """,
        ]),
        new(2, "cluster membership, partition leases and snapshots",
        [
            """
            CREATE TABLE cluster_members (
              id TEXT PRIMARY KEY, role TEXT NOT NULL, host TEXT NOT NULL, started_at BIGINT NOT NULL,
              heartbeat_at BIGINT NOT NULL, info TEXT)
            """,
            // epoch grows with every change of owner: a snapshot is written only under the epoch that holds the lease
            """
            CREATE TABLE cluster_leases (
              part INTEGER PRIMARY KEY, owner TEXT, epoch BIGINT NOT NULL, expires_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE cluster_snapshots (
              part INTEGER PRIMARY KEY, seq BIGINT NOT NULL, epoch BIGINT NOT NULL, state TEXT NOT NULL, updated_at BIGINT NOT NULL)
            """,
        ]),
    ];

    /// <summary>The newest schema version this build knows.</summary>
    public static int Latest => All[^1].Version;

    /// <summary>Applies the migrations the database lacks; returns how many were applied.</summary>
    public static async Task<int> ApplyAsync(Database db, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var migrationLock = await db.MigrationLockAsync(conn, ct);
        await conn.Command("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
            .ExecAsync(ct);
        var applied = 0;
        foreach (var m in All)
        {
            await using var tx = await db.BeginWriteAsync(conn, ct);
            // read inside the write transaction: on SQLite the IMMEDIATE transaction is the lock
            var newest = Convert.ToInt32(await tx.Command("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").ScalarAsync(ct) ?? 0,
                System.Globalization.CultureInfo.InvariantCulture);
            if (newest > Latest)
                throw new StorageException($"the database schema is version {newest}, newer than this gumshoe knows ({Latest}); upgrade gumshoe");
            var done = await tx.Command("SELECT COUNT(*) FROM schema_migrations WHERE version = @v").With("@v", m.Version).ScalarAsync(ct);
            if (Convert.ToInt64(done, System.Globalization.CultureInfo.InvariantCulture) > 0) { await tx.RollbackAsync(ct); continue; }
            foreach (var statement in m.Statements)
                await tx.Command(statement.Replace("{auto_id}", db.AutoIdColumn, StringComparison.Ordinal)).ExecAsync(ct);
            await tx.Command("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t)")
                .With("@v", m.Version).With("@n", m.Name).With("@t", DateTimeOffset.UtcNow).ExecAsync(ct);
            await tx.CommitAsync(ct);
            applied++;
        }
        return applied;
    }

    /// <summary>Versions recorded as applied.</summary>
    public static Task<List<int>> AppliedAsync(Database db, CancellationToken ct) =>
        db.ReadAsync(c => c.Command("SELECT version FROM schema_migrations ORDER BY version")
            .ListAsync(r => Convert.ToInt32(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture), ct), ct);
}

/// <summary>A storage problem worth a clear message (schema too new, a missing connection string …).</summary>
public sealed class StorageException(string message, Exception? inner = null) : Exception(message, inner);
