namespace Gumshoe.Engine.Storage;

/// <summary>How many rows one retention sweep removed.</summary>
public sealed record RetentionResult(int Alerts, int Audit, int Decisions, int Outbox);

/// <summary>
/// Removes what is older than the retention settings: alerts by when they were stored (a replay of old logs is
/// kept as long as a live alert), audit entries by their time, ended decisions by their end, and finished
/// outbox entries with their decisions. Active decisions and pending effects are never removed.
/// </summary>
public sealed class RetentionSweep(Database db, RetentionOptions retention, TimeProvider clock)
{
    public Task<RetentionResult> RunAsync(CancellationToken ct = default) => db.WriteAsync(async tx =>
    {
        var now = clock.GetUtcNow();
        var alerts = await tx.Command("DELETE FROM alerts WHERE stored_at < @t").With("@t", now - retention.Alerts).ExecAsync(ct);
        var audit = await tx.Command("DELETE FROM audit WHERE at < @t").With("@t", now - retention.Audit).ExecAsync(ct);
        var cutoff = now - retention.Decisions;
        var outbox = await tx.Command("""
            DELETE FROM outbox WHERE state <> 'pending' AND decision_id IN
              (SELECT id FROM decisions WHERE state <> 'active' AND ended_at < @t)
            """).With("@t", cutoff).ExecAsync(ct);
        // a decision with a pending effect stays until the effect has run
        var decisions = await tx.Command("""
            DELETE FROM decisions WHERE state <> 'active' AND ended_at < @t
              AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.decision_id = decisions.id)
            """).With("@t", cutoff).ExecAsync(ct);
        return new RetentionResult(alerts, audit, decisions, outbox);
    }, ct);
}
