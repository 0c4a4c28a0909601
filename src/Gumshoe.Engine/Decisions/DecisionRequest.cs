namespace Gumshoe.Engine.Decisions;

/// <summary>
/// Asks for a penalty on one entity. <see cref="TriggerKey"/> identifies what caused it (rule + scope + value +
/// window): the same key applied twice — a replay, a second node — changes nothing the second time.
/// </summary>
public sealed record DecisionRequest
{
    /// <summary>A scope name (<see cref="DecisionScope"/>) or a field name.</summary>
    public required string Scope { get; init; }
    /// <summary>The raw value; normalised for its scope (IPv6 grouped by <see cref="Ipv6Prefix"/>).</summary>
    public required string Value { get; init; }
    public required string Reason { get; init; }
    public required string Rule { get; init; }
    /// <summary>What caused this request: the alert's window (its id) or, by hand, a fresh id.</summary>
    public required string Window { get; init; }
    public string? AlertId { get; init; }
    /// <summary>Durations by escalation level: [0] is the first penalty, then one per repeat; null = permanent.</summary>
    public IReadOnlyList<TimeSpan?> Steps { get; init; } = [TimeSpan.FromHours(1)];
    /// <summary>Each quiet period of this length since the last penalty lowers the level by one.</summary>
    public TimeSpan Decay { get; init; } = TimeSpan.FromDays(1);
    public int Priority { get; init; }
    public string? Explain { get; init; }
    public string? Remediation { get; init; }
    public int SelfReleaseMax { get; init; }
    public TimeSpan Grace { get; init; }
    public int Ipv6Prefix { get; init; } = 64;
    /// <summary>Effect ids journaled when the decision is applied.</summary>
    public IReadOnlyList<string> OnApply { get; init; } = [];
    /// <summary>Effect ids journaled when it is released or expires.</summary>
    public IReadOnlyList<string> OnRelease { get; init; } = [];
    /// <summary>Entities this request must leave alone (besides the store's own allow-list).</summary>
    public AllowList? Allow { get; init; }

    /// <summary>The idempotency key: rule, scope, value and window.</summary>
    public string TriggerKey(string scope, string value) => string.Join('\u001f', Rule, scope, value, Window);
}

/// <summary>What applying a request did.</summary>
public enum DecisionOutcomeKind
{
    /// <summary>A new decision.</summary>
    Created,
    /// <summary>An active decision of the rule for the entity runs longer.</summary>
    Extended,
    /// <summary>An active decision moved to the next escalation level.</summary>
    Escalated,
    /// <summary>This trigger was applied before; nothing changed.</summary>
    Duplicate,
    /// <summary>The entity is on an allow-list.</summary>
    AllowListed,
    /// <summary>The entity was released recently; the rule's grace period protects it.</summary>
    InGrace,
}

/// <summary>The result of <see cref="DecisionStore.ApplyAsync"/>: what happened and the decision concerned (none when refused).</summary>
public sealed record DecisionOutcome(DecisionOutcomeKind Kind, Decision? Decision);
