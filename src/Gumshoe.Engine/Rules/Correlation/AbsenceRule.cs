using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Rules.Conditions;

namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>
/// "A not followed by B within T": an event matching <c>when</c> (A) at t_A opens a wait for its group; an event
/// of the group matching <c>expect</c> (B) with t_A ≤ t_B &lt; t_A + T closes it. When the watermark (event clock
/// minus allowed lateness) reaches t_A + T with the wait still open, the rule fires: count 1, first_seen =
/// last_seen = t_A, the A event as its only event. Further A events while a wait is open do not restart it. The
/// alert is raised by the passing of event time — in replay by later events of any group, live also by wall time
/// when the inputs are quiet — so nothing fires before B could still have arrived.
/// </summary>
public sealed class AbsenceRule : KeyedRule<AbsenceRule.State>
{
    private readonly Func<Event, bool> _when, _expect;
    private readonly TimeSpan _within;
    private readonly DeadlineQueue _deadlines = new();

    public AbsenceRule(string name, Func<Event, bool> when, Func<Event, bool> expect, TimeSpan within, GroupKey group, RuleOptions options, MetricsRegistry metrics)
        : base(name, group, options, metrics)
    {
        _when = when;
        _expect = expect;
        _within = within;
        ClockDue = long.MaxValue; // nothing waits yet
    }

    /// <summary>One group's state.</summary>
    public struct State
    {
        public bool Waiting;
        public EventRef A;
        public long Deadline;
    }

    protected override string TypeName => "absence";
    protected override TimeSpan Horizon => _within;
    protected override bool Pinned(in State s) => s.Waiting;
    protected override bool TimeDriven => true;
    public override bool ClockDriven => true;

    protected override int Match(Event e)
    {
        var m = (_when(e) ? 1 : 0) | (_expect(e) ? 2 : 0);
        return m != 0 ? m : -1;
    }
    protected override bool Creates(int match) => (match & 1) != 0;

    protected override Func<Event, int>? MatcherWith(Func<Func<Event, bool>, Func<Event, bool>> fold)
    {
        var (when, expect) = (fold(_when), fold(_expect));
        var never = ConditionCompiler.Never;
        if (when == never && expect == never) return null;
        if (expect == never) return e => when(e) ? 1 : -1;
        if (when == never) return e => expect(e) ? 2 : -1;
        return e =>
        {
            var m = (when(e) ? 1 : 0) | (expect(e) ? 2 : 0);
            return m != 0 ? m : -1;
        };
    }

    protected override void OnMatch(Event e, int match, GroupKeyValue key, MatchValue value, ref Entry entry, IAlertSink sink)
    {
        ref var s = ref entry.State;
        var t = e.Timestamp.UtcTicks;
        if ((match & 2) != 0 && s.Waiting && t >= s.A.Timestamp.UtcTicks && t < s.Deadline)
        {
            s.Waiting = false;
            return;
        }
        if ((match & 1) != 0 && !s.Waiting)
        {
            s.Waiting = true;
            s.A = RefOf(e);
            s.Deadline = t + _within.Ticks;
            _deadlines.Enqueue(key, s.Deadline);
            if (s.Deadline < ClockDue) ClockDue = s.Deadline;
        }
    }

    protected override void OnClock(long watermark, IAlertSink sink)
    {
        while (_deadlines.TryPeek(out var key, out var deadline) && deadline <= watermark)
        {
            // the groups of the deadlines next in line (most come due together, as their events came): the slot of
            // the eighth on, the entry of the fourth, as a batch fetches its matches' groups
            if (_deadlines.TryPeekAhead(8, out var slotAhead)) PrefetchGroup(slotAhead, stage: 0);
            if (_deadlines.TryPeekAhead(4, out var entryAhead)) PrefetchGroup(entryAhead, stage: 1);
            _deadlines.Dequeue();
            ref var entry = ref Find(key);
            if (Unsafe.IsNullRef(ref entry) || !entry.State.Waiting || entry.State.Deadline != deadline) continue; // closed or evicted
            entry.State.Waiting = false;
            var a = entry.State.A;
            Fire(key, ref entry.Head, 1, [a], trigger: null, sink);
        }
        ClockDue = _deadlines.TryPeek(out _, out var next) ? next : long.MaxValue;
    }

    protected override JsonNode SaveState(in State s) => new JsonObject
    {
        ["w"] = s.Waiting, ["a"] = new JsonArray(s.A.Timestamp.UtcTicks, s.A.Path, s.A.Offset), ["d"] = s.Deadline,
    };

    protected override State LoadState(JsonNode n) =>
        new() { Waiting = (bool)n["w"]!, A = LoadRef(n["a"]!), Deadline = (long)n["d"]! };

    protected override void OnRestored()
    {
        _deadlines.Clear();
        foreach (var (key, s) in Keys()) if (s.Waiting) _deadlines.Enqueue(key, s.Deadline);
        ClockDue = _deadlines.TryPeek(out _, out var next) ? next : long.MaxValue;
    }

    protected override string DescribeMatch(int match) => match < 0
        ? "when: no, expect: no"
        : $"when: {((match & 1) != 0 ? "matches" : "no")}, expect: {((match & 2) != 0 ? "matches" : "no")}";

    protected override string DescribeState(in State s) => s.Waiting
        ? $"waiting since {EventTime.Format(s.A.Timestamp)} for the expected event; fires when the watermark reaches {Time(s.Deadline)} (now {Time(Watermark)})"
        : "not waiting";
}
