using Gumshoe.Engine.Config;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Actions;

/// <summary>The top-level <c>actions:</c> section: queue bound, retries and where failures are recorded.</summary>
public sealed record ActionJournalOptions
{
    /// <summary>Most unfinished actions; beyond it the pipeline stops consuming input until actions finish.</summary>
    public int Queue { get; init; } = 10_000;
    /// <summary>Attempts before a failure is dead-lettered (an action's own <c>attempts</c> wins).</summary>
    public int Attempts { get; init; } = 5;
    /// <summary>First retry delay; doubled per attempt, with jitter, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Concurrency of an action that does not set its own.</summary>
    public int MaxConcurrency { get; init; } = 4;
    /// <summary>The dead-letter file (JSON lines); default <c>DATA_DIR/actions-dead-letter.jsonl</c>.</summary>
    public string? DeadLetter { get; init; }
    /// <summary>Finished action keys remembered so a re-derived request is never run again.</summary>
    public int RememberDone { get; init; } = 10_000;
    /// <summary>How long a clean stop lets running actions finish before it interrupts them (they stay pending).</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Reads the <c>actions:</c> section.</summary>
    public static object Read(ConfigNode node, ComponentContext context) => new ActionJournalOptions
    {
        Queue = node.Int("queue", 1, 10_000_000) ?? 10_000,
        Attempts = node.Int("attempts", 1, 1000) ?? 5,
        Backoff = node.DurationAt("backoff") ?? TimeSpan.FromSeconds(1),
        MaxBackoff = node.DurationAt("max_backoff") ?? TimeSpan.FromMinutes(5),
        MaxConcurrency = node.Int("max_concurrency", 1, 1024) ?? 4,
        DeadLetter = node.Get("dead_letter") is { IsNull: false } d ? d.AsPath() : null,
        RememberDone = node.Int("remember_done", 0, 10_000_000) ?? 10_000,
        ShutdownGrace = node.DurationAt("shutdown_grace") ?? TimeSpan.FromSeconds(5),
    };
}
