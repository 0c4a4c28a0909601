using Gumshoe.Engine.Events;
using Gumshoe.Engine.Rules;

namespace Gumshoe.Engine.Actions;

/// <summary>
/// A side effect a rule (or a decision transition) asks for: run a program, post a webhook, notify Slack or e-mail.
/// Actions run off the hot path; the runner journals each request by <see cref="ActionRequest.Key"/> so it runs
/// exactly once across crashes, and retries a failure that says it is retryable.
/// </summary>
public interface IAction
{
    /// <summary>The action's type under <c>then:</c> (<c>exec</c>, <c>webhook</c>, <c>slack</c>, <c>email</c> …).</summary>
    string Type { get; }

    /// <summary>Performs the action once; throws <see cref="ActionFailedException"/> on failure.</summary>
    Task ExecuteAsync(ActionRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// One execution of an action: a stable idempotency key (rule + group + window start + action index), the alert
/// and event behind it, and the template values (fields, <c>rule</c>, <c>count</c> …) to fill bodies from.
/// </summary>
public sealed record ActionRequest(string Key, string Rule, Alert? Alert, Event Event, IReadOnlyDictionary<string, string> Values);

/// <summary>An action failed; <see cref="Retryable"/> failures are tried again, after <see cref="RetryAfter"/> when given.</summary>
public sealed class ActionFailedException(string message, bool retryable, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(message, inner)
{
    public bool Retryable { get; } = retryable;
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// Where the rules hand side-effect actions: the <see cref="ActionJournal"/> in live mode. <paramref name="index"/>
/// is the action's position in its rule's <c>then:</c> list, which finds the action again after a restart.
/// </summary>
public interface IActionSink
{
    void Enqueue(IAction action, int index, ActionRequest request);
}

/// <summary>An action type that declares its own limits (per-action <c>max_concurrency</c>, <c>attempts</c>).</summary>
public interface IActionLimits
{
    /// <summary>How many executions of this action may run at once.</summary>
    int MaxConcurrency { get; }
    /// <summary>Attempts before a failure is dead-lettered; null for the journal's default.</summary>
    int? Attempts { get; }
}

/// <summary>An action that writes to Gumshoe's log; the journal hands it the host's loggers before it runs.</summary>
public interface IActionWithLogger
{
    void UseLogger(Microsoft.Extensions.Logging.ILoggerFactory loggers);
}
