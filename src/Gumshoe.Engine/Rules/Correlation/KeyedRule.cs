using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Rules.Conditions;

namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>What every group's state carries: when the group was last touched (event time) and its suppression.</summary>
public struct KeyState
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
/// <remarks>
/// A group's state is a struct held by value in the rule's table, beside the <see cref="KeyState"/> header, and is
/// changed in place through a reference: no object per group, key, header and state side by side, and the collector has
/// nothing per group to mark or promote. A reference into the table stays valid until the next group is added.
/// </remarks>
public abstract class KeyedRule<TState> : IRule, IBatchedRule where TState : struct
{
    /// <summary>A match's string in the rule's value field (null when the rule names none) and that string's hash.</summary>
    protected readonly record struct MatchValue(string? Text, int Hash);

    /// <summary>One group's entry: the header every type keeps and the type's own state.</summary>
    protected struct Entry
    {
        public KeyState Head;
        public TState State;
    }

    private readonly GroupTable<Entry> _states;
    private readonly string? _valueField;
    private Entry _scratch; // the entry a stateless rule works on
    private readonly Counter _evicted, _expired;
    private readonly CounterCell _matched, _late, _suppressed; // per event: this rule's own shares, bumped without a lock
    private long _sinceSweep;
    private long _newest;   // newest event time (ticks) this rule has seen
    private long _clock;    // the rule set's event clock (ticks), 0 until told
    private readonly long _lateness; // the allowed lateness (ticks), read on every event of a clock-driven rule

    /// <summary>
    /// A rule; <paramref name="valueField"/> names a field every match must have (an event without it does not match),
    /// whose string is handed to <see cref="OnMatch"/> (read as the event is matched, while it is at hand).
    /// </summary>
    protected KeyedRule(string name, GroupKey group, RuleOptions options, MetricsRegistry metrics, string? valueField = null)
    {
        Name = name;
        _states = new GroupTable<Entry>(NewGroupBytes);
        _valueField = valueField;
        Group = group;
        Options = options;
        _lateness = options.AllowedLateness.Ticks;
        _evicted = metrics.Counter("gumshoe_rule_keys_evicted_total", "rule", name);
        _expired = metrics.Counter("gumshoe_rule_keys_expired_total", "rule", name);
        _matched = metrics.Counter("gumshoe_rule_matches_total", "rule", name).Cell();
        _late = metrics.Counter("gumshoe_rule_late_events_total", "rule", name).Cell();
        _suppressed = metrics.Counter("gumshoe_rule_suppressed_total", "rule", name).Cell();
    }

    public string Name { get; }
    protected GroupKey Group { get; }
    protected RuleOptions Options { get; }
    public int ActiveKeys => _states.Count;

    /// <summary>The type's name in config and snapshots.</summary>
    protected abstract string TypeName { get; }

    /// <summary>
    /// How many bytes from its start a new group's first match writes to its entry (key, header, the state's
    /// counters and first inline slot, as the runtime lays them out): what is fetched ahead for a group that looks
    /// new. By default the whole entry. A constant of the type: read as the rule is made.
    /// </summary>
    protected virtual int NewGroupBytes => int.MaxValue;

    /// <summary>How long a group's state matters after it was last touched; older groups are dropped by a sweep.</summary>
    protected abstract TimeSpan Horizon { get; }

    /// <summary>How long this group's state matters after it was last touched, given the state: at most <see cref="Horizon"/>.</summary>
    protected virtual TimeSpan HorizonOf(in TState state) => Horizon;

    /// <summary>The shortest <see cref="HorizonOf"/> may return (a sweep reads no state of a group touched since).</summary>
    protected virtual TimeSpan ShortestHorizon => Horizon;

    /// <summary>The watermark: event clock minus allowed lateness (ticks); events older than it are late.</summary>
    protected long Watermark => _clock == 0 ? 0 : _clock - _lateness;

    /// <summary>Which of the rule's conditions an event matches (subclass numbering), or -1 for none.</summary>
    protected abstract int Match(Event e);

    /// <summary>Whether a match of this kind may create state for a new group (an <c>until</c> or <c>expect</c> may not).</summary>
    protected virtual bool Creates(int match) => true;

