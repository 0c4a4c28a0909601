using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Rules;

/// <summary>
/// A rule that can take a batch of events in two passes (<see cref="RuleSet.OnEvents"/>): first it notes which
/// events it matches, as the rule set goes through them; then it applies its matches in order, with the event
/// clock each had. Between the passes it knows its groups for the whole batch, so it can fetch those of the events
/// ahead while it works on one: the cache misses of a rule over many keys overlap.
/// </summary>
internal interface IBatchedRule
{
    /// <summary>Matches event <paramref name="at"/> of the batch (the rule set's field tests are in effect) and keeps the match.</summary>
    void Collect(Event e, int at);

    /// <summary>Applies the kept matches in order, each after advancing the rule's clock to the event's <paramref name="clocks"/>.</summary>
    void Drain(ReadOnlySpan<Event> events, ReadOnlySpan<long> clocks, BatchAlerts alerts);

    /// <summary>Forgets kept matches (a batch cut short by an exception).</summary>
    void Discard();
}
