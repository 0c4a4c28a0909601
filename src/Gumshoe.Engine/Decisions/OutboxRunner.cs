using System.Text.Json;
using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Decisions;

/// <summary>
/// Runs journaled decision effects (<c>on_apply</c>/<c>on_release</c>) with the <see cref="IAction"/>s registered
/// for them: claims due outbox entries, runs each, marks it done or schedules a retry. A done entry is never run
/// again, a pending one survives any restart; an effect interrupted between running and being marked done is run
/// again after its lease, with the same <see cref="ActionRequest.Key"/>. Each tick it also expires decisions whose
/// time is up, so their <c>on_release</c> effects are journaled without anyone asking.
/// </summary>
public sealed class OutboxRunner(GumshoeStore store, IReadOnlyDictionary<string, IAction> effects, ILogger logger)
{
    /// <summary>How long a claimed entry belongs to this runner before another may retry it.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Attempts before a retryable failure becomes final.</summary>
    public int MaxAttempts { get; init; } = 8;
    /// <summary>Delay before the first retry; doubled for each further attempt, at most one hour.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Expires due decisions, then runs every due effect once; returns how many effects ran (done or failed).</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct = default)
    {
        await store.Decisions.ExpireDueAsync(ct);
        var ran = 0;
        while (true)
        {
            var batch = await store.Outbox.ClaimDueAsync(32, Lease, ct);
            if (batch.Count == 0) return ran;
            foreach (var entry in batch)
            {
                await RunAsync(entry, ct);
                ran++;
            }
        }
    }

    /// <summary>Runs <see cref="RunOnceAsync"/> every <paramref name="interval"/> until cancelled; errors are logged, never fatal.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval, store.Clock);
        do
        {
            try { await RunOnceAsync(ct); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception ex) when (ex is System.Data.Common.DbException or StorageException or IOException)
            {
                logger.LogWarning("decision effects: store unavailable, retrying: {Error}", ex.Message);
            }
        }
        while (await WaitAsync(timer, ct));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }

    private async Task RunAsync(OutboxEntry entry, CancellationToken ct)
    {
        if (!effects.TryGetValue(entry.Effect, out var action))
        {
            logger.LogError("decision {Decision}: effect {Effect} ({Transition}) is no longer configured; marked failed", entry.DecisionId, entry.Effect, entry.Transition);
            await store.Outbox.MarkFailedAsync(entry.Id, $"effect '{entry.Effect}' is not in the configuration", null, ct);
            return;
        }
        try
        {
            await action.ExecuteAsync(Request(entry), ct);
            await store.Outbox.MarkDoneAsync(entry.Id, CancellationToken.None);
            logger.LogInformation("decision {Decision}: {Type} effect of {Transition} done", entry.DecisionId, action.Type, entry.Transition);
        }
        catch (ActionFailedException ex)
        {
            var retry = ex.Retryable && entry.Attempts < MaxAttempts;
            var delay = ex.RetryAfter ?? TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerHour, RetryDelay.Ticks << Math.Min(20, entry.Attempts - 1)));
            logger.LogWarning("decision {Decision}: {Type} effect of {Transition} failed (attempt {Attempt}){Retry}: {Error}",
                entry.DecisionId, action.Type, entry.Transition, entry.Attempts, retry ? $", retrying in {delay}" : ", giving up", ex.Message);
            await store.Outbox.MarkFailedAsync(entry.Id, ex.Message, retry ? store.Clock.GetUtcNow() + delay : null, CancellationToken.None);
        }
    }

    /// <summary>The request an effect sees: the decision's fields as template values and as an event.</summary>
    internal ActionRequest Request(OutboxEntry entry)
    {
        using var doc = JsonDocument.Parse(entry.Payload);
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["transition"] = entry.Transition };
        var e = new Event { Timestamp = store.Clock.GetUtcNow(), Input = "decisions" };
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            var text = p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString()!,
                JsonValueKind.Null => "",
                _ => p.Value.GetRawText(),
            };
            values[p.Name] = text;
            values["decision." + p.Name] = text;
            e.Set("decision." + p.Name, text);
        }
        // the entity under its usual field name, so an effect written for alerts ({source.ip}, {user.name}) works too
        var scope = values.GetValueOrDefault("scope");
        if (scope is not null && DecisionScope.DefaultField(scope) is { } field && scope != DecisionScope.Range)
        {
            values[field] = values["value"];
            e.Set(field, values["value"]);
        }
        return new ActionRequest(entry.EffectKey, values.GetValueOrDefault("rule") ?? "", null, e, values);
    }
}
