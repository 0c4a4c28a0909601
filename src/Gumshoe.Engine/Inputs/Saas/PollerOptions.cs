using System.Globalization;
using Gumshoe.Engine.Config;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>How a SaaS poller walks time and retries: the options every poller shares.</summary>
public sealed record PollerOptions
{
    /// <summary>Where a poller with no checkpoint starts (<c>start:</c>, RFC 3339 or a duration ago; default one hour ago).</summary>
    public DateTimeOffset Start { get; init; } = DateTimeOffset.UtcNow.AddHours(-1);
    /// <summary>Pause between polls once caught up.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>How far before the last complete window each poll reaches back, for events the API reports late.</summary>
    public TimeSpan Overlap { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>How far behind now a window ends, so events still being written are not half read.</summary>
    public TimeSpan SafetyLag { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Largest window read at once while catching up.</summary>
    public TimeSpan MaxWindow { get; init; } = TimeSpan.FromHours(6);
    /// <summary>Page size asked for (capped by each API's maximum).</summary>
    public int PageSize { get; init; } = 500;
    /// <summary>Time limit of one request.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Tries of one request before the window is given up until the next poll.</summary>
    public int MaxAttempts { get; init; } = 6;
    /// <summary>First back-off delay; doubles each retry, with jitter.</summary>
    public TimeSpan RetryBase { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Longest single wait (back-off, Retry-After or a rate-limit reset).</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMinutes(15);
    /// <summary>Most event ids remembered for de-duplication across the overlap.</summary>
    public int MaxRemembered { get; init; } = 200_000;

    /// <summary>Reads the shared keys of a poller's node, with the poller's own defaults.</summary>
    public static PollerOptions Read(ConfigNode node, PollerOptions defaults)
    {
        var o = defaults;
        if (node.Get("start") is { IsNull: false } s) o = o with { Start = StartOf(s) };
        if (node.DurationAt("interval") is { } i) o = o with { Interval = Positive(node, "interval", i) };
        if (node.DurationAt("overlap") is { } ov) o = o with { Overlap = ov };
        if (node.DurationAt("safety_lag") is { } lag) o = o with { SafetyLag = lag };
        if (node.DurationAt("max_window") is { } mw) o = o with { MaxWindow = Positive(node, "max_window", mw) };
        if (node.Int("page_size", 1, 10_000) is { } ps) o = o with { PageSize = ps };
        if (node.DurationAt("timeout") is { } t) o = o with { Timeout = Positive(node, "timeout", t) };
        if (node.Int("max_attempts", 1, 100) is { } ma) o = o with { MaxAttempts = ma };
        if (node.DurationAt("retry_base") is { } rb) o = o with { RetryBase = rb };
        if (node.DurationAt("max_wait") is { } mx) o = o with { MaxWait = Positive(node, "max_wait", mx) };
        if (node.Int("max_remembered", 1000, 10_000_000) is { } mr) o = o with { MaxRemembered = mr };
        return o;
    }

    /// <summary>An RFC 3339 time, or a duration meaning that long ago; empty means one hour ago.</summary>
    public static DateTimeOffset StartOf(ConfigNode node)
    {
        var text = node.AsString().Trim();
        if (text.Length == 0) return DateTimeOffset.UtcNow.AddHours(-1);
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) && text.Contains('T'))
            return t;
        if (Duration.TryParse(text, out var ago)) return DateTimeOffset.UtcNow - ago;
        throw node.Error($"'start' must be an RFC 3339 time (2026-11-20T07:00:00Z) or a duration ago (1h), got '{text}'");
    }

    private static TimeSpan Positive(ConfigNode node, string key, TimeSpan value) =>
        value > TimeSpan.Zero ? value : throw node.Get(key)!.Error($"'{key}' must be more than zero");
}
