using System.Text.Json.Nodes;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Rules.Conditions;

namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>One step of a sequence: a condition, optionally to be met <see cref="Count"/> times within <see cref="Within"/>.</summary>
public sealed record SequenceStep(Func<Event, bool> When, int Count, TimeSpan Within, string Label);

/// <summary>Options of a sequence rule.</summary>
public sealed record SequenceOptions
{
    public required IReadOnlyList<SequenceStep> Steps { get; init; }
    /// <summary>T: from the first event of the first step to the last event of the last step, half-open.</summary>
    public required TimeSpan Within { get; init; }
    /// <summary>When false, the steps may complete in any order (all of them within T).</summary>
    public bool Ordered { get; init; } = true;
    /// <summary>An event of the group matching this cancels the open sequence.</summary>
    public Func<Event, bool>? Until { get; init; }
}

/// <summary>
/// Ordered steps A → B → C by the same group within T. A step completes when its condition has matched Count
/// events spanning less than its own window (count 1: a single event). Ordered (the default): step k + 1 only
/// counts events at or after the time step k completed; the sequence fires when the last step completes less than
/// T after the first event of the first step, with every contributing event, oldest first. While the first step is
/// done and the second awaited, further first-step events slide the first step forward to the newest qualifying
/// events ("≥ 5 failures then a success" keeps tracking the latest 5 failures). An open sequence whose T has passed
/// is dropped and the event is tried as a new first step. <c>until</c>: an event of the group matching it cancels
/// the open sequence. Unordered (<c>ordered: false</c>): each step completes on its own; the rule fires when every
/// step has a completion and all their events span less than T. After firing the group starts from scratch.
/// </summary>
public sealed class SequenceRule : KeyedRule<SequenceRule.State>
{
    private readonly SequenceOptions _seq;
    private readonly Func<Event, bool>[] _steps; // the steps' conditions, tested for every event the rule may match
    private readonly Func<Event, bool>? _until;
    private readonly Counter _cancelled;

    public SequenceRule(string name, GroupKey group, SequenceOptions sequence, RuleOptions options, MetricsRegistry metrics)
        : base(name, group, options, metrics)
    {
        if (sequence.Steps.Count is < 1 or > 30) throw new ArgumentException("a sequence has 1 to 30 steps");
        _seq = sequence;
        _steps = [.. sequence.Steps.Select(s => s.When)];
        _until = sequence.Until;
        _cancelled = metrics.Counter("gumshoe_rule_sequences_cancelled_total", "rule", name);
    }

    private const int UntilBit = 1 << 30;

    /// <summary>One group's state.</summary>
    public struct State
    {
        public int Step;                       // ordered: steps completed
        public long Start, LastStep;           // ordered: first event time, time the last completed step completed
        private List<EventRef>? _events, _slide; // made on first use: most groups never complete a step
        public List<EventRef> Events { get => _events ??= []; init => _events = value; } // ordered: contributing events of completed steps
        public EventWindow Window;             // ordered: the step being counted
        public List<EventRef> Slide { get => _slide ??= []; init => _slide = value; }   // ordered: newest first-step events while the second step is awaited
        internal void ClearLists()
        {
            _events?.Clear();
            _slide?.Clear();
        }
        public EventWindow[]? Windows;         // unordered: per step (made on first use)
        public EventRef[]?[]? Done;            // unordered: per step, its latest completion
    }

    protected override string TypeName => "sequence";
    // a new group's first match writes its first 144 bytes of 216 (key, header, step times, the window's count and first slot, as the runtime lays them out)
    protected override int NewGroupBytes => 144;
    protected override TimeSpan Horizon => _seq.Within;

    // An ordered sequence still counting its first step matters only for that step's window: once the window has
    // passed its events, they can no longer complete the step, and the group is as good as new. The whole T matters
    // only from a completed step on. (Over many keys most groups never complete a step: with a first step of 2 min
    // in a sequence of 10 and the default lateness of 1 min, they go after 3 min instead of 11.)
    protected override TimeSpan ShortestHorizon => _seq.Ordered && _seq.Steps[0].Within < _seq.Within ? _seq.Steps[0].Within : _seq.Within;
    protected override TimeSpan HorizonOf(in State state) => state.Step == 0 ? ShortestHorizon : _seq.Within;

    protected override int Match(Event e)
    {
        var bits = 0;
        var steps = _steps;
        for (var i = 0; i < steps.Length; i++) if (steps[i](e)) bits |= 1 << i;
        if (_until is { } u && u(e)) bits |= UntilBit;
        return bits == 0 ? -1 : bits;
    }

