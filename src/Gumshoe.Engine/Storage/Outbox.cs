using System.Data.Common;

namespace Gumshoe.Engine.Storage;

/// <summary>Where an outbox entry is: waiting (or being retried), done, or given up.</summary>
public enum OutboxState { Pending, Done, Failed }

/// <summary>A journaled side effect of a decision transition (<c>on_apply</c>/<c>on_release</c>).</summary>
public sealed record OutboxEntry(long Id, string EffectKey, string DecisionId, string Transition, string Effect, string Payload,
    OutboxState State, int Attempts, string? LastError, DateTimeOffset Created, DateTimeOffset? Done);

/// <summary>
/// The journal of transition effects. An entry is written in the transaction of the transition itself, so a
/// transition without its pending effects (or effects of a transition that never committed) cannot exist. A
/// runner claims an entry for a lease, runs it and marks it done; a crash before the mark lets another runner
/// retry it once the lease ends, with the same <see cref="OutboxEntry.EffectKey"/> for the receiver to deduplicate.
/// </summary>
public sealed class Outbox(Database db, TimeProvider clock)
{
    internal async Task EnqueueAsync(DbTransaction tx, string effectKey, string decisionId, string transition, string effect, string payload, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await tx.Command("""
            INSERT INTO outbox (effect_key, decision_id, transition, effect, payload, state, attempts, created_at, next_attempt_at, claimed_until)
            VALUES (@k, @d, @t, @e, @p, 'pending', 0, @now, @now, 0) ON CONFLICT (effect_key) DO NOTHING
            """).With("@k", effectKey).With("@d", decisionId).With("@t", transition).With("@e", effect).With("@p", payload).With("@now", now)
            .ExecAsync(ct);
    }

    /// <summary>
    /// Claims up to <paramref name="max"/> due entries for <paramref name="lease"/>. An entry waits while an older
    /// entry of the same decision is pending, so a decision's release never overtakes its apply.
    /// </summary>
    public async Task<List<OutboxEntry>> ClaimDueAsync(int max, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var candidates = await db.ReadAsync(c => c.Command("""
            SELECT o.id FROM outbox o
            WHERE o.state = 'pending' AND o.next_attempt_at <= @now AND o.claimed_until <= @now
              AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.decision_id = o.decision_id AND p.id < o.id AND p.state = 'pending')
            ORDER BY o.id LIMIT @max
            """).With("@now", now).With("@max", max).ListAsync(r => r.Long("id"), ct), ct);
        var claimed = new List<OutboxEntry>();
        foreach (var id in candidates)
        {
            // the conditional update is the claim: of two runners, one sees one row changed, the other none
            var rows = await db.WriteAsync(tx => tx.Command("""
                UPDATE outbox SET claimed_until = @until, attempts = attempts + 1
                WHERE id = @id AND state = 'pending' AND claimed_until <= @now
                """).With("@until", now + lease).With("@id", id).With("@now", now).ExecAsync(ct), ct);
            if (rows == 1 && await GetAsync(id, ct) is { } entry) claimed.Add(entry);
        }
        return claimed;
    }

    /// <summary>Marks an entry done: it never runs again.</summary>
    public Task MarkDoneAsync(long id, CancellationToken ct) =>
        db.WriteAsync(tx => tx.Command("UPDATE outbox SET state = 'done', done_at = @now, last_error = NULL, claimed_until = 0 WHERE id = @id")
            .With("@now", clock.GetUtcNow()).With("@id", id).ExecAsync(ct), ct);

    /// <summary>Records a failure: retried after <paramref name="retryAt"/>, or failed for good when null.</summary>
    public Task MarkFailedAsync(long id, string error, DateTimeOffset? retryAt, CancellationToken ct) =>
        db.WriteAsync(tx => tx.Command("""
            UPDATE outbox SET state = @s, last_error = @e, next_attempt_at = @next, claimed_until = 0 WHERE id = @id
            """).With("@s", retryAt is null ? "failed" : "pending").With("@e", error)
            .With("@next", retryAt ?? clock.GetUtcNow()).With("@id", id).ExecAsync(ct), ct);

    public Task<OutboxEntry?> GetAsync(long id, CancellationToken ct) =>
        db.ReadAsync(async c => (await c.Command(Select + " WHERE id = @id").With("@id", id).ListAsync(Map, ct)).FirstOrDefault(), ct);

    /// <summary>Entries, oldest first; optionally of one decision or in one state.</summary>
    public Task<List<OutboxEntry>> ListAsync(string? decisionId = null, OutboxState? state = null, int limit = 1000, CancellationToken ct = default) =>
        db.ReadAsync(c => c.Command(Select + " WHERE (@d IS NULL OR decision_id = @d) AND (@s IS NULL OR state = @s) ORDER BY id LIMIT @limit")
            .With("@d", decisionId).With("@s", state?.ToString().ToLowerInvariant()).With("@limit", limit).ListAsync(Map, ct), ct);

    private const string Select = "SELECT id, effect_key, decision_id, transition, effect, payload, state, attempts, last_error, created_at, done_at FROM outbox";

    private static OutboxEntry Map(DbDataReader r) => new(r.Long("id"), r.Str("effect_key")!, r.Str("decision_id")!, r.Str("transition")!,
        r.Str("effect")!, r.Str("payload")!, r.Str("state") switch { "done" => OutboxState.Done, "failed" => OutboxState.Failed, _ => OutboxState.Pending },
        (int)r.Long("attempts"), r.Str("last_error"), r.Time("created_at"), r.TimeOrNull("done_at"));
}
