using System.Data.Common;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gumshoe.Engine.Storage;

namespace Gumshoe.Engine.Decisions;

/// <summary>A filter for <see cref="DecisionStore.ListAsync"/>; null members do not filter.</summary>
public sealed record DecisionQuery
{
    /// <summary>States to include; null = only decisions in force now.</summary>
    public IReadOnlyCollection<DecisionState>? States { get; init; }
    public string? Scope { get; init; }
    public string? Value { get; init; }
    public string? Rule { get; init; }
    /// <summary>A piece of text looked for in the value, reason and rule.</summary>
    public string? Search { get; init; }
    public int Limit { get; init; } = 1000;
    public int Offset { get; init; }
}

/// <summary>
/// Decisions and their transitions: apply (create, extend, escalate — idempotent by trigger), release by hand or by
/// the entity itself, extend, and expiry. Each transition writes the decision, the audit entry and the journaled
/// effects in one transaction; per-entity writes are serialised (PostgreSQL advisory locks, SQLite's single writer)
/// so two nodes never double-punish.
/// </summary>
public sealed class DecisionStore
{
    /// <summary>The rule name of decisions made by hand.</summary>
    public const string ManualRule = "manual";

    private readonly Database _db;
    private readonly AuditLog _audit;
    private readonly Outbox _outbox;
    private readonly TimeProvider _clock;

    public DecisionStore(Database db, AuditLog audit, Outbox outbox, TimeProvider clock, AllowList? allow = null)
    {
        _db = db;
        _audit = audit;
        _outbox = outbox;
        _clock = clock;
        Allow = allow ?? AllowList.Empty;
    }

    /// <summary>Entities never penalised, whatever the rule.</summary>
    public AllowList Allow { get; }

