using System.Text.Json.Nodes;
using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules.Conditions;
using Gumshoe.Engine.Rules.Correlation;
using YamlDotNet.RepresentationModel;

namespace Gumshoe.Engine.Rules;

/// <summary>
/// The rules of a config, compiled, in rule lists: the <c>main</c> list sees every event; other lists (a rule's
/// <c>list:</c>) run only when a rule's <c>call:</c> names them. Keeps the event clock (per input, the newest event
/// time; the clock is the minimum over inputs), runs <c>emit</c>/<c>call</c> breadth-first after each event, and
/// snapshots every rule's state and the clock together.
/// </summary>
public sealed class RuleSet
{
    /// <summary>The list every event goes through.</summary>
    public const string MainList = "main";
    /// <summary>How deep emit/call may nest (a rule emitting events it matches itself stops here).</summary>
    public const int MaxDepth = 8;

    private readonly List<CompiledRule> _rules = [];
    private readonly Dictionary<string, CompiledRule[]> _lists = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RuleIndex> _indexes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, InputClock> _inputs = new(StringComparer.Ordinal);
    private readonly Queue<(Event Event, string List, int Depth)> _pending = new();
    private static readonly IAlertSink NoAlerts = new DiscardSink();
    private readonly Dispatch _dispatch;
    private readonly Dictionary<string, GroupKey> _groupKeys = new(StringComparer.Ordinal);
    // the rules' field tests, each run once per event however many rules ask (single-threaded, as the group keys)
    private readonly ConditionMemo _memo;
    private readonly ConditionOptions _conditions; // what the rules' conditions are compiled with: the memo
    private readonly ValuePool _values = new(); // the long-lived instances of the values rules keep, shared
    private long _clock;
    private RuleIndex? _main; // the main list's index, looked up once
    private string? _lastInput;
    private InputClock? _lastClock;
    private Counter? _tooDeep, _notRun;
    private CompiledRule[]? _batched; // the main list, when batches may take it (see OnEvents)
    private GroupKey[] _batchGroups = []; // how its rules group events: each works out a batch's keys once
    private long[] _clocks = [];      // per event of a batch: the event clock after it
    private readonly BatchAlerts _batchAlerts = new();

    private sealed class InputClock
    {
        public long Newest;       // newest event time (ticks)
        public long Advanced;     // live: Newest moved on by wall time while the input is quiet
        public long ArrivalWall;  // wall time (ticks) of the newest event's arrival
    }

    /// <summary>A rule with its list, its <c>then:</c> and the text it was compiled from (to keep state across reloads).</summary>
    public sealed class CompiledRule(IRule rule, string list, RuleActions actions, string definition)
    {
        public IRule Rule { get; } = rule;
        public string List { get; } = list;
        public RuleActions Actions { get; } = actions;
        public string Definition { get; } = definition;
        internal Outlet Outlet { get; set; } = null!;
        /// <summary>The rule as batches take it; null for a rule that only takes one event at a time.</summary>
        internal IBatchedRule? Batched { get; } = rule as IBatchedRule;
        /// <summary>Every condition the rule tests events with (when, expect, steps, until); null when not known.</summary>
        internal IReadOnlyList<ConfigNode>? Conditions { get; init; }
        /// <summary>The event fields the rule reads (conditions, group_by, field, the placeholders of its then:); null when not known.</summary>
        internal IReadOnlySet<string>? Reads { get; init; }
    }

    public RuleSet()
    {
        _dispatch = new Dispatch(this);
        _memo = new ConditionMemo();
        _conditions = new ConditionOptions { Memo = _memo };
    }

    /// <summary>All rules, in config order.</summary>
    public IReadOnlyList<IRule> Rules => _rules.Select(r => r.Rule).ToList();

    /// <summary>All rules with their lists and actions.</summary>
    public IReadOnlyList<CompiledRule> Compiled => _rules;