    protected override Func<Event, int>? MatcherWith(Func<Func<Event, bool>, Func<Event, bool>> fold)
    {
        // the conditions left, each with its bit (most events of one dispatch value can match one step only)
        var tests = new List<(Func<Event, bool> Test, int Bit)>();
        for (var i = 0; i < _steps.Length; i++) tests.Add((fold(_steps[i]), 1 << i));
        if (_until is { } u) tests.Add((fold(u), UntilBit));
        tests.RemoveAll(t => t.Test == ConditionCompiler.Never);
        if (tests.Count == 0) return null;
        if (tests.Count == 1)
        {
            var (test, bit) = tests[0];
            return e => test(e) ? bit : -1;
        }
        var (fs, bits) = (tests.Select(t => t.Test).ToArray(), tests.Select(t => t.Bit).ToArray());
        return e =>
        {
            var m = 0;
            for (var i = 0; i < fs.Length; i++) if (fs[i](e)) m |= bits[i];
            return m == 0 ? -1 : m;
        };
    }

    // ordered, only a first-step event can start anything: a group made for a later step alone would wait idle
    protected override bool Creates(int match) => _seq.Ordered ? (match & 1) != 0 : (match & ~UntilBit) != 0;

    protected override void OnMatch(Event e, int match, GroupKeyValue key, MatchValue value, ref Entry entry, IAlertSink sink)
    {
        if ((match & UntilBit) != 0)
        {
            if (IsOpen(entry.State)) _cancelled.Add();
            Reset(ref entry.State);
            return;
        }
        if (_seq.Ordered) Ordered(e, match, key, ref entry, sink);
        else Unordered(e, match, key, ref entry, sink);
    }

    private bool IsOpen(in State s) => _seq.Ordered
        ? s.Step > 0 || s.Window.Count > 0
        : (s.Done?.Any(d => d is not null) ?? false) || (s.Windows?.Any(w => w.Count > 0) ?? false);

    private static void Reset(ref State s)
    {
        s.Step = 0;
        s.Start = s.LastStep = 0;
        s.ClearLists();
        s.Window.Clear();
        if (s.Windows is { } windows)
            for (var i = 0; i < windows.Length; i++) windows[i].Clear();
        if (s.Done is { } done) Array.Clear(done);
    }

    private void Ordered(Event e, int match, GroupKeyValue key, ref Entry entry, IAlertSink sink)
    {
        ref var s = ref entry.State;
        var t = e.Timestamp.UtcTicks;
        var r = RefOf(e);
        if (s.Step > 0 && t - s.Start >= _seq.Within.Ticks) Reset(ref s); // the open sequence ran out of time
        if (s.Step == 1 && (match & 1) != 0 && (match & 2) == 0 && t >= s.LastStep) SlideFirstStep(ref s, r);
        if ((match & (1 << s.Step)) == 0) return;
        if (s.Step > 0 && t < s.LastStep) return; // before the previous step completed: out of order
        var step = _seq.Steps[s.Step];
        if (!s.Window.Add(r, step.Count, step.Within, out var completed)) return;
        if (s.Step == 0)
        {
            s.Start = completed[0].Timestamp.UtcTicks;
            if (_seq.Steps.Count > 1 && step.Count > 1) { s.Slide.Clear(); s.Slide.AddRange(completed); }
        }
        s.Events.AddRange(completed);
        s.LastStep = completed[^1].Timestamp.UtcTicks;
        s.Step++;
        if (s.Step < _seq.Steps.Count) return;
        if (s.LastStep - s.Start < _seq.Within.Ticks)
        {
            var events = s.Events.OrderBy(x => x.Timestamp).ToArray();
            Fire(key, ref entry.Head, events.Length, events, e, sink);
        }
        Reset(ref s);
    }

    // The first step is done and the second awaited: a newer first-step event replaces the oldest of the first
    // step's events when the newest Count of them still fit in the step's window.
    private void SlideFirstStep(ref State s, EventRef r)
    {
        var first = _seq.Steps[0];
        if (first.Count <= 1)
        {
            s.Events[0] = r;
            s.Start = s.LastStep = r.Timestamp.UtcTicks;
            return;
        }
        // the newest Count first-step events: drop the oldest, append this one (in place, no allocation)
        if (r.Timestamp - s.Slide[1].Timestamp >= first.Within) return;
        s.Slide.RemoveAt(0);
        s.Slide.Add(r);
        s.Events.Clear();
        s.Events.AddRange(s.Slide);
        s.Start = s.Slide[0].Timestamp.UtcTicks;
        s.LastStep = r.Timestamp.UtcTicks;
    }