    /// <summary>
    /// Applies a penalty: a new decision, or — when the rule already holds one on the entity — a longer or
    /// escalated one. Refused (no write) for allow-listed entities and during the grace period after a release.
    /// </summary>
    /// <exception cref="ArgumentException">The value does not fit the scope.</exception>
    public async Task<DecisionOutcome> ApplyAsync(DecisionRequest request, string actor, CancellationToken ct = default)
    {
        if (!DecisionScope.TryNormalize(request.Scope, request.Value, out var scope, out var value, out var error, request.Ipv6Prefix))
            throw new ArgumentException($"decision scope {request.Scope}: {error}");
        if (request.Steps.Count == 0) throw new ArgumentException("a decision needs at least one duration");
        if (Allow.Allows(scope, value) || request.Allow?.Allows(scope, value) == true)
            return new DecisionOutcome(DecisionOutcomeKind.AllowListed, null);
        var trigger = request.TriggerKey(scope, value);
        return await _db.WriteAsync(async tx =>
        {
            await _db.LockAsync(tx, $"{request.Rule}\u001f{scope}\u001f{value}", ct);
            // stored in milliseconds: the decision returned equals the one read back
            var now = DateTimeOffset.FromUnixTimeMilliseconds(_clock.GetUtcNow().ToUnixTimeMilliseconds());
            var seen = (string?)await tx.Command("SELECT decision_id FROM decision_triggers WHERE trigger_key = @k").With("@k", trigger).ScalarAsync(ct);
            if (seen is not null) return new DecisionOutcome(DecisionOutcomeKind.Duplicate, await GetAsync(tx.Connection!, tx, seen, ct));

            var history = await tx.Command("SELECT level, last_penalty_at, last_release_at FROM decision_history WHERE rule = @r AND scope = @s AND value = @v")
                .With("@r", request.Rule).With("@s", scope).With("@v", value)
                .ListAsync(r => (Level: (int)r.Long("level"), LastPenalty: r.Time("last_penalty_at"), LastRelease: r.TimeOrNull("last_release_at")), ct);
            var h = history.Count > 0 ? history[0] : default((int Level, DateTimeOffset LastPenalty, DateTimeOffset? LastRelease)?);
            if (h?.LastRelease is { } released && request.Grace > TimeSpan.Zero && now < released + request.Grace)
                return new DecisionOutcome(DecisionOutcomeKind.InGrace, null);

            await ExpireDueAsync(tx, now, request.Rule, scope, value, ct);
            var active = (await tx.Command(SelectDecision + " WHERE rule = @r AND scope = @s AND value = @v AND state = 'active'")
                .With("@r", request.Rule).With("@s", scope).With("@v", value).ListAsync(Map, ct)).FirstOrDefault();

            // escalation: one level up per repeat, one level down per quiet decay period since the last penalty
            var level = 0;
            if (h is { } prev)
            {
                var quiet = request.Decay > TimeSpan.Zero ? (int)Math.Min(int.MaxValue, (now - prev.LastPenalty).Ticks / request.Decay.Ticks) : 0;
                var decayed = active is not null ? prev.Level : prev.Level - quiet;
                level = decayed < 0 ? 0 : decayed + 1;
            }
            level = Math.Min(level, request.Steps.Count - 1);
            var step = request.Steps[level];
            DateTimeOffset? expires = step is { } d ? now + d : null;

            await tx.Command("""
                INSERT INTO decision_history (rule, scope, value, level, last_penalty_at, last_release_at, self_releases)
                VALUES (@r, @s, @v, @l, @now, NULL, 0)
                ON CONFLICT (rule, scope, value) DO UPDATE SET level = @l, last_penalty_at = @now
                """).With("@r", request.Rule).With("@s", scope).With("@v", value).With("@l", level).With("@now", now).ExecAsync(ct);

            if (active is not null)
            {
                // never shorten: a repeat at a lower level (after decay) keeps the longer end
                var newExpires = active.Expires is null || expires is null ? null : (DateTimeOffset?)(expires > active.Expires ? expires : active.Expires);
                var escalated = level > active.Level;
                await tx.Command("UPDATE decisions SET level = @l, expires_at = @e, updated_at = @now WHERE id = @id")
                    .With("@l", Math.Max(level, active.Level)).With("@e", newExpires).With("@now", now).With("@id", active.Id).ExecAsync(ct);
                await InsertTriggerAsync(tx, trigger, active.Id, now, ct);
                await _audit.AppendAsync(tx, actor, escalated ? "escalate" : "extend", active.Id, request.Reason,
                    $"level {Math.Max(level, active.Level)}, until {Until(newExpires)}" + (request.AlertId is null ? "" : $", alert {request.AlertId}"), ct);
                var updated = (await GetAsync(tx.Connection!, tx, active.Id, ct))!;
                return new DecisionOutcome(escalated ? DecisionOutcomeKind.Escalated : DecisionOutcomeKind.Extended, updated);
            }

            var decision = new Decision
            {
                Id = "d-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(trigger)).AsSpan(0, 8)),
                Scope = scope, Value = value, Reason = request.Reason, Rule = request.Rule, AlertId = request.AlertId,
                Priority = request.Priority, Level = level, Explain = request.Explain, Remediation = request.Remediation,
                SelfReleaseMax = request.SelfReleaseMax, Grace = request.Grace, State = DecisionState.Active,
                Created = now, Updated = now, Expires = expires,
            };
            await tx.Command("""
                INSERT INTO decisions (id, scope, value, reason, rule, alert_id, priority, level, explain, remediation,
                  self_release_max, grace_ms, on_release, state, created_at, updated_at, expires_at)
                VALUES (@id, @scope, @value, @reason, @rule, @alert, @prio, @level, @explain, @rem, @srm, @grace, @onrel, 'active', @now, @now, @exp)
                """).With("@id", decision.Id).With("@scope", scope).With("@value", value).With("@reason", request.Reason)
                .With("@rule", request.Rule).With("@alert", request.AlertId).With("@prio", request.Priority).With("@level", level)
                .With("@explain", request.Explain).With("@rem", request.Remediation).With("@srm", request.SelfReleaseMax)
                .With("@grace", (long)request.Grace.TotalMilliseconds).With("@onrel", JsonSerializer.Serialize(request.OnRelease.ToArray(), DecisionJson.Default.StringArray))
                .With("@now", now).With("@exp", expires).ExecAsync(ct);
            await InsertTriggerAsync(tx, trigger, decision.Id, now, ct);
            await _audit.AppendAsync(tx, actor, "create", decision.Id, request.Reason,
                $"{scope} {value} until {Until(expires)}, level {level}" + (request.AlertId is null ? "" : $", alert {request.AlertId}"), ct);
            await JournalAsync(tx, decision, "apply", request.OnApply, ct);
            return new DecisionOutcome(DecisionOutcomeKind.Created, decision);
        }, ct);
    }

    /// <summary>Releases an active decision; the helpdesk (or a script) names who and why.</summary>
    /// <returns>The released decision, or null when there is no active decision with that id.</returns>
    public Task<Decision?> ReleaseAsync(string id, string actor, string reason, CancellationToken ct = default) =>
        EndAsync(id, actor, reason, selfRelease: false, ct);