    /// <summary>Where side-effect actions go (the journal, live); null in replay and tests, where they are counted as not run.</summary>
    public IActionSink? Actions { get; set; }

    /// <summary>
    /// Whether each event's arrival is stamped with the wall clock, for <see cref="AdvanceWallClock"/> (live). A replay,
    /// which never advances by wall time, turns it off: reading the clock per event is measurable there.
    /// </summary>
    public bool StampArrivals { get; set; } = true;

    /// <summary>The event clock: the minimum over inputs of their newest event time (live: advanced by quiet wall time).</summary>
    public DateTimeOffset Clock => new(_clock, TimeSpan.Zero);

    /// <summary>Compiles the <c>rules:</c> section of a loaded config, with its registry for actions.</summary>
    public static RuleSet Compile(GumshoeConfig config, MetricsRegistry metrics) => Compile(config.Rules, metrics, config.Components);

    /// <summary>Compiles the <c>rules:</c> section; errors carry the file, line and column.</summary>
    public static RuleSet Compile(ConfigNode? section, MetricsRegistry metrics, ComponentContext? components = null)
    {
        components ??= new ComponentContext { Registry = BuiltInComponents.Create(), ConditionCompiler = ConditionCompiler.Compile };
        var set = new RuleSet { _tooDeep = metrics.Counter("gumshoe_rule_emit_too_deep_total"), _notRun = metrics.Counter("gumshoe_actions_not_run_total", "reason", "no_journal") };
        if (section is null || section.IsNull) return set;
        var calls = new List<(string, ConfigNode)>();
        // the field tests written in more than one place are found first: those are run once per event
        foreach (var node in section.Items)
            foreach (var condition in ConditionNodes(node))
                ConditionCompiler.CountTests(condition, set._memo);
        foreach (var node in section.Items)
        {
            var compiled = CompileRule(node, metrics, components, set);
            calls.AddRange(compiled.Actions.Calls);
            set._rules.Add(compiled);
        }
        foreach (var group in set._rules.GroupBy(r => r.List))
        {
            set._lists[group.Key] = group.ToArray();
            set._indexes[group.Key] = new RuleIndex(set._lists[group.Key]);
        }
        foreach (var (list, at) in calls)
            if (!set._lists.ContainsKey(list)) throw at.Error($"call: no rule list '{list}' (lists: {string.Join(", ", set._lists.Keys.Order(StringComparer.Ordinal))})");
        foreach (var r in set._rules) r.Outlet = new Outlet(set, r);
        set._main = set._indexes.GetValueOrDefault(MainList);
        // a rule whose alerts feed events back (emit, call) changes what the next event meets: one at a time then
        if (set._main is not null && set._rules.All(r => r.Batched is not null && !r.Actions.FeedsBack))
        {
            set._batched = set._lists[MainList];
            set._batchGroups = [.. set._batched.Select(r => r.Batched!.Group).Distinct()];
        }
        return set;
    }

