using System.Text.Json.Nodes;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;

namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>
/// Fires on every matching event (count 1, first_seen = last_seen = the event's time). Without <c>suppress</c> it
/// keeps no state at all; with <c>suppress: T</c> it remembers, per group, the time of the last alert and drops
/// (and counts) alerts less than T after it; the next alert raised reports how many were suppressed.
/// </summary>
public sealed class SingleRule(string name, Func<Event, bool> when, GroupKey group, RuleOptions options, MetricsRegistry metrics)
    : KeyedRule<SingleRule.State>(name, group, options, metrics)
{
    /// <summary>One group's state: nothing beyond the suppression bookkeeping of <see cref="KeyState"/>.</summary>
    public struct State;

    protected override string TypeName => "single";
    protected override TimeSpan Horizon => TimeSpan.Zero;
    protected override bool Stateless => Options.Suppress is null;
    protected override int Match(Event e) => when(e) ? 0 : -1;
    protected override Func<Event, int>? MatcherWith(Func<Func<Event, bool>, Func<Event, bool>> fold) => MatcherOf(fold(when));

    protected override void OnMatch(Event e, int match, GroupKeyValue key, MatchValue value, ref Entry entry, IAlertSink sink) =>
        Fire(key, ref entry.Head, 1, [RefOf(e)], e, sink);

    protected override JsonNode SaveState(in State s) => new JsonObject();
    protected override State LoadState(JsonNode n) => new();
    protected override string DescribeState(in State s) => "fires on every match";
}