    /// <summary>
    /// The penalised entity releases itself after following the remediation: allowed at most the decision's
    /// <see cref="Decision.SelfReleaseMax"/> times per rule and entity; after that only the helpdesk can.
    /// </summary>
    /// <exception cref="SelfReleaseRefusedException">Self-release is not offered or used up.</exception>
    public Task<Decision?> SelfReleaseAsync(string id, string actor, string reason, CancellationToken ct = default) =>
        EndAsync(id, actor, reason, selfRelease: true, ct);

    private async Task<Decision?> EndAsync(string id, string actor, string reason, bool selfRelease, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(reason)) throw new ArgumentException("a release needs a reason");
        var current = await GetAsync(id, ct);
        if (current is null) return null;
        return await _db.WriteAsync(async tx =>
        {
            await _db.LockAsync(tx, $"{current.Rule}\u001f{current.Scope}\u001f{current.Value}", ct);
            var now = _clock.GetUtcNow();
            await ExpireDueAsync(tx, now, current.Rule, current.Scope, current.Value, ct);
            var d = await GetAsync(tx.Connection!, tx, id, ct);
            if (d is not { State: DecisionState.Active }) return null;
            if (selfRelease)
            {
                var used = Convert.ToInt64(await tx.Command("SELECT COALESCE(MAX(self_releases), 0) FROM decision_history WHERE rule = @r AND scope = @s AND value = @v")
                    .With("@r", d.Rule).With("@s", d.Scope).With("@v", d.Value).ScalarAsync(ct) ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
                if (used >= d.SelfReleaseMax)
                    throw new SelfReleaseRefusedException(d.SelfReleaseMax == 0
                        ? "this decision cannot be released by the entity itself; contact the helpdesk"
                        : $"self-release used {used} of {d.SelfReleaseMax} times; contact the helpdesk");
            }
            await tx.Command("UPDATE decisions SET state = 'released', ended_at = @now, ended_by = @by, end_reason = @why, updated_at = @now WHERE id = @id")
                .With("@now", now).With("@by", actor).With("@why", reason).With("@id", id).ExecAsync(ct);
            await tx.Command("""
                INSERT INTO decision_history (rule, scope, value, level, last_penalty_at, last_release_at, self_releases)
                VALUES (@r, @s, @v, @l, @created, @now, @inc)
                ON CONFLICT (rule, scope, value) DO UPDATE SET last_release_at = @now, self_releases = decision_history.self_releases + @inc
                """).With("@r", d.Rule).With("@s", d.Scope).With("@v", d.Value).With("@l", d.Level).With("@created", d.Created)
                .With("@now", now).With("@inc", selfRelease ? 1 : 0).ExecAsync(ct);
            await _audit.AppendAsync(tx, actor, selfRelease ? "self_release" : "release", id, reason, null, ct);
            var released = (await GetAsync(tx.Connection!, tx, id, ct))!;
            await JournalAsync(tx, released, "release", await OnReleaseAsync(tx, id, ct), ct);
            return released;
        }, ct);
    }

    /// <summary>Lengthens an active decision by <paramref name="by"/> (null = make it permanent), counted from its current end.</summary>
    /// <returns>The extended decision, or null when there is no active decision with that id.</returns>
    public async Task<Decision?> ExtendAsync(string id, TimeSpan? by, string actor, string reason, CancellationToken ct = default)
    {
        var current = await GetAsync(id, ct);
        if (current is null) return null;
        return await _db.WriteAsync(async tx =>
        {
            await _db.LockAsync(tx, $"{current.Rule}\u001f{current.Scope}\u001f{current.Value}", ct);
            var now = _clock.GetUtcNow();
            await ExpireDueAsync(tx, now, current.Rule, current.Scope, current.Value, ct);
            var d = await GetAsync(tx.Connection!, tx, id, ct);
            if (d is not { State: DecisionState.Active }) return null;
            DateTimeOffset? expires = by is { } span && d.Expires is { } end ? (end > now ? end : now) + span : null;
            await tx.Command("UPDATE decisions SET expires_at = @e, updated_at = @now WHERE id = @id")
                .With("@e", expires).With("@now", now).With("@id", id).ExecAsync(ct);
            await _audit.AppendAsync(tx, actor, "extend", id, reason, $"until {Until(expires)}", ct);
            return await GetAsync(tx.Connection!, tx, id, ct);
        }, ct);
    }

