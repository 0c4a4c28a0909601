using System.Buffers;
using System.Text;
using System.Text.Json;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Rules;

namespace Gumshoe.Engine.Storage;

/// <summary>A stored alert: its indexed columns and the JSON written by <see cref="Alert.WriteJson"/>.</summary>
public sealed record StoredAlert(string Id, string Rule, string GroupKey, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, DateTimeOffset Stored, string Json);

/// <summary>
/// Alerts and their contributing events. The alert id is stable (rule + group + first event time), so storing
/// the same alert again — a replay, a restart that re-derives it, a second node — changes nothing.
/// </summary>
public sealed class AlertStore(Database db, TimeProvider clock)
{
    /// <summary>Stores an alert and, when given, the full events behind it; returns false when it was already stored.</summary>
    public async Task<bool> AddAsync(Alert alert, IEnumerable<Event>? events = null, CancellationToken ct = default) =>
        await AddAsync([(alert, events ?? [])], ct) == 1;

    /// <summary>Stores alerts with their events in one transaction; returns how many were new (the rest were stored before).</summary>
    public Task<int> AddAsync(IReadOnlyList<(Alert Alert, IEnumerable<Event> Events)> batch, CancellationToken ct = default)
    {
        var rows = batch.Select(b => (b.Alert, Json: ToJson(b.Alert.WriteJson), Group: string.Join(", ", b.Alert.Group.Select(g => $"{g.Key}={g.Value}")),
            Events: b.Events.Select(e => ToJson(w => EventJson.Write(w, e))).ToList())).ToList();
        return db.WriteAsync(async tx =>
        {
            var added = 0;
            foreach (var (alert, json, groupKey, eventJson) in rows)
            {
                var inserted = await tx.Command("""
                    INSERT INTO alerts (id, rule, group_key, first_seen, last_seen, stored_at, json)
                    VALUES (@id, @rule, @group, @first, @last, @now, @json) ON CONFLICT (id) DO NOTHING
                    """).With("@id", alert.Id).With("@rule", alert.Rule).With("@group", groupKey).With("@first", alert.FirstSeen)
                    .With("@last", alert.LastSeen).With("@now", clock.GetUtcNow()).With("@json", json).ExecAsync(ct);
                if (inserted == 0) continue;
                added++;
                for (var i = 0; i < eventJson.Count; i++)
                    await tx.Command("INSERT INTO alert_events (alert_id, seq, json) VALUES (@id, @seq, @json)")
                        .With("@id", alert.Id).With("@seq", i).With("@json", eventJson[i]).ExecAsync(ct);
            }
            return added;
        }, ct);
    }

    public Task<StoredAlert?> GetAsync(string id, CancellationToken ct = default) =>
        db.ReadAsync(async c => (await c.Command(Select + " WHERE id = @id").With("@id", id).ListAsync(Map, ct)).FirstOrDefault(), ct);

    /// <summary>Alerts newest first (by first event time), optionally of one rule or whose group mentions a value.</summary>
    public Task<List<StoredAlert>> ListAsync(string? rule = null, string? groupContains = null, int limit = 200, int offset = 0, CancellationToken ct = default) =>
        db.ReadAsync(c => c.Command(Select + " WHERE (@r IS NULL OR rule = @r) AND (@g IS NULL OR group_key LIKE @g) ORDER BY first_seen DESC, id LIMIT @limit OFFSET @offset")
            .With("@r", rule).With("@g", groupContains is null ? null : "%" + groupContains + "%").With("@limit", limit).With("@offset", offset)
            .ListAsync(Map, ct), ct);

    /// <summary>The stored events of an alert, as event JSON objects, in order.</summary>
    public Task<List<string>> EventsAsync(string alertId, CancellationToken ct = default) =>
        db.ReadAsync(c => c.Command("SELECT json FROM alert_events WHERE alert_id = @id ORDER BY seq").With("@id", alertId).ListAsync(r => r.GetString(0), ct), ct);

    /// <summary>Every alert in the <c>--alerts-out</c> format, oldest first, without holding them all in memory.</summary>
    public async IAsyncEnumerable<string> ExportAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var cmd = conn.Command("SELECT json FROM alerts ORDER BY first_seen, id");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) yield return r.GetString(0);
    }

    public Task<long> CountAsync(CancellationToken ct = default) =>
        db.ReadAsync(async c => Convert.ToInt64(await c.Command("SELECT COUNT(*) FROM alerts").ScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture), ct);

    private const string Select = "SELECT id, rule, group_key, first_seen, last_seen, stored_at, json FROM alerts";

    private static StoredAlert Map(System.Data.Common.DbDataReader r) =>
        new(r.Str("id")!, r.Str("rule")!, r.Str("group_key")!, r.Time("first_seen"), r.Time("last_seen"), r.Time("stored_at"), r.Str("json")!);

    private static string ToJson(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