    /// <summary>
    /// Applies a matching event to its group's entry (a blank scratch entry when the rule is <see cref="Stateless"/>);
    /// <paramref name="value"/> is the event's string in the rule's value field with its hash (no text when it names none).
    /// </summary>
    protected abstract void OnMatch(Event e, int match, GroupKeyValue key, MatchValue value, ref Entry entry, IAlertSink sink);

    private int _valueHint = -1; // where events have had the value field (see Event.TryGet)

    // Whether the event has the rule's value field, if it names one, and the field's string with its hash (worked out
    // once: a batch fetches ahead by it, then the rule looks the value up).
    private bool HasValue(Event e, out MatchValue value)
    {
        if (_valueField is null)
        {
            value = default;
            return true;
        }
        var text = e.TryGet(_valueField, ref _valueHint, out var v) && !v.IsNull ? v.AsString() : null;
        value = new MatchValue(text, text?.GetHashCode() ?? 0);
        return text is not null;
    }

    /// <summary>Starts loading what <see cref="OnMatch"/> will read for a match's value besides its group (the value is in the cache).</summary>
    protected virtual void PrefetchFor(MatchValue value) { }

    /// <summary>A rule that keeps no per-group state (single without suppression).</summary>
    protected virtual bool Stateless => false;

    /// <summary>Whether a group must be kept even past its horizon (an absence waiting for its deadline).</summary>
    protected virtual bool Pinned(in TState state) => false;

    protected abstract JsonNode SaveState(in TState state);
    protected abstract TState LoadState(JsonNode node);
    protected virtual string DescribeState(in TState state) => "";

    /// <summary>
    /// Starts loading the table slot (<paramref name="stage"/> 0) or then the entry (1) of the event's group, so that
    /// the cache misses of all the rules an event visits overlap instead of queueing one after another.
    /// </summary>
    /// <remarks>
    /// The event is matched first: only the group of an event the rule matches is fetched (a third or more of the
    /// rules an event visits do not match it). The match is kept for the <see cref="OnEvent"/> that follows.
    /// </remarks>
    public void Prefetch(Event e, int stage)
    {
        if (Stateless) return;
        int m;
        if (stage == 0) (_matchedFor, _matchResult) = (e, m = Match(e));
        else m = ReferenceEquals(e, _matchedFor) ? _matchResult : Match(e);
        if (m < 0 || !Group.TryGetValue(e, out var key)) return;
        PrefetchGroup(key, stage);
    }

    private Event? _matchedFor; // the event Prefetch matched, until OnEvent uses the result
    private int _matchResult;

    public void OnEvent(Event e, IAlertSink sink)
    {
        int m;
        if (ReferenceEquals(e, _matchedFor)) (m, _matchedFor) = (_matchResult, null);
        else m = Match(e);
        if (m < 0 || !HasValue(e, out var value)) return;
        var hasKey = Group.TryGetValue(e, out var key);
        OnMatched(e, m, hasKey, key, hasKey ? GroupTable<Entry>.HashOf(key) : 0, value, sink);
    }

    // A match of a batch, waiting for the rule's turn (see Collect); its group's key is the batch's (GroupKey.KeyAt).
    private struct Pending
    {
        public int At;          // the event's index in the batch
        public int Match;
        public MatchValue Value; // the value field's string
        public bool New;        // its group looked new when its entry was fetched (see FetchAheadOf)
    }

    private Pending[] _pending = [];
    private int _pendingCount;
    private int _newAhead;      // matches fetched as new groups and not yet applied: each will take an entry first

    // How many matches ahead a batch fetches the slot of a group, and half as many its entry: far enough for the
    // misses of several groups to be under way at once (measured: 4–32 differ within this machine's noise).
    private const int FetchAhead = 8;

    Func<Event, int>? IBatchedRule.Matcher(Func<Func<Event, bool>, Func<Event, bool>>? fold) => fold is null ? Match : MatcherWith(fold);

    /// <summary>
    /// <see cref="Match"/> with each of the rule's conditions passed through <paramref name="fold"/> (the same
    /// numbering), or null when no condition that could make a match is left. By default the rule's own.
    /// </summary>
    protected virtual Func<Event, int>? MatcherWith(Func<Func<Event, bool>, Func<Event, bool>> fold) => Match;