    /// <summary>Marks every decision whose time is up as expired and journals its <c>on_release</c> effects; returns how many.</summary>
    public async Task<int> ExpireDueAsync(CancellationToken ct = default)
    {
        var now = _clock.GetUtcNow();
        var due = await _db.ReadAsync(c => c.Command("SELECT rule, scope, value FROM decisions WHERE state = 'active' AND expires_at IS NOT NULL AND expires_at <= @now")
            .With("@now", now).ListAsync(r => (Rule: r.Str("rule")!, Scope: r.Str("scope")!, Value: r.Str("value")!), ct), ct);
        var count = 0;
        foreach (var (rule, scope, value) in due.Distinct())
            count += await _db.WriteAsync(async tx =>
            {
                await _db.LockAsync(tx, $"{rule}\u001f{scope}\u001f{value}", ct);
                return await ExpireDueAsync(tx, _clock.GetUtcNow(), rule, scope, value, ct);
            }, ct);
        return count;
    }

    // expires one entity's due decisions inside a transaction that holds the entity's lock
    private async Task<int> ExpireDueAsync(DbTransaction tx, DateTimeOffset now, string rule, string scope, string value, CancellationToken ct)
    {
        var due = await tx.Command(SelectDecision + " WHERE rule = @r AND scope = @s AND value = @v AND state = 'active' AND expires_at IS NOT NULL AND expires_at <= @now")
            .With("@r", rule).With("@s", scope).With("@v", value).With("@now", now).ListAsync(Map, ct);
        foreach (var d in due)
        {
            await tx.Command("UPDATE decisions SET state = 'expired', ended_at = expires_at, ended_by = 'system', updated_at = @now WHERE id = @id")
                .With("@now", now).With("@id", d.Id).ExecAsync(ct);
            await _audit.AppendAsync(tx, "system", "expire", d.Id, "expired", null, ct);
            var expired = (await GetAsync(tx.Connection!, tx, d.Id, ct))!;
            await JournalAsync(tx, expired, "release", await OnReleaseAsync(tx, d.Id, ct), ct);
        }
        return due.Count;
    }

    private static async Task<string[]> OnReleaseAsync(DbTransaction tx, string id, CancellationToken ct) =>
        JsonSerializer.Deserialize((string?)await tx.Command("SELECT on_release FROM decisions WHERE id = @id").With("@id", id).ScalarAsync(ct) ?? "[]", DecisionJson.Default.StringArray) ?? [];

    private async Task JournalAsync(DbTransaction tx, Decision d, string transition, IReadOnlyList<string> effects, CancellationToken ct)
    {
        var payload = d.ToJson();
        for (var i = 0; i < effects.Count; i++)
            await _outbox.EnqueueAsync(tx, $"{d.Id}:{transition}:{i}", d.Id, transition, effects[i], payload, ct);
    }

    private static Task InsertTriggerAsync(DbTransaction tx, string trigger, string decisionId, DateTimeOffset now, CancellationToken ct) =>
        tx.Command("INSERT INTO decision_triggers (trigger_key, decision_id, created_at) VALUES (@k, @d, @now)")
            .With("@k", trigger).With("@d", decisionId).With("@now", now).ExecAsync(ct);

    private static string Until(DateTimeOffset? t) => t is { } v ? Events.EventTime.Format(v) : "permanent";

    /// <summary>One decision by id, in any state.</summary>
    public Task<Decision?> GetAsync(string id, CancellationToken ct = default) => _db.ReadAsync(c => GetAsync(c, null, id, ct), ct);

    private static async Task<Decision?> GetAsync(DbConnection c, DbTransaction? tx, string id, CancellationToken ct) =>
        (await c.Command(SelectDecision + " WHERE id = @id", tx).With("@id", id).ListAsync(Map, ct)).FirstOrDefault();

