using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;

namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>What every group's state carries: when the group was last touched (event time) and its suppression.</summary>
public abstract class KeyState
{
    /// <summary>Newest event time (UTC ticks) that touched the group.</summary>
    public long Touched;
    /// <summary>Event time (UTC ticks) of the last alert raised for the group, 0 when none.</summary>
    public long LastAlert;
    /// <summary>Alerts suppressed since the last one raised.</summary>
    public int Suppressed;
}

/// <summary>
/// The machinery shared by the correlation types: grouping, event-time lateness, bounded state with eviction,
/// suppression, and the snapshot envelope. A subclass decides what a matching event does to its group's state.
/// </summary>
public abstract class KeyedRule<TState> : IRule where TState : KeyState, new()
{
    private readonly Dictionary<GroupKeyValue, TState> _states = new();
    private readonly Counter _evicted, _expired, _matched, _late, _suppressed;
    private long _sinceSweep;
    private long _newest;   // newest event time (ticks) this rule has seen
    private long _clock;    // the rule set's event clock (ticks), 0 until told

    protected KeyedRule(string name, GroupKey group, RuleOptions options, MetricsRegistry metrics)
    {
        Name = name;
        Group = group;
        Options = options;
        _evicted = metrics.Counter("gumshoe_rule_keys_evicted_total", "rule", name);
        _expired = metrics.Counter("gumshoe_rule_keys_expired_total", "rule", name);
        _matched = metrics.Counter("gumshoe_rule_matches_total", "rule", name);
        _late = metrics.Counter("gumshoe_rule_late_events_total", "rule", name);
        _suppressed = metrics.Counter("gumshoe_rule_suppressed_total", "rule", name);
    }

    public string Name { get; }
    protected GroupKey Group { get; }
    protected RuleOptions Options { get; }
    public int ActiveKeys => _states.Count;

    /// <summary>The type's name in config and snapshots.</summary>
    protected abstract string TypeName { get; }

    /// <summary>How long a group's state matters after it was last touched; older groups are dropped by a sweep.</summary>
    protected abstract TimeSpan Horizon { get; }

    /// <summary>The watermark: event clock minus allowed lateness (ticks); events older than it are late.</summary>
    protected long Watermark => _clock == 0 ? 0 : _clock - Options.AllowedLateness.Ticks;

    /// <summary>Which of the rule's conditions an event matches (subclass numbering), or -1 for none.</summary>
    protected abstract int Match(Event e);

    /// <summary>Whether a match of this kind may create state for a new group (an <c>until</c> or <c>expect</c> may not).</summary>
    protected virtual bool Creates(int match) => true;

    /// <summary>Applies a matching event to its group's state (null when the rule is <see cref="Stateless"/>).</summary>
    protected abstract void OnMatch(Event e, int match, GroupKeyValue key, TState? state, IAlertSink sink);

    /// <summary>A rule that keeps no per-group state (single without suppression).</summary>
    protected virtual bool Stateless => false;

    /// <summary>Whether a group must be kept even past its horizon (an absence waiting for its deadline).</summary>
    protected virtual bool Pinned(TState state) => false;

    protected abstract JsonNode SaveState(TState state);
    protected abstract TState LoadState(JsonNode node);
    protected virtual string DescribeState(TState state) => "";