    /// <summary>A matcher of one condition, match 0 (see <see cref="MatcherWith"/>): null when it never holds.</summary>
    protected static Func<Event, int>? MatcherOf(Func<Event, bool> when) =>
        when == ConditionCompiler.Never ? null : when == ConditionCompiler.Always ? static _ => 0 : e => when(e) ? 0 : -1;

    void IBatchedRule.Collect(Event e, int at, int m)
    {
        if (!HasValue(e, out var value)) return;
        if (_pendingCount == _pending.Length) Array.Resize(ref _pending, Math.Max(64, _pending.Length * 2));
        Group.KeyAt(at, e); // worked out now, while the event is at hand
        ref var p = ref _pending[_pendingCount++];
        p.At = at;
        p.Match = m;
        p.Value = value;
        p.New = false;
    }

    GroupKey IBatchedRule.Group => Group;

    void IBatchedRule.Drain(ReadOnlySpan<Event> events, ReadOnlySpan<long> clocks, BatchAlerts alerts)
    {
        var pending = _pending.AsSpan(0, _pendingCount);
        _pendingCount = 0;
        _newAhead = 0;
        try
        {
            for (var k = -FetchAhead; k < 0; k++) FetchAheadOf(events, pending, k);
            if (!ClockDriven)
            {
                // told of the clock just before each of its events, as when visited one event at a time
                for (var k = 0; k < pending.Length; k++)
                {
                    FetchAheadOf(events, pending, k);
                    ref var p = ref pending[k];
                    if (p.New) _newAhead--;
                    alerts.At = p.At;
                    AdvanceTo(clocks[p.At], alerts);
                    ref readonly var g = ref Group.KeyAt(p.At);
                    OnMatched(events[p.At], p.Match, g.Has, g.Key, g.Hash, p.Value, alerts);
                }
                return;
            }
            // told of the clock at every event, its own or not: the passing of time may fire it (AdvanceTo inlined:
            // this loop runs for every event of the batch, most of which only move the clock)
            var next = 0;
            for (var j = 0; j < events.Length; j++)
            {
                if (clocks[j] > _clock)
                {
                    _clock = clocks[j];
                    if (_clock - _lateness >= ClockDue)
                    {
                        alerts.At = j;
                        OnClock(_clock - _lateness, alerts);
                    }
                }
                for (; next < pending.Length && pending[next].At == j; next++)
                {
                    FetchAheadOf(events, pending, next);
                    ref var p = ref pending[next];
                    if (p.New) _newAhead--;
                    alerts.At = j;
                    ref readonly var g = ref Group.KeyAt(j);
                    OnMatched(events[j], p.Match, g.Has, g.Key, g.Hash, p.Value, alerts);
                }
            }
        }
        finally
        {
            pending.Clear(); // no key text kept alive
        }
    }

    void IBatchedRule.Discard()
    {
        _pending.AsSpan(0, _pendingCount).Clear();
        _pendingCount = 0;
    }

    // Before working on match k: fetches the slot of match k + FetchAhead, the entry, event and value of match
    // k + FetchAhead / 2, and what the value leads to (by then at hand) of match k + FetchAhead / 4. From
    // k = −FetchAhead on (before the first match), so the first matches are fetched too.
    private void FetchAheadOf(ReadOnlySpan<Event> events, Span<Pending> pending, int k)
    {
        if (Stateless) return;
        var (slot, entry, near) = (k + FetchAhead, k + FetchAhead / 2, k + FetchAhead / 4);
        if (near >= 0 && near < pending.Length && pending[near].Value.Text is not null) PrefetchFor(pending[near].Value);
        if (slot < pending.Length && Group.KeyAt(pending[slot].At) is { Has: true } s) _states.PrefetchSlot(s.Hash);
        if (entry >= 0 && entry < pending.Length && Group.KeyAt(pending[entry].At) is { Has: true } g)
        {
            // a match that may not create its group (an until, an expect) takes no entry when the group is new
            var creates = Creates(pending[entry].Match);
            if (_states.PrefetchEntry(g.Hash, creates ? _newAhead : -1) && creates)
            {
                pending[entry].New = true;
                _newAhead++;
            }
        }
        if (entry >= 0 && entry < pending.Length)
        {
            Event.Prefetch(events[pending[entry].At]);
            if (pending[entry].Value.Text is { } value) CacheLines.Fetch(value);
        }
    }

