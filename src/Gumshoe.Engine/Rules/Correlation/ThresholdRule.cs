using System.Text.Json.Nodes;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;

namespace Gumshoe.Engine.Rules.Correlation;

/// <summary>Options of a threshold rule.</summary>
public sealed record ThresholdOptions
{
    /// <summary>N: events needed.</summary>
    public required int Count { get; init; }
    /// <summary>T: they must fall within this span (t_N − t_1 &lt; T).</summary>
    public required TimeSpan Within { get; init; }
    /// <summary>How a fired group arms again: after a quiet gap of T (one alert per burst), or after every N more events.</summary>
    public ThresholdRearm Rearm { get; init; } = ThresholdRearm.AfterQuiet;
}

/// <summary>How a threshold rule re-arms after firing.</summary>
public enum ThresholdRearm { AfterQuiet, EveryCount }

/// <summary>
/// Fires when N matching events of one group have event times t₁ ≤ … ≤ t_N with t_N − t₁ &lt; T (a half-open
/// window: 5 events spanning 59 s fire, spanning exactly 60 s do not). The alert carries those N events. After
/// firing, with <c>rearm: after_quiet</c> (the default) the group stays quiet while matching events keep arriving
/// less than T after the previous one (counted as suppressed); the first event T or more after the previous one
/// starts counting afresh — one alert per burst. With <c>rearm: every_count</c> counting restarts right away.
/// State per group is at most N − 1 event references.
/// </summary>
public sealed class ThresholdRule : KeyedRule<ThresholdRule.State>
{
    private readonly Func<Event, bool> _when;
    private readonly ThresholdOptions _threshold;

    public ThresholdRule(string name, Func<Event, bool> when, GroupKey group, ThresholdOptions threshold, RuleOptions options, MetricsRegistry metrics)
        : base(name, group, options, metrics)
    {
        _when = when;
        _threshold = threshold;
    }

    /// <summary>One group's state.</summary>
    public struct State
    {
        public EventWindow Window;
        public bool Quiet;
        public long Last;     // while quiet: the newest event time of the burst
        public int Repeats;   // while quiet: events swallowed by the burst
    }

    protected override string TypeName => "threshold";
    // a new group's first match writes its first 104 bytes of 176 (key, header, the window's count and first slot, as the runtime lays them out)
    protected override int NewGroupBytes => 104;
    protected override TimeSpan Horizon => _threshold.Within;
    protected override int Match(Event e) => _when(e) ? 0 : -1;
    protected override Func<Event, int>? MatcherWith(Func<Func<Event, bool>, Func<Event, bool>> fold) => MatcherOf(fold(_when));

    protected override void OnMatch(Event e, int match, GroupKeyValue key, MatchValue value, ref Entry entry, IAlertSink sink)
    {
        ref var s = ref entry.State;
        var t = e.Timestamp.UtcTicks;
        var T = _threshold.Within.Ticks;
        if (s.Quiet)
        {
            if (t - s.Last < T)
            {
                if (t > s.Last) s.Last = t;
                s.Repeats++;
                return;
            }
            s.Quiet = false;
            s.Window.Clear();
        }
        if (!s.Window.Add(RefOf(e), _threshold.Count, _threshold.Within, out var events)) return;
        Fire(key, ref entry.Head, events.Length, events, e, sink);
        if (_threshold.Rearm == ThresholdRearm.AfterQuiet)
        {
            s.Quiet = true;
            s.Last = t;
            s.Repeats = 0;
        }
    }

    protected override JsonNode SaveState(in State s) => new JsonObject
    {
        ["w"] = Save(s.Window.Items), ["q"] = s.Quiet, ["l"] = s.Last, ["r"] = s.Repeats,
    };

    protected override State LoadState(JsonNode n)
    {
        var s = new State { Quiet = (bool)n["q"]!, Last = (long)n["l"]!, Repeats = (int)n["r"]! };
        s.Window.Load(LoadRefs(n["w"]), _threshold.Count);
        return s;
    }

    protected override string DescribeState(in State s) => s.Quiet
        ? $"fired; quiet while events keep coming less than {Gumshoe.Engine.Config.Duration.Format(_threshold.Within)} apart (last {Time(s.Last)}, {s.Repeats} since)"
        : $"{s.Window.Count} of {_threshold.Count} events in the window" + (s.Window.Count > 0 ? $" (oldest {EventTime.Format(s.Window[0].Timestamp)}, window ends {EventTime.Format(s.Window[0].Timestamp + _threshold.Within)})" : "");
}
