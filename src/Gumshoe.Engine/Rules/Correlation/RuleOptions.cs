namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>Settings every correlation rule shares: state bounds, event-time lateness and alert suppression.</summary>
public sealed record RuleOptions
{
    /// <summary>Most groups kept; beyond it the stalest groups are evicted and counted.</summary>
    public int MaxKeys { get; init; } = 100_000;

    /// <summary>
    /// How far behind the event clock an event may be and still be sure to count: absence windows close only when
    /// clock − lateness passes their end, and group state is kept that much longer.
    /// </summary>
    public TimeSpan AllowedLateness { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Whether events older than the watermark are dropped (counted). Null: only for time-driven rules (absence),
    /// whose windows are decided when the watermark passes; the others place a late event exactly where it belongs.
    /// </summary>
    public bool? DropLate { get; init; }

    /// <summary>After an alert for a group, further alerts of the same rule and group within this span are suppressed and counted.</summary>
    public TimeSpan? Suppress { get; init; }
}