    // What a matching event does, after the match: late events, the group, its state.
    private void OnMatched(Event e, int m, bool hasKey, GroupKeyValue key, int hash, MatchValue value, IAlertSink sink)
    {
        var t = e.Timestamp.UtcTicks;
        // derived events (input "rule:NAME") carry the time of the evidence they summarise, which may be behind the clock
        if (t < Watermark && !e.Input.StartsWith("rule:", StringComparison.Ordinal))
        {
            _late.Add();
            if (Options.DropLate ?? TimeDriven) return;
        }
        if (!hasKey) return;
        _matched.Add();
        if (t > _newest) _newest = t;
        if (Stateless)
        {
            _scratch = default;
            OnMatch(e, m, key, value, ref _scratch, sink);
            return;
        }
        if (Creates(m))
        {
            // a full table sweeps before it grows, at most once per quarter of its size in events: groups past their
            // horizon make room, so the table keeps near the size of its live groups — in the cache — and growing (a
            // copy into fresh memory) is left for when they need it
            if (_states.Full && _sinceSweep >= _states.Count / 4) Sweep(force: false, keep: key);
            // one hash lookup finds the group or makes room for it
            ref var added = ref _states.GetOrAdd(key, hash, StampOf(t), out var exists);
            if (!exists && _states.Count > Options.MaxKeys)
            {
                Sweep(force: true, keep: key);
                added = ref _states.Find(key, hash);
            }
            Apply(e, m, key, value, ref added, t, sink);
        }
        else
        {
            ref var found = ref _states.Find(key, hash);
            if (Unsafe.IsNullRef(ref found)) return;
            Apply(e, m, key, value, ref found, t, sink);
        }
        if (++_sinceSweep >= 65_536) Sweep(force: false, keep: key);
    }

    private void Apply(Event e, int m, GroupKeyValue key, MatchValue value, ref Entry entry, long t, IAlertSink sink)
    {
        if (t > entry.Head.Touched) entry.Head.Touched = t;
        OnMatch(e, m, key, value, ref entry, sink);
    }

    public void AdvanceClock(DateTimeOffset clock, IAlertSink sink) => AdvanceTo(clock.UtcTicks, sink);

    private void AdvanceTo(long clock, IAlertSink sink)
    {
        if (clock <= _clock) return;
        _clock = clock;
        var watermark = Watermark;
        if (watermark >= ClockDue) OnClock(watermark, sink);
    }

    /// <summary>
    /// The watermark below which <see cref="OnClock"/> would do nothing (an absence rule: its earliest deadline), so
    /// it is not called; by default it is called on every move. A clock-driven rule is told of every event's clock.
    /// </summary>
    protected long ClockDue = long.MinValue;

    /// <summary>Whether <see cref="OnClock"/> acts (raises alerts); the other rules only need the clock for their watermark.</summary>
    public virtual bool ClockDriven => false;

    /// <summary>Whether the rule decides windows by the passing of time (absence): such rules drop late events by default.</summary>
    protected virtual bool TimeDriven => false;

    /// <summary>Called when the watermark moves forward (ticks).</summary>
    protected virtual void OnClock(long watermark, IAlertSink sink) { }

    /// <summary>A group's entry without creating it: a null reference (<see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>) when absent.</summary>
    protected ref Entry Find(GroupKeyValue key) => ref _states.Find(key);

    /// <summary>Starts loading a group's table slot (<paramref name="stage"/> 0) or, once that is in, its entry (1).</summary>
    protected void PrefetchGroup(GroupKeyValue key, int stage)
    {
        if (stage == 0) _states.PrefetchSlot(key);
        else _states.PrefetchEntry(key);
    }

    /// <summary>Forgets a group.</summary>
    protected void Drop(GroupKeyValue key) => _states.Remove(key);