    private static CompiledRule CompileRule(ConfigNode node, MetricsRegistry metrics, ComponentContext components, RuleSet set)
    {
        var name = node.Required("name").AsString();
        if (string.IsNullOrWhiteSpace(name) || name.StartsWith("rule:", StringComparison.Ordinal)) throw node.Error($"invalid rule name '{name}'");
        if (set._rules.Any(r => r.Rule.Name == name)) throw node.Error($"rule '{name}' is defined twice");
        var type = node.Get("type") is { } t ? t.AsEnum("single", "threshold", "distinct_count", "sequence", "absence") : "single";
        var group = GroupKey.Parse(node.Get("group_by"));
        // one instance per spec: a key computed for an event by one rule is reused by the next (single-threaded)
        if (!set._groupKeys.TryGetValue(group.Spec, out var shared)) set._groupKeys[group.Spec] = shared = group;
        group = shared;
        var options = new RuleOptions
        {
            MaxKeys = node.Int("max_keys", 1) ?? 100_000,
            AllowedLateness = node.DurationAt("allowed_lateness") ?? TimeSpan.FromMinutes(1),
            Suppress = node.DurationAt("suppress"),
            DropLate = node.Bool("drop_late"),
        };
        Func<Event, bool> When() => ConditionCompiler.Compile(node.Required("when"), set._conditions);
        TimeSpan Within() => node.Required("within").AsDuration() is var d && d > TimeSpan.Zero ? d : throw node.Required("within").Error("the window must be longer than zero");
        IRule rule = type switch
        {
            "threshold" => new ThresholdRule(name, When(), group, new ThresholdOptions
            {
                Count = node.Required("count").AsInt(1, 1_000_000),
                Within = Within(),
                Rearm = (node.Get("rearm") is { } ra ? ra.AsEnum("after_quiet", "every_count") : "after_quiet") == "every_count"
                    ? ThresholdRearm.EveryCount : ThresholdRearm.AfterQuiet,
            }, options, metrics),
            "distinct_count" => new DistinctCountRule(name, When(), group, new DistinctCountOptions
            {
                Field = node.Required("field").AsString(),
                Count = node.Required("count").AsInt(2, 100_000),
                Within = Within(),
            }, options, metrics, set._values),
            "sequence" => CompileSequence(name, node, group, options, metrics, Within(), set._conditions),
            "absence" => new AbsenceRule(name, When(), ConditionCompiler.Compile(node.Required("expect"), set._conditions), Within(), group, options, metrics),
            _ => new SingleRule(name, When(), group, options, metrics),
        };
        var list = node.String("list") ?? MainList;
        var actions = RuleActions.Compile(node.Get("then"), name, components);
        node.Get("description");
        node.EnsureNoUnknownKeys($"rule '{name}' (type {type})");
        // the rule compiled, so its keys are those of its type: when, expect, until or steps as it has them
        var conditions = ConditionNodes(node).ToList();
        var reads = new HashSet<string>(conditions.SelectMany(ConditionCompiler.ReferencedFields).Concat(group.Fields).Concat(actions.Fields), StringComparer.Ordinal);
        if (type == "distinct_count") reads.Add(node.Required("field").AsString());
        return new CompiledRule(rule, list, actions, Definition(node)) { Conditions = conditions, Reads = reads };
    }

    // Every condition a rule entry holds, read without marking keys used or requiring any (compiling checks them):
    // before compiling, to count the field tests; after it, as the rule's conditions (for the index and the prefilter).
    private static IEnumerable<ConfigNode> ConditionNodes(ConfigNode rule)
    {
        if (!rule.IsMapping) yield break;
        foreach (var key in new[] { "when", "expect", "until" })
            if (rule.Peek(key) is { IsNull: false } c) yield return c;
        if (rule.Peek("steps") is not { IsNull: false } steps) yield break;
        foreach (var step in steps.Items)
            if (step.IsScalar) yield return step;
            else if (step.Peek("when") is { IsNull: false } when) yield return when;
    }

    /// <summary>
    /// Which of <paramref name="candidates"/> <paramref name="field"/> may hold in an event some rule of the main list
    /// matches (any of its conditions); an event whose field holds another value leaves every rule's state alone.
    /// </summary>
    public IReadOnlySet<string> PossibleValues(string field, IReadOnlyCollection<string> candidates)
    {
        var possible = new HashSet<string>(StringComparer.Ordinal);
        if (!_lists.TryGetValue(MainList, out var main)) return possible;
        foreach (var rule in main)
        {
            if (rule.Conditions is null) return new HashSet<string>(candidates, StringComparer.Ordinal);
            foreach (var condition in rule.Conditions)
                possible.UnionWith(ConditionCompiler.PossibleValues(condition, field, candidates));
        }
        return possible;
    }

