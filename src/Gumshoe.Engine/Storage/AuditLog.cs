using System.Data.Common;

namespace Gumshoe.Engine.Storage;

/// <summary>One audit entry: who or what did what to which decision, why, and when.</summary>
public sealed record AuditEntry(long Id, DateTimeOffset At, string Actor, string Action, string? DecisionId, string? Reason, string? Detail);

/// <summary>
/// The append-only audit log. Entries are written in the same transaction as the change they describe, so the
/// log and the decisions never disagree; nothing updates an entry, only the retention sweep removes old ones.
/// </summary>
public sealed class AuditLog(Database db, TimeProvider clock)
{
    /// <summary>Appends an entry that is not part of another change (a sign-in, a user added …).</summary>
    public Task AppendAsync(string actor, string action, string? decisionId, string? reason, string? detail, CancellationToken ct) =>
        db.WriteAsync(async tx => { await AppendAsync(tx, actor, action, decisionId, reason, detail, ct); return 0; }, ct);

    internal async Task AppendAsync(DbTransaction tx, string actor, string action, string? decisionId, string? reason, string? detail, CancellationToken ct) =>
        await tx.Command("INSERT INTO audit (at, actor, action, decision_id, reason, detail) VALUES (@at, @actor, @action, @d, @r, @detail)")
            .With("@at", clock.GetUtcNow()).With("@actor", actor).With("@action", action).With("@d", decisionId)
            .With("@r", reason).With("@detail", detail).ExecAsync(ct);

    /// <summary>Newest first; optionally only one decision's entries or one actor's.</summary>
    public Task<List<AuditEntry>> ListAsync(string? decisionId = null, string? actor = null, int limit = 200, long? beforeId = null, CancellationToken ct = default) =>
        db.ReadAsync(c => c.Command("""
            SELECT id, at, actor, action, decision_id, reason, detail FROM audit
            WHERE (@d IS NULL OR decision_id = @d) AND (@a IS NULL OR actor = @a) AND (@b IS NULL OR id < @b)
            ORDER BY id DESC LIMIT @limit
            """).With("@d", decisionId).With("@a", actor).With("@b", beforeId).With("@limit", limit)
            .ListAsync(r => new AuditEntry(r.Long("id"), r.Time("at"), r.Str("actor")!, r.Str("action")!, r.Str("decision_id"), r.Str("reason"), r.Str("detail")), ct), ct);
}