    private void Unordered(Event e, int match, GroupKeyValue key, ref Entry entry, IAlertSink sink)
    {
        ref var s = ref entry.State;
        var n = _seq.Steps.Count;
        if (s.Windows is null || s.Windows.Length != n || s.Done is null) { s.Windows = new EventWindow[n]; s.Done = new EventRef[]?[n]; }
        var t = e.Timestamp.UtcTicks;
        for (var i = 0; i < n; i++)
        {
            if ((match & (1 << i)) == 0) continue;
            var step = _seq.Steps[i];
            if (s.Windows[i].Add(RefOf(e), step.Count, step.Within, out var completed)) s.Done[i] = completed;
        }
        // completions that can no longer share a window of T with this event are dropped
        for (var i = 0; i < n; i++)
            if (s.Done[i] is { } d && t - d[0].Timestamp.UtcTicks >= _seq.Within.Ticks) s.Done[i] = null;
        if (s.Done.Any(d => d is null)) return;
        var events = s.Done.SelectMany(d => d!).OrderBy(x => x.Timestamp).ToArray();
        if (events[^1].Timestamp - events[0].Timestamp >= _seq.Within) return;
        Fire(key, ref entry.Head, events.Length, events, e, sink);
        Reset(ref s);
    }

    protected override JsonNode SaveState(in State s) => new JsonObject
    {
        ["k"] = s.Step, ["s"] = s.Start, ["l"] = s.LastStep,
        ["e"] = Save(s.Events), ["w"] = Save(s.Window.Items), ["sl"] = Save(s.Slide),
        ["uw"] = new JsonArray((s.Windows ?? []).Select(w => (JsonNode)Save(w.Items)).ToArray()),
        ["ud"] = new JsonArray((s.Done ?? []).Select(d => d is null ? null : (JsonNode)Save(d)).ToArray()),
    };

    protected override State LoadState(JsonNode n)
    {
        var s = new State
        {
            Step = (int)n["k"]!, Start = (long)n["s"]!, LastStep = (long)n["l"]!,
            Events = LoadRefs(n["e"]), Slide = LoadRefs(n["sl"]),
        };
        if (s.Step < _seq.Steps.Count) s.Window.Load(LoadRefs(n["w"]), _seq.Steps[s.Step].Count);
        var uw = n["uw"]!.AsArray();
        var ud = n["ud"]!.AsArray();
        if (uw.Count == _seq.Steps.Count)
        {
            s.Windows = new EventWindow[uw.Count];
            s.Done = new EventRef[]?[uw.Count];
            for (var i = 0; i < uw.Count; i++)
            {
                s.Windows[i].Load(LoadRefs(uw[i]), _seq.Steps[i].Count);
                s.Done[i] = ud[i] is null ? null : LoadRefs(ud[i]).ToArray();
            }
        }
        return s;
    }

    protected override string DescribeMatch(int match)
    {
        if (match < 0) return "no step or until matches";
        var parts = _seq.Steps.Select((st, i) => $"step {st.Label}: {((match & (1 << i)) != 0 ? "matches" : "no")}").ToList();
        if (_seq.Until is not null) parts.Add($"until: {((match & UntilBit) != 0 ? "matches" : "no")}");
        return string.Join(", ", parts);
    }

    protected override string DescribeState(in State s)
    {
        var (done, windows) = (s.Done ?? [], s.Windows ?? []);
        if (!_seq.Ordered)
            return string.Join("; ", _seq.Steps.Select((st, i) => $"step {st.Label}: " + (done.Length > i && done[i] is { } d
                ? $"done at {EventTime.Format(d[^1].Timestamp)}"
                : $"{(windows.Length > i ? windows[i].Count : 0)} of {st.Count}")));
        var text = $"{s.Step} of {_seq.Steps.Count} steps done";
        if (s.Step > 0) text += $" (started {Time(s.Start)}, must finish before {Time(s.Start + _seq.Within.Ticks)})";
        if (s.Step < _seq.Steps.Count) text += $"; step {_seq.Steps[s.Step].Label}: {s.Window.Count} of {_seq.Steps[s.Step].Count}";
        return text;
    }
}