    /// <summary>
    /// Decisions matching a query, highest priority first, then newest. Without states, the ones in force now
    /// (active and not yet past their end, even before the expiry sweep has run).
    /// </summary>
    public Task<List<Decision>> ListAsync(DecisionQuery? query = null, CancellationToken ct = default)
    {
        query ??= new DecisionQuery();
        var now = _clock.GetUtcNow();
        var states = query.States is { } s ? s.Select(Decision.StateName).ToArray() : null;
        var sql = new StringBuilder(SelectDecision).Append(" WHERE 1 = 1");
        if (states is null) sql.Append(" AND state = 'active' AND (expires_at IS NULL OR expires_at > @now)");
        else if (states.Length == 0) sql.Append(" AND 1 = 0");
        else sql.Append(" AND state IN (").Append(string.Join(", ", states.Select((_, i) => $"@st{i}"))).Append(')');
        sql.Append(" AND (@scope IS NULL OR scope = @scope) AND (@value IS NULL OR value = @value) AND (@rule IS NULL OR rule = @rule)");
        sql.Append(" AND (@q IS NULL OR LOWER(value) LIKE @q OR LOWER(reason) LIKE @q OR LOWER(rule) LIKE @q OR id = @qid)");
        sql.Append(" ORDER BY priority DESC, created_at DESC, id LIMIT @limit OFFSET @offset");
        return _db.ReadAsync(c =>
        {
            var cmd = c.Command(sql.ToString()).With("@now", now).With("@scope", query.Scope).With("@value", query.Value).With("@rule", query.Rule)
                .With("@q", query.Search is { Length: > 0 } q ? "%" + q.ToLowerInvariant().Replace("%", "", StringComparison.Ordinal) + "%" : null)
                .With("@qid", query.Search).With("@limit", query.Limit).With("@offset", query.Offset);
            for (var i = 0; i < (states?.Length ?? 0); i++) cmd.With($"@st{i}", states![i]);
            return cmd.ListAsync(Map, ct);
        }, ct);
    }

    /// <summary>
    /// The decisions in force for a visitor — by address (exact, grouped /64 or a covering range) and, when known,
    /// by user name — highest priority first: what <c>/blocked</c> shows.
    /// </summary>
    public async Task<List<Decision>> ActiveForAsync(IPAddress? address, string? user, CancellationToken ct = default)
    {
        var active = new List<Decision>();
        if (address is not null)
        {
            var ranges = await ListAsync(new DecisionQuery { Scope = DecisionScope.Range, Limit = 100_000 }, ct);
            active.AddRange(ranges.Where(d => DecisionScope.Covers(d.Scope, d.Value, address)));
            if (DecisionScope.TryNormalize(DecisionScope.Ip, address.ToString(), out var s, out var v, out _, ipv6Prefix: 128))
                active.AddRange(await ListAsync(new DecisionQuery { Scope = s, Value = v }, ct));
        }
        if (user is not null && DecisionScope.TryNormalize(DecisionScope.User, user, out var us, out var uv, out _))
            active.AddRange(await ListAsync(new DecisionQuery { Scope = us, Value = uv }, ct));
        return [.. active.DistinctBy(d => d.Id).OrderByDescending(d => d.Priority).ThenByDescending(d => d.Created).ThenBy(d => d.Id, StringComparer.Ordinal)];
    }

    /// <summary>How many self-releases the entity has used under the decision's rule.</summary>
    public Task<int> SelfReleasesUsedAsync(Decision d, CancellationToken ct = default) =>
        _db.ReadAsync(async c => Convert.ToInt32(await c.Command("SELECT COALESCE(MAX(self_releases), 0) FROM decision_history WHERE rule = @r AND scope = @s AND value = @v")
            .With("@r", d.Rule).With("@s", d.Scope).With("@v", d.Value).ScalarAsync(ct) ?? 0, System.Globalization.CultureInfo.InvariantCulture), ct);

    private const string SelectDecision = """
        SELECT id, scope, value, reason, rule, alert_id, priority, level, explain, remediation, self_release_max, grace_ms,
          state, created_at, updated_at, expires_at, ended_at, ended_by, end_reason FROM decisions
        """;

    private static Decision Map(DbDataReader r) => new()
    {
        Id = r.Str("id")!, Scope = r.Str("scope")!, Value = r.Str("value")!, Reason = r.Str("reason")!, Rule = r.Str("rule")!,
        AlertId = r.Str("alert_id"), Priority = (int)r.Long("priority"), Level = (int)r.Long("level"),
        Explain = r.Str("explain"), Remediation = r.Str("remediation"), SelfReleaseMax = (int)r.Long("self_release_max"),
        Grace = TimeSpan.FromMilliseconds(r.Long("grace_ms")), State = Decision.ParseState(r.Str("state")!),
        Created = r.Time("created_at"), Updated = r.Time("updated_at"), Expires = r.TimeOrNull("expires_at"),
        Ended = r.TimeOrNull("ended_at"), EndedBy = r.Str("ended_by"), EndReason = r.Str("end_reason"),
    };
}

/// <summary>The entity may not release itself (self-release not offered, or used up).</summary>
public sealed class SelfReleaseRefusedException(string message) : Exception(message);

/// <summary>The store's JSON columns, serialised without reflection (the native build has none to spare).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class DecisionJson : System.Text.Json.Serialization.JsonSerializerContext;