    /// <summary>
    /// Every event field a rule of any list reads — in conditions, group_by, a distinct_count's field, the
    /// placeholders of titles and emitted events — or null when that is not known, or when side-effect actions run
    /// (<see cref="Actions"/> set), which are handed whole events. An event with only these fields gives the same alerts.
    /// </summary>
    public IReadOnlySet<string>? ReadFields()
    {
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in _rules)
        {
            if (r.Reads is null || (Actions is not null && r.Actions.HasSideEffects)) return null;
            fields.UnionWith(r.Reads);
        }
        return fields;
    }

    private static SequenceRule CompileSequence(string name, ConfigNode node, GroupKey group, RuleOptions options, MetricsRegistry metrics, TimeSpan within, ConditionOptions conditions)
    {
        var steps = new List<SequenceStep>();
        var stepsNode = node.Required("steps");
        foreach (var s in stepsNode.Items)
        {
            var label = (steps.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (s.IsScalar) { steps.Add(new SequenceStep(ConditionCompiler.Compile(s, conditions), 1, within, label)); continue; }
            label = s.String("name") ?? label;
            var count = s.Int("count", 1, 1_000_000) ?? 1;
            var stepWithin = s.DurationAt("within") ?? within;
            steps.Add(new SequenceStep(ConditionCompiler.Compile(s.Required("when"), conditions), count, stepWithin, label));
            s.EnsureNoUnknownKeys($"step {label} of rule '{name}'");
        }
        if (steps.Count is < 1 or > 30) throw stepsNode.Error("a sequence has 1 to 30 steps");
        return new SequenceRule(name, group, new SequenceOptions
        {
            Steps = steps,
            Within = within,
            Ordered = node.Bool("ordered") ?? true,
            Until = node.Get("until") is { IsNull: false } u ? ConditionCompiler.Compile(u, conditions) : null,
        }, options, metrics);
    }

    private static string Definition(ConfigNode node)
    {
        var w = new StringWriter();
        new YamlStream(new YamlDocument(node.Node)).Save(w, assignAnchors: false);
        return w.ToString();
    }

    /// <summary>Feeds one event to the main list, then runs what its alerts emitted or called.</summary>
    public void OnEvent(Event e, IAlertSink sink)
    {
        if (!e.Input.StartsWith("rule:", StringComparison.Ordinal)) Tick(e);
        if (_main is { } main) Run(main, e, sink, 0);
        Drain(sink);
    }

    /// <summary>
    /// Feeds events to the main list with the same effect as <see cref="OnEvent"/> on each in turn — the same state,
    /// the same alerts in the same order — but rule by rule: the rule set goes through the events once, keeping the
    /// event clock after each and letting each rule the index finds note what it matches; then each rule applies its
    /// matches in order. A rule working through its own matches can fetch the groups of those ahead while it works
    /// on one, which one event's few rules cannot: over many keys, most of a rule's time is waiting for its groups.
    /// The alerts are raised as one at a time would raise them: by event, then by the rule's place in the list.
    /// The events must not change until this returns. When a rule's alerts feed events back (<c>emit</c>,
    /// <c>call</c>), the events are fed one at a time.
    /// </summary>
    public void OnEvents(ReadOnlySpan<Event> events, IAlertSink sink)
    {
        if (_batched is not { } rules || events.Length < 2)
        {
            foreach (var e in events) OnEvent(e, sink);
            return;
        }
        var index = _main!;
        if (_clocks.Length < events.Length) _clocks = new long[Math.Max(events.Length, 2 * _clocks.Length)];
        var clocks = _clocks.AsSpan(0, events.Length);
        var alerts = _batchAlerts;
        foreach (var g in _batchGroups) g.BeginBatch(events.Length);
        // a batch arrives at once: its events' arrival is stamped with one reading of the clock
        _arrival = StampArrivals ? Environment.TickCount64 * TimeSpan.TicksPerMillisecond : 0;
        try
        {
            Collect(index, events, clocks);
            for (var i = 0; i < rules.Length; i++)
            {
                alerts.Rule = i;
                rules[i].Batched!.Drain(events, clocks, alerts);
            }
            if (alerts.Count == 0) return;
            foreach (var (_, rule, alert, trigger) in alerts.InOrder()) rules[rule].Outlet.With(sink, 0).Emit(alert, trigger);
        }
        catch
        {
            foreach (var r in rules) r.Batched!.Discard();
            throw;
        }
        finally
        {
            alerts.Clear();
        }
    }

    // The first pass of a batch: the event clock after each event, and the rules that can match it note whether they do.
    private void Collect(RuleIndex index, ReadOnlySpan<Event> events, Span<long> clocks)
    {
        var memo = _memo.Active ? _memo : null;
        try
        {
            for (var j = 0; j < events.Length; j++)
            {
                // a batch's events were made a thousand events ago and have left the cache: fetch them ahead as a
                // replay does as it hands them over (the object, then its field table, then what its fields refer
                // to), twice as far ahead, since an event's turn here is short
                if (j + 8 < events.Length) Event.Prefetch(events[j + 8]);
                if (j + 4 < events.Length) events[j + 4].PrefetchFields();
                if (j + 2 < events.Length) events[j + 2].PrefetchValues();
                var e = events[j];
                if (!e.Input.StartsWith("rule:", StringComparison.Ordinal)) Tick(e.Input, e.Timestamp, _arrival);
                clocks[j] = _clock;
                memo?.Begin(e);
                foreach (var (rule, match) in index.FeedsFor(e))
                    if (match!(e) is >= 0 and var m) rule!.Collect(e, j, m);
            }
        }
        finally { memo?.End(); }
    }

    /// <summary>
    /// Feeds an event of <paramref name="input"/> that no rule of the main list can match (see
    /// <see cref="PossibleValues"/>) without building it: only its event time counts, exactly as in
    /// <see cref="OnEvent"/>.
    /// </summary>
    public void OnUnmatchableEvent(string input, DateTimeOffset timestamp, IAlertSink sink)
    {
        Tick(input, timestamp);
        if (_lists.TryGetValue(MainList, out var main) && _clock != 0)
        {
            var clock = Clock;
            // the other rules are told of the clock before their next event (see IRule.ClockDriven)
            foreach (var r in main)
                if (r.Rule.ClockDriven) r.Rule.AdvanceClock(clock, r.Outlet.With(sink, 0));
        }
        Drain(sink);
    }

    private void Tick(Event e) => Tick(e.Input, e.Timestamp);

    private void Tick(string input, DateTimeOffset timestamp) =>
        Tick(input, timestamp, StampArrivals ? Environment.TickCount64 * TimeSpan.TicksPerMillisecond : 0);

    private long _arrival; // the wall clock (ticks) a batch arrived at, when arrivals are stamped

    // The event's input moves its clock; the set's clock is the minimum over inputs. An event that arrived at wall
    // time `arrival` (ticks; stamped when StampArrivals) marks its input active then.
    private void Tick(string input, DateTimeOffset timestamp, long arrival)
    {
        var t = timestamp.UtcTicks;
        // events come in runs from one input: the last one's clock is remembered
        var c = _lastClock;
        if (!ReferenceEquals(input, _lastInput) || c is null)
        {
            if (!_inputs.TryGetValue(input, out c)) _inputs[input] = c = new InputClock();
            (_lastInput, _lastClock) = (input, c);
        }
        if (StampArrivals) c.ArrivalWall = arrival;
        if (t <= c.Newest) return;
        c.Newest = t;
        if (c.Advanced < t) c.Advanced = t;
        Recompute();
    }

    private bool Recompute()
    {
        var min = long.MaxValue;
        if (_inputs.Count == 1 && _lastClock is { } only) min = Math.Max(only.Newest, only.Advanced);
        else foreach (var c in _inputs.Values) min = Math.Min(min, Math.Max(c.Newest, c.Advanced));
        if (min == long.MaxValue || min <= _clock) return false;
        _clock = min;
        return true;
    }

    /// <summary>
    /// Live mode: an input quiet for a while has its clock moved on by the wall time since its last event, so
    /// absence windows close when a stream goes quiet. Returns whether the clock moved.
    /// </summary>
    public bool AdvanceWallClock(IAlertSink sink)
    {
        var now = Environment.TickCount64 * TimeSpan.TicksPerMillisecond;
        foreach (var c in _inputs.Values)
        {
            var quiet = now - c.ArrivalWall;
            if (quiet >= TimeSpan.TicksPerSecond) c.Advanced = Math.Max(c.Advanced, c.Newest + quiet);
        }
        return Moved(sink);
    }

    /// <summary>
    /// Moves every input's clock on to at least <paramref name="watermark"/> (an analyser: the slowest collector's
    /// event clock), closing the windows it passes. Returns whether the clock moved.
    /// </summary>
    public bool AdvanceClockTo(DateTimeOffset watermark, IAlertSink sink)
    {
        var t = watermark.UtcTicks;
        foreach (var c in _inputs.Values) c.Advanced = Math.Max(c.Advanced, t);
        return Moved(sink);
    }

    private bool Moved(IAlertSink sink)
    {
        if (!Recompute()) return false;
        var clock = Clock;
        foreach (var r in _rules) r.Rule.AdvanceClock(clock, r.Outlet.With(sink, 0));
        Drain(sink);
        return true;
    }

    // Only the rules the index finds for the event (those that can match it, and the clock-driven ones) are visited;
    // a rule skipped keeps an older clock until its next event, which it only needs for its watermark.
    private void Run(RuleIndex index, Event e, IAlertSink sink, int depth)
    {
        if (!_memo.Active)
        {
            Visit(index, e, sink, depth);
            return;
        }
        _memo.Begin(e);
        try { Visit(index, e, sink, depth); }
        finally { _memo.End(); }
    }

    private void Visit(RuleIndex index, Event e, IAlertSink sink, int depth)
    {
        var clock = Clock;
        var visits = index.For(e);
        if (visits.Length > 1)
        {
            // every visited rule's table slot, then its entry, is fetched before any rule runs: the misses overlap
            foreach (var (r, feed) in visits) if (feed) r.Rule.Prefetch(e, 0);
            foreach (var (r, feed) in visits) if (feed) r.Rule.Prefetch(e, 1);
        }
        foreach (var (r, feed) in visits)
        {
            var outlet = r.Outlet.With(sink, depth);
            if (_clock != 0) r.Rule.AdvanceClock(clock, outlet);
            if (feed) r.Rule.OnEvent(e, outlet);
        }
    }

    // Brings the clock of every main-list rule up to date (they all had it after each event before the index), so
    // snapshots and explain show what they showed then. Only rules that are not clock-driven can lag: nothing fires.
    private void SyncClocks()
    {
        if (_clock == 0 || !_lists.TryGetValue(MainList, out var main)) return;
        var clock = Clock;
        foreach (var r in main)
            if (!r.Rule.ClockDriven) r.Rule.AdvanceClock(clock, NoAlerts);
    }

    private sealed class DiscardSink : IAlertSink
    {
        public void Emit(Alert alert, Event? trigger) { }
    }

    private void Drain(IAlertSink sink)
    {
        while (_pending.TryDequeue(out var p))
        {
            if (p.Depth > MaxDepth) { _tooDeep?.Add(); continue; }
            if (_indexes.TryGetValue(p.List, out var list)) Run(list, p.Event, sink, p.Depth);
        }
    }

    /// <summary>What a rule's <c>then:</c> may do to the pipeline: emit a derived event, call a list, request a side effect.</summary>
    public sealed class Dispatch(RuleSet set)
    {
        internal int Depth;

        /// <summary>Queues a derived event for the main list (after the current event).</summary>
        public void Emit(Event derived) => set._pending.Enqueue((derived, MainList, Depth + 1));

        /// <summary>Queues the event for another rule list.</summary>
        public void Call(Event e, string list) => set._pending.Enqueue((e, list, Depth + 1));

        /// <summary>Hands a side-effect action to the journal (live) or counts it as not run (replay).</summary>
        public void Act(IAction action, int index, ActionRequest request)
        {
            if (set.Actions is { } sink) sink.Enqueue(action, index, request);
            else set._notRun?.Add();
        }
    }

    // The sink a rule writes to: decorates the alert, passes it on, then runs the rule's then: list.
    internal sealed class Outlet(RuleSet set, CompiledRule rule) : IAlertSink
    {
        private IAlertSink _outer = null!;
        private int _depth;

        public Outlet With(IAlertSink outer, int depth)
        {
            _outer = outer;
            _depth = depth;
            return this;
        }

        public void Emit(Alert alert, Event? trigger)
        {
            trigger = rule.Actions.TriggerFor(alert, trigger); // a stand-in for an alert of the clock, only when read
            var values = rule.Actions.Values(alert);
            rule.Actions.Decorate(alert, trigger, values);
            _outer.Emit(alert, trigger);
            set._dispatch.Depth = _depth;
            rule.Actions.Run(alert, trigger, values, set._dispatch);
        }
    }

    /// <summary>The side-effect action of a rule at a <c>then:</c> index, for resuming journaled requests.</summary>
    public IAction? FindAction(string rule, int index) => _rules.FirstOrDefault(r => r.Rule.Name == rule)?.Actions.ActionAt(index);

    /// <summary>Rule state and the event clock, for a checkpoint.</summary>
    public JsonObject Snapshot()
    {
        SyncClocks();
        var rules = new JsonObject();
        foreach (var r in _rules) rules[r.Rule.Name] = r.Rule.Snapshot();
        var inputs = new JsonObject();
        foreach (var (name, c) in _inputs) inputs[name] = c.Newest;
        return new JsonObject { ["version"] = 2, ["clock"] = _clock, ["inputs"] = inputs, ["rules"] = rules };
    }

    /// <summary>Restores the rules that still exist; state of removed rules is dropped.</summary>
    public void Restore(JsonNode? state)
    {
        if (state is not JsonObject o || (int?)o["version"] != 2) return;
        _clock = (long?)o["clock"] ?? 0;
        _inputs.Clear();
        (_lastInput, _lastClock) = (null, null);
        var now = Environment.TickCount64 * TimeSpan.TicksPerMillisecond;
        if (o["inputs"] is JsonObject inputs)
            foreach (var (name, t) in inputs) _inputs[name] = new InputClock { Newest = (long)t!, Advanced = (long)t!, ArrivalWall = now };
        if (o["rules"] is not JsonObject rules) return;
        foreach (var r in _rules)
            if (rules[r.Rule.Name] is { } s) r.Rule.Restore(s);
    }

    /// <summary>
    /// After a reload: takes over the state of every rule whose definition is unchanged, and the event clock, from
    /// the set being replaced. Returns the names of the rules whose state was kept.
    /// </summary>
    public IReadOnlyList<string> TakeStateFrom(RuleSet old)
    {
        var kept = new List<string>();
        var snapshot = old.Snapshot();
        var rules = (JsonObject)snapshot["rules"]!;
        foreach (var name in rules.Select(kv => kv.Key).ToList())
        {
            var before = old._rules.First(r => r.Rule.Name == name);
            if (_rules.FirstOrDefault(r => r.Rule.Name == name) is { } now && now.Definition == before.Definition) kept.Add(name);
            else rules.Remove(name);
        }
        Restore(snapshot);
        return kept;
    }

    /// <summary>For <c>gumshoe explain</c>: per rule, whether the event matches and the state of its group.</summary>
    public IEnumerable<(string Rule, string List, string State)> Explain(Event e)
    {
        SyncClocks();
        return _rules.Select(r => (r.Rule.Name, r.List, r.Rule.Describe(e)));
    }
}
