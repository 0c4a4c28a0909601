using System.Text.Json;
using Gumshoe.Engine.Config;

namespace Gumshoe.Engine.Actions.Notifiers;

/// <summary>How a notifier retries and where it records what finally failed.</summary>
public sealed record DeliveryOptions
{
    /// <summary>Tries before a notification is dead-lettered.</summary>
    public int MaxAttempts { get; init; } = 5;
    /// <summary>First back-off delay; doubles each retry, with jitter.</summary>
    public TimeSpan RetryBase { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Longest single wait (a back-off or a Retry-After).</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Time limit of one try.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>JSON-lines file of notifications that finally failed.</summary>
    public required string DeadLetterPath { get; init; }

    /// <summary>Reads <c>max_attempts</c>, <c>retry_base</c>, <c>max_wait</c>, <c>timeout</c> and <c>dead_letter</c>.</summary>
    public static DeliveryOptions Read(ConfigNode node) => new()
    {
        MaxAttempts = node.Int("max_attempts", 1, 100) ?? 5,
        RetryBase = node.DurationAt("retry_base") ?? TimeSpan.FromSeconds(1),
        MaxWait = node.DurationAt("max_wait") ?? TimeSpan.FromMinutes(5),
        Timeout = node.DurationAt("timeout") ?? TimeSpan.FromSeconds(15),
        DeadLetterPath = node.Get("dead_letter") is { IsNull: false } d ? d.AsPath() : DefaultDeadLetterPath(),
    };

    /// <summary>Beside the default checkpoint: <c>$XDG_STATE_HOME/gumshoe/notifications-dead-letter.jsonl</c>.</summary>
    public static string DefaultDeadLetterPath()
    {
        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state)) state = Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? ".", ".local", "state");
        return Path.Combine(state, "gumshoe", "notifications-dead-letter.jsonl");
    }
}

/// <summary>
/// Sends one notification with retries: a failure marked retryable is tried again after its
/// <see cref="ActionFailedException.RetryAfter"/> (Slack's 429) or an exponential back-off with jitter; a
/// notification that finally fails is appended to the dead-letter file (what, where, why, how often tried) and
/// the failure is rethrown as not retryable, so nothing retries it twice.
/// </summary>
public sealed class NotificationDelivery(string type, DeliveryOptions options)
{
    private static readonly object DeadLetterGate = new();

    /// <summary>Waits are taken through this (tests observe them).</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = Task.Delay;

    public DeliveryOptions Options { get; } = options;

    /// <summary>Runs <paramref name="attempt"/> until it succeeds, fails for good, or the tries are used up.</summary>
    public async Task SendAsync(ActionRequest request, string destination, Func<CancellationToken, Task> attempt, CancellationToken ct)
    {
        for (var n = 1; ; n++)
        {
            ActionFailedException failure;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(Options.Timeout);
                try { await attempt(timeout.Token); return; }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new ActionFailedException($"no answer within {Options.Timeout.TotalSeconds:0.#} s", retryable: true);
                }
            }
            catch (ActionFailedException ex) { failure = ex; }
            if (!failure.Retryable || n >= Options.MaxAttempts)
            {
                DeadLetter(request, destination, failure.Message, n);
                throw new ActionFailedException($"{type} notification to {destination} failed after {n} tries: {failure.Message}", retryable: false, inner: failure);
            }
            var wait = failure.RetryAfter ?? Backoff(n);
            await Delay(wait < Options.MaxWait ? wait : Options.MaxWait, ct);
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(Options.RetryBase.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 20)), Options.MaxWait.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private void DeadLetter(ActionRequest request, string destination, string error, int attempts)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("time", DateTimeOffset.UtcNow.ToString("O"));
            w.WriteString("type", type);
            w.WriteString("destination", destination);
            w.WriteString("key", request.Key);
            w.WriteString("rule", request.Rule);
            w.WriteNumber("attempts", attempts);
            w.WriteString("error", error);
            w.WriteStartObject("values");
            foreach (var (k, v) in request.Values) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        lock (DeadLetterGate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Options.DeadLetterPath)!);
            using var f = new FileStream(Options.DeadLetterPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            f.Write(ms.GetBuffer(), 0, (int)ms.Length);
            f.Flush(true);
        }
    }
}
