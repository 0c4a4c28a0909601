using System.Text.Json.Nodes;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;

namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>Options of a distinct-count rule.</summary>
public sealed record DistinctCountOptions
{
    /// <summary>The field whose distinct values are counted (<c>user.name</c>).</summary>
    public required string Field { get => _field; init => _field = Events.FieldNames.Intern(value); }
    private readonly string _field = "";
    /// <summary>N: distinct values needed.</summary>
    public required int Count { get; init; }
    /// <summary>T: the window.</summary>
    public required TimeSpan Within { get; init; }
}

/// <summary>
/// Fires when one group shows N distinct values of a field within T: at the first matching event after which the
/// group has N distinct values each seen at a time in (t_newest − T, t_newest] (half-open, as for threshold;
/// a value seen several times counts once, at its latest time). The alert carries, per value, its latest event,
/// oldest first. Events without the field do not match. Like threshold with <c>after_quiet</c>, the group then
/// stays quiet while matching events keep arriving less than T apart — one alert per burst. State per group is at
/// most N − 1 values.
/// </summary>
public sealed class DistinctCountRule(string name, Func<Event, bool> when, GroupKey group, DistinctCountOptions distinct, RuleOptions options, MetricsRegistry metrics,
    ValuePool? values = null)
    : KeyedRule<DistinctCountRule.State>(name, group, options, metrics, distinct.Field)
{
    private readonly ValuePool _values = values ?? new ValuePool(); // the long-lived instances of the values kept

    /// <summary>One group's state.</summary>
    public struct State
    {
        public DistinctValues Values;
        public long Newest;
        public bool Quiet;
        public long Last;
    }

    protected override string TypeName => "distinct_count";
    // a new group's first match writes its first 136 bytes of 168 (key, header, the counts and the first value's slot, as the runtime lays them out)
    protected override int NewGroupBytes => 136;
    protected override TimeSpan Horizon => distinct.Within;
    // the field counted is the rule's value field: an event without it does not match (see KeyedRule)
    protected override int Match(Event e) => when(e) ? 0 : -1;
    protected override Func<Event, int>? MatcherWith(Func<Func<Event, bool>, Func<Event, bool>> fold) => MatcherOf(fold(when));

    // the pooled instance a new value is compared with: an old string somewhere on the heap
    protected override void PrefetchFor(MatchValue value) => _values.Prefetch(value.Hash);

    protected override void OnMatch(Event e, int match, GroupKeyValue key, MatchValue value, ref Entry entry, IAlertSink sink)
    {
        ref var s = ref entry.State;
        var t = e.Timestamp.UtcTicks;
        var T = distinct.Within.Ticks;
        if (s.Quiet)
        {
            if (t - s.Last < T) { if (t > s.Last) s.Last = t; return; }
            s.Quiet = false;
            s.Values.Clear();
            s.Newest = 0;
        }
        if (t > s.Newest) s.Newest = t;
        if (s.Newest - t >= T) return; // too old to share the window
        s.Values.RemoveAtOrBefore(s.Newest - T);
        s.Values.Update(value.Text!, value.Hash, RefOf(e), distinct.Count, _values);
        if (s.Values.Count < distinct.Count) return;
        var events = s.Values.Items.Select(v => v.Ref).OrderBy(r => r.Timestamp).ThenBy(r => r.Offset).ToArray();
        Fire(key, ref entry.Head, events.Length, events, e, sink);
        s.Values.Clear();
        s.Quiet = true;
        s.Last = t;
    }

    protected override JsonNode SaveState(in State s)
    {
        var values = new JsonObject();
        foreach (var (v, r) in s.Values.Items) values[v] = new JsonArray(r.Timestamp.UtcTicks, r.Path, r.Offset);
        return new JsonObject { ["v"] = values, ["n"] = s.Newest, ["q"] = s.Quiet, ["l"] = s.Last };
    }

    protected override State LoadState(JsonNode n)
    {
        var s = new State { Newest = (long)n["n"]!, Quiet = (bool)n["q"]!, Last = (long)n["l"]! };
        foreach (var (v, r) in n["v"]!.AsObject()) s.Values.Set(v, LoadRef(r!), distinct.Count);
        return s;
    }

    protected override string DescribeState(in State s) => s.Quiet
        ? $"fired; quiet while events keep coming less than {Gumshoe.Engine.Config.Duration.Format(distinct.Within)} apart (last {Time(s.Last)})"
        : $"{s.Values.Count} of {distinct.Count} distinct {distinct.Field} values in the window ({string.Join(", ", s.Values.Items.Select(v => v.Value).Order(StringComparer.Ordinal))})";
}