    /// <summary>
    /// Raises an alert for a group unless suppressed (<c>suppress: T</c>: another alert of the group less than T of
    /// event time after the last one raised). Returns whether it was raised. Without a <paramref name="trigger"/>
    /// (absence fires on the passing of time) the alert goes out without one: the rule's outlet makes an event standing
    /// in for the group if its <c>then:</c> reads one.
    /// </summary>
    protected bool Fire(GroupKeyValue key, ref KeyState s, int count, IReadOnlyList<EventRef> events, Event? trigger, IAlertSink sink)
    {
        var first = events.Count > 0 ? events[0].Timestamp : trigger!.Timestamp;
        var last = events.Count > 0 ? events[^1].Timestamp : trigger!.Timestamp;
        // a stateless rule has no suppression, so its scratch header never suppresses
        if (Options.Suppress is { } window && s.LastAlert != 0 && last.UtcTicks - s.LastAlert < window.Ticks)
        {
            s.Suppressed++;
            _suppressed.Add();
            return false;
        }
        var alert = new Alert
        {
            Rule = Name, Group = Group.ValuesOf(key), Count = count, FirstSeen = first, LastSeen = last,
            Events = events, Suppressed = s.Suppressed,
        };
        s.LastAlert = last.UtcTicks;
        s.Suppressed = 0;
        sink.Emit(alert, trigger);
        return true;
    }

    // A lower bound of an event time, kept beside a group's entry (GroupTable's stamp) as the group is made and
    // refreshed by sweeps that find it alive: a sweep reads the entries of only the groups whose stamp says they may
    // have expired, where reading every group's last touch was a cache miss apiece (a table sweeps at every quarter
    // of its size in new groups). In units of 2^24 ticks (1.68 s) since 1970, a shift where seconds would take a
    // division; 0: unknown (before 1970, after 2198, or restored).
    private const int StampShift = 24;
    private const int SweepAhead = 8; // candidates' entries fetched ahead of the one read

    private static int StampOf(long ticks)
    {
        var units = (ticks - DateTime.UnixEpoch.Ticks) >> StampShift;
        return units is > 0 and <= uint.MaxValue ? (int)(uint)units : 0;
    }

    // Drops groups whose horizon has passed; when still over the cap, evicts the stalest (plus 1% slack, so a
    // stream of new keys does not sort the table on every event) and counts them.
    private void Sweep(bool force, GroupKeyValue keep)
    {
        _sinceSweep = 0;
        var now = Math.Max(_newest, _clock);
        var bound = now - Options.AllowedLateness.Ticks - (Options.Suppress?.Ticks ?? 0);
        var (shortest, longest) = (bound - ShortestHorizon.Ticks, bound - Horizon.Ticks);
        var kept = _states.IndexOf(keep);
        // first the groups that may have expired, by their stamps alone; then their entries, each fetched a few
        // groups ahead (read, and most of them freed: cleared whole)
        var candidates = ArrayPool<int>.Shared.Rent(Math.Max(1, _states.End));
        // a group stamped s was touched at or after s units: alive for sure when s > ⌊shortest / unit⌋
        var alive = (shortest - DateTime.UnixEpoch.Ticks) >> StampShift;
        var found = 0;
        for (var i = 0; i < _states.End; i++)
        {
            if (!_states.IsUsed(i)) continue;
            var stamp = (uint)_states.StampAt(i);
            if (stamp == 0 || stamp <= alive) candidates[found++] = i;
        }
        var expired = 0;
        for (var k = 0; k < found; k++)
        {
            if (k + SweepAhead < found) _states.PrefetchAt(candidates[k + SweepAhead]);
            var i = candidates[k];
            ref var s = ref _states.ValueAt(i);
            var touched = s.Head.Touched;
            if (touched > shortest || (touched > longest && touched > bound - HorizonOf(s.State).Ticks))
            {
                _states.StampAt(i) = StampOf(touched); // touched since it was stamped: not read again until this passes
                continue;
            }
            // a group holding suppressed events owes their count to its next alert: only the MaxKeys cap drops it
            if (s.Head.Suppressed == 0 && !Pinned(s.State) && i != kept)
            {
                _states.FreeAt(i);
                expired++;
            }
        }
        ArrayPool<int>.Shared.Return(candidates);
        if (expired > 0)
        {
            _states.Relink();
            _expired.Add(expired);
        }
        if (!force || _states.Count <= Options.MaxKeys) return;
        var excess = _states.Count - Options.MaxKeys + Math.Max(0, Options.MaxKeys / 100);
        var byAge = new (long Touched, GroupKeyValue Key, int At)[_states.Count];
        var n = 0;
        for (var i = 0; i < _states.End; i++)
            if (_states.IsUsed(i)) byAge[n++] = (_states.KeyAt(i) == keep ? long.MaxValue : _states.ValueAt(i).Head.Touched, _states.KeyAt(i), i);
        // ties in age go by the key's text, as when keys were strings (only ties pay for the text)
        Array.Sort(byAge, (a, b) => a.Touched != b.Touched ? a.Touched.CompareTo(b.Touched) : string.CompareOrdinal(a.Key.ToString(), b.Key.ToString()));
        var evicted = 0;
        for (; evicted < excess && evicted < byAge.Length - 1; evicted++) _states.FreeAt(byAge[evicted].At);
        if (evicted > 0) _states.Relink();
        _evicted.Add(evicted);
    }