    public void OnEvent(Event e, IAlertSink sink)
    {
        var m = Match(e);
        if (m < 0) return;
        var t = e.Timestamp.UtcTicks;
        // derived events (input "rule:NAME") carry the time of the evidence they summarise, which may be behind the clock
        if (t < Watermark && !e.Input.StartsWith("rule:", StringComparison.Ordinal))
        {
            _late.Add();
            if (Options.DropLate ?? TimeDriven) return;
        }
        if (!Group.TryGetValue(e, out var key)) return;
        _matched.Add();
        if (t > _newest) _newest = t;
        if (Stateless)
        {
            OnMatch(e, m, key, null, sink);
            return;
        }
        TState? s;
        if (Creates(m))
        {
            // one hash lookup finds the group or makes room for it
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_states, key, out var exists);
            s = slot ??= new TState();
            if (!exists && _states.Count > Options.MaxKeys) Sweep(force: true, keep: key);
        }
        else if (!_states.TryGetValue(key, out s)) return;
        if (t > s.Touched) s.Touched = t;
        OnMatch(e, m, key, s, sink);
        if (++_sinceSweep >= 65_536) Sweep(force: false, keep: key);
    }

    public void AdvanceClock(DateTimeOffset clock, IAlertSink sink)
    {
        var c = clock.UtcTicks;
        if (c <= _clock) return;
        _clock = c;
        OnClock(Watermark, sink);
    }

    /// <summary>Whether <see cref="OnClock"/> acts (raises alerts); the other rules only need the clock for their watermark.</summary>
    public virtual bool ClockDriven => false;

    /// <summary>Whether the rule decides windows by the passing of time (absence): such rules drop late events by default.</summary>
    protected virtual bool TimeDriven => false;

    /// <summary>Called when the watermark moves forward (ticks).</summary>
    protected virtual void OnClock(long watermark, IAlertSink sink) { }

    /// <summary>Looks up a group's state without creating it.</summary>
    protected bool TryGetState(GroupKeyValue key, out TState state) => _states.TryGetValue(key, out state!);

    /// <summary>Forgets a group.</summary>
    protected void Drop(GroupKeyValue key) => _states.Remove(key);

    /// <summary>
    /// Raises an alert for a group unless suppressed (<c>suppress: T</c>: another alert of the group less than T of
    /// event time after the last one raised). Returns whether it was raised.
    /// </summary>
    protected bool Fire(GroupKeyValue key, TState? s, int count, IReadOnlyList<EventRef> events, Event trigger, IAlertSink sink)
    {
        var first = events.Count > 0 ? events[0].Timestamp : trigger.Timestamp;
        var last = events.Count > 0 ? events[^1].Timestamp : trigger.Timestamp;
        if (s is not null && Options.Suppress is { } window && s.LastAlert != 0 && last.UtcTicks - s.LastAlert < window.Ticks)
        {
            s.Suppressed++;
            _suppressed.Add();
            return false;
        }
        var alert = new Alert
        {
            Rule = Name, Group = Group.ValuesOf(key), Count = count, FirstSeen = first, LastSeen = last,
            Events = events, Suppressed = s?.Suppressed ?? 0,
        };
        if (s is not null)
        {
            s.LastAlert = last.UtcTicks;
            s.Suppressed = 0;
        }
        sink.Emit(alert, trigger);
        return true;
    }

    /// <summary>An event standing in for a group when a rule fires without a triggering event (absence).</summary>
    protected Event SyntheticTrigger(GroupKeyValue key, EventRef at)
    {
        var e = new Event { Timestamp = at.Timestamp, FilePath = at.Path, Offset = at.Offset, Input = "rule:" + Name };
        foreach (var (k, v) in Group.ValuesOf(key)) e.Set(k, v);
        e.Set("rule.name", Name);
        return e;
    }

    // Drops groups whose horizon has passed; when still over the cap, evicts the stalest (plus 1% slack, so a
    // stream of new keys does not sort the table on every event) and counts them.
    private void Sweep(bool force, GroupKeyValue keep)
    {
        _sinceSweep = 0;
        var now = Math.Max(_newest, _clock);
        var horizon = now - Horizon.Ticks - Options.AllowedLateness.Ticks - (Options.Suppress?.Ticks ?? 0);
        List<GroupKeyValue>? expired = null;
        foreach (var (k, s) in _states)
            // a group holding suppressed events owes their count to its next alert: only the MaxKeys cap drops it
            if (s.Touched <= horizon && s.Suppressed == 0 && !Pinned(s) && k != keep) (expired ??= []).Add(k);
        if (expired is not null)
        {
            foreach (var k in expired) _states.Remove(k);
            _expired.Add(expired.Count);
        }
        if (!force || _states.Count <= Options.MaxKeys) return;
        var excess = _states.Count - Options.MaxKeys + Math.Max(0, Options.MaxKeys / 100);
        var byAge = new (long Touched, GroupKeyValue Key)[_states.Count];
        var i = 0;
        foreach (var (k, s) in _states) byAge[i++] = (k == keep ? long.MaxValue : s.Touched, k);
        // ties in age go by the key's text, as when keys were strings (only ties pay for the text)
        Array.Sort(byAge, (a, b) => a.Touched != b.Touched ? a.Touched.CompareTo(b.Touched) : string.CompareOrdinal(a.Key.ToString(), b.Key.ToString()));
        for (i = 0; i < excess && i < byAge.Length - 1; i++) _states.Remove(byAge[i].Key);
        _evicted.Add(i);
    }

    public JsonNode Snapshot()
    {
        // groups past their horizon matter to no future alert: a run killed more often than every 65,536 events would
        // otherwise never sweep, and its snapshots (and restarts) would grow with every address ever seen
        if (_sinceSweep > 0) Sweep(force: false, keep: default);
        var keys = new JsonArray();
        foreach (var (k, s) in _states)
        {
            var o = new JsonObject { ["k"] = k.ToString(), ["t"] = s.Touched };
            if (s.LastAlert != 0) o["a"] = s.LastAlert;
            if (s.Suppressed != 0) o["s"] = s.Suppressed;
            o["v"] = SaveState(s);
            keys.Add(o);
        }
        return new JsonObject { ["type"] = TypeName, ["newest"] = _newest, ["clock"] = _clock, ["keys"] = keys };
    }

    public void Restore(JsonNode state)
    {
        _states.Clear();
        if ((string?)state["type"] != TypeName) return; // the rule changed type: its old state means nothing
        _newest = (long?)state["newest"] ?? 0;
        _clock = (long?)state["clock"] ?? 0;
        foreach (var item in state["keys"]!.AsArray())
        {
            var s = LoadState(item!["v"]!);
            s.Touched = (long)item["t"]!;
            s.LastAlert = (long?)item["a"] ?? 0;
            s.Suppressed = (int?)item["s"] ?? 0;
            _states[Group.ValueOf((string)item["k"]!)] = s;
        }
        OnRestored();
    }

    /// <summary>Called after <see cref="Restore"/> (to rebuild indexes over the states).</summary>
    protected virtual void OnRestored() { }

    /// <summary>Every group's key and state.</summary>
    protected IEnumerable<(GroupKeyValue Key, TState State)> Keys() => _states.Select(kv => (kv.Key, kv.Value));

    /// <summary>Which of the rule's conditions a match result stands for (<c>when</c>, steps, <c>until</c> …).</summary>
    protected virtual string DescribeMatch(int match) => match < 0 ? "when: no match" : "when: matches";

    public string Describe(Event e)
    {
        var m = Match(e);
        var matched = DescribeMatch(m);
        if (m >= 0 && e.Timestamp.UtcTicks < Watermark) matched += $" (but late: older than the watermark {Time(Watermark)})";
        return matched + "; " + DescribeGroup(e);
    }

    private string DescribeGroup(Event e)
    {
        if (!Group.TryGetValue(e, out var key)) return $"group: missing one of {string.Join(", ", Group.Labels)}";
        var label = Group.Count == 0 ? "(all events)" : string.Join(", ", Group.ValuesOf(key).Select(v => $"{v.Key}={v.Value}"));
        if (!_states.TryGetValue(key, out var s)) return $"group {label}: no state";
        var text = $"group {label}: {DescribeState(s)}";
        if (s.LastAlert != 0) text += $"; last alert at {EventTime.Format(new DateTimeOffset(s.LastAlert, TimeSpan.Zero))}";
        if (s.Suppressed != 0) text += $"; {s.Suppressed} suppressed since";
        return text;
    }

    protected static JsonArray Save(IEnumerable<EventRef> refs)
    {
        var a = new JsonArray();
        foreach (var r in refs) a.Add(new JsonArray(r.Timestamp.UtcTicks, r.Path, r.Offset));
        return a;
    }

    protected static EventRef LoadRef(JsonNode r) => new(new DateTimeOffset((long)r[0]!, TimeSpan.Zero), (string?)r[1], (long)r[2]!);

    protected static List<EventRef> LoadRefs(JsonNode? a) => a is null ? [] : a.AsArray().Select(r => LoadRef(r!)).ToList();

    protected static EventRef RefOf(Event e) => new(e.Timestamp, e.FilePath, e.Offset);

    protected static string Time(long ticks) => EventTime.Format(new DateTimeOffset(ticks, TimeSpan.Zero));
}
