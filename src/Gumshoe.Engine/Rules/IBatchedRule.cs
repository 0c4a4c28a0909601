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
    /// <summary>
    /// How the rule matches an event: the match (its own numbering) or -1. With a <paramref name="fold"/> (which gives
    /// each condition compiled for the events of one dispatch value, see <see cref="Conditions.ConditionCompiler.Specialize"/>),
    /// for those events only, and null when the rule can match none of them.
    /// </summary>
    Func<Event, int>? Matcher(Func<Func<Event, bool>, Func<Event, bool>>? fold);

    /// <summary>How the rule groups events: a batch's keys are worked out there once per event (see <see cref="GroupKey.BeginBatch"/>).</summary>
    GroupKey Group { get; }

    /// <summary>Keeps event <paramref name="at"/> of the batch, which <see cref="Matcher"/> found to be match <paramref name="match"/>.</summary>
    void Collect(Event e, int at, int match);

    /// <summary>Applies the kept matches in order, each after advancing the rule's clock to the event's <paramref name="clocks"/>.</summary>
    void Drain(ReadOnlySpan<Event> events, ReadOnlySpan<long> clocks, BatchAlerts alerts);

    /// <summary>Forgets kept matches (a batch cut short by an exception).</summary>
    void Discard();
}