    public JsonNode Snapshot()
    {
        // groups past their horizon matter to no future alert: a run killed more often than every 65,536 events would
        // otherwise never sweep, and its snapshots (and restarts) would grow with every address ever seen
        if (_sinceSweep > 0) Sweep(force: false, keep: default);
        var keys = new JsonArray();
        for (var i = 0; i < _states.End; i++)
        {
            if (!_states.IsUsed(i)) continue;
            ref var s = ref _states.ValueAt(i);
            var o = new JsonObject { ["k"] = _states.KeyAt(i).ToString(), ["t"] = s.Head.Touched };
            if (s.Head.LastAlert != 0) o["a"] = s.Head.LastAlert;
            if (s.Head.Suppressed != 0) o["s"] = s.Head.Suppressed;
            o["v"] = SaveState(s.State);
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
            var head = new KeyState { Touched = (long)item!["t"]!, LastAlert = (long?)item["a"] ?? 0, Suppressed = (int?)item["s"] ?? 0 };
            _states.GetOrAdd(Group.ValueOf((string)item["k"]!), out _) = new Entry { Head = head, State = LoadState(item["v"]!) };
        }
        OnRestored();
    }

    /// <summary>Called after <see cref="Restore"/> (to rebuild indexes over the states).</summary>
    protected virtual void OnRestored() { }

    /// <summary>Every group's key and state.</summary>
    protected List<(GroupKeyValue Key, TState State)> Keys()
    {
        var keys = new List<(GroupKeyValue, TState)>(_states.Count);
        for (var i = 0; i < _states.End; i++)
            if (_states.IsUsed(i)) keys.Add((_states.KeyAt(i), _states.ValueAt(i).State));
        return keys;
    }

    /// <summary>Which of the rule's conditions a match result stands for (<c>when</c>, steps, <c>until</c> …).</summary>
    protected virtual string DescribeMatch(int match) => match < 0 ? "when: no match" : "when: matches";

    public string Describe(Event e)
    {
        var m = Match(e);
        if (m >= 0 && !HasValue(e, out _)) m = -1;
        var matched = DescribeMatch(m);
        if (m >= 0 && e.Timestamp.UtcTicks < Watermark) matched += $" (but late: older than the watermark {Time(Watermark)})";
        return matched + "; " + DescribeGroup(e);
    }

    private string DescribeGroup(Event e)
    {
        if (!Group.TryGetValue(e, out var key)) return $"group: missing one of {string.Join(", ", Group.Labels)}";
        var label = Group.Count == 0 ? "(all events)" : string.Join(", ", Group.ValuesOf(key).Select(v => $"{v.Key}={v.Value}"));
        ref var found = ref _states.Find(key);
        if (Unsafe.IsNullRef(ref found)) return $"group {label}: no state";
        var g = found;
        var s = g.Head;
        var text = $"group {label}: {DescribeState(g.State)}";
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
