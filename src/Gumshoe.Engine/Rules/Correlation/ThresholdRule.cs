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
    /// <summary>Most groups kept; beyond it the stalest group is evicted and counted.</summary>
    public int MaxKeys { get; init; } = 100_000;
    /// <summary>How a fired group arms again: after a quiet gap of T (one alert per burst), or after every N more events.</summary>
    public ThresholdRearm Rearm { get; init; } = ThresholdRearm.AfterQuiet;
}

/// <summary>How a threshold rule re-arms after firing.</summary>
public enum ThresholdRearm { AfterQuiet, EveryCount }

/// <summary>
/// Fires when N matching events of one group have event times t₁ ≤ … ≤ t_N with t_N − t₁ &lt; T (a half-open
/// window: 5 events spanning 59 s fire, spanning exactly 60 s do not). After firing, the group stays quiet while
/// matching events keep arriving less than T apart (they are counted as suppressed); the first event T or more
/// after the previous one starts counting afresh — one alert per burst. State per group is at most N − 1 event
/// references, so memory per active key is bounded.
/// </summary>
public sealed class ThresholdRule : IRule
{
    private readonly Func<Event, bool> _when;
    private readonly GroupKey _group;
    private readonly ThresholdOptions _options;
    private readonly Action<Alert, Event> _decorate;
    private readonly Dictionary<string, State> _states = new(StringComparer.Ordinal);
    private readonly Counter _evicted;
    private readonly Counter _matched;
    private long _sinceSweep;
    private DateTimeOffset _maxSeen;

    public ThresholdRule(string name, Func<Event, bool> when, GroupKey group, ThresholdOptions options, Action<Alert, Event> decorate, MetricsRegistry metrics)
    {
        Name = name;
        _when = when;
        _group = group;
        _options = options;
        _decorate = decorate;
        _evicted = metrics.Counter("gumshoe_rule_keys_evicted_total", "rule", name);
        _matched = metrics.Counter("gumshoe_rule_matches_total", "rule", name);
    }

    public string Name { get; }
    public int ActiveKeys => _states.Count;

    private sealed class State
    {
        public KeyValuePair<string, string>[] Group = [];
        public List<EventRef> Window = [];   // at most N − 1 entries while armed, sorted by time
        public bool Quiet;
        public DateTimeOffset Last;
        public long Suppressed;
    }

    public void OnEvent(Event e, IAlertSink sink)
    {
        if (!_when(e)) return;
        if (!_group.TryGet(e, out var key, out var values)) return;
        _matched.Add();
        var t = e.Timestamp;
        if (t > _maxSeen) _maxSeen = t;
        if (!_states.TryGetValue(key, out var s))
        {
            s = new State { Group = values };
            _states[key] = s;
            if (_states.Count > _options.MaxKeys) Sweep(force: true);
        }
        var T = _options.Within;
        var r = new EventRef(t, e.FilePath, e.Offset);
        if (s.Quiet)
        {
            if (t - s.Last < T)
            {
                if (t > s.Last) s.Last = t;
                s.Suppressed++;
                return;
            }
            s.Quiet = false;
            s.Window.Clear();
        }
        // drop events that can no longer share a window with t
        var w = s.Window;
        var drop = 0;
        while (drop < w.Count && t - w[drop].Timestamp >= T) drop++;
        if (drop > 0) w.RemoveRange(0, drop);
        var at = w.Count;
        while (at > 0 && w[at - 1].Timestamp > t) at--; // a late event keeps the window sorted
        w.Insert(at, r);
        // the latest N events with span < T
        if (w.Count >= _options.Count && w[^1].Timestamp - w[w.Count - _options.Count].Timestamp < T)
        {
            var events = w.GetRange(w.Count - _options.Count, _options.Count);
            var alert = new Alert
            {
                Rule = Name, Group = values, Count = events.Count,
                FirstSeen = events[0].Timestamp, LastSeen = events[^1].Timestamp, Events = events,
            };
            _decorate(alert, e);
            sink.Emit(alert, e);
            w.Clear();
            if (_options.Rearm == ThresholdRearm.AfterQuiet)
            {
                s.Quiet = true;
                s.Last = t;
                s.Suppressed = 0;
            }
        }
        else if (w.Count >= _options.Count) w.RemoveAt(0); // keep at most N − 1 after the check
        if (++_sinceSweep >= 50_000) Sweep(force: false);
    }

    // Drops groups whose window has fully passed (relative to the newest event time seen); when still over the
    // cap, evicts the stalest groups and counts them.
    private void Sweep(bool force)
    {
        _sinceSweep = 0;
        var horizon = _maxSeen - _options.Within;
        List<string>? expired = null;
        foreach (var (k, s) in _states)
        {
            var last = s.Quiet ? s.Last : s.Window.Count > 0 ? s.Window[^1].Timestamp : DateTimeOffset.MinValue;
            if (last <= horizon) (expired ??= []).Add(k);
        }
        if (expired is not null) foreach (var k in expired) _states.Remove(k);
        if (force && _states.Count > _options.MaxKeys)
        {
            var excess = _states.Count - _options.MaxKeys;
            foreach (var k in _states.OrderBy(kv => kv.Value.Quiet ? kv.Value.Last : kv.Value.Window.Count > 0 ? kv.Value.Window[^1].Timestamp : DateTimeOffset.MinValue)
                         .Take(excess).Select(kv => kv.Key).ToList())
            {
                _states.Remove(k);
                _evicted.Add();
            }
        }
    }

    public JsonNode Snapshot()
    {
        var arr = new JsonArray();
        foreach (var (k, s) in _states)
        {
            var window = new JsonArray();
            foreach (var r in s.Window) window.Add(new JsonArray(r.Timestamp.UtcTicks, r.Path, r.Offset));
            arr.Add(new JsonObject
            {
                ["k"] = k,
                ["g"] = new JsonArray(s.Group.Select(g => (JsonNode)new JsonArray(g.Key, g.Value)).ToArray()),
                ["w"] = window,
                ["q"] = s.Quiet,
                ["l"] = s.Last.UtcTicks,
                ["s"] = s.Suppressed,
            });
        }
        return new JsonObject { ["type"] = "threshold", ["max_seen"] = _maxSeen.UtcTicks, ["keys"] = arr };
    }

    public void Restore(JsonNode state)
    {
        _states.Clear();
        _maxSeen = new DateTimeOffset((long)state["max_seen"]!, TimeSpan.Zero);
        foreach (var item in state["keys"]!.AsArray())
        {
            var s = new State
            {
                Group = item!["g"]!.AsArray().Select(g => new KeyValuePair<string, string>((string)g![0]!, (string)g[1]!)).ToArray(),
                Quiet = (bool)item["q"]!,
                Last = new DateTimeOffset((long)item["l"]!, TimeSpan.Zero),
                Suppressed = (long)item["s"]!,
            };
            foreach (var r in item["w"]!.AsArray())
                s.Window.Add(new EventRef(new DateTimeOffset((long)r![0]!, TimeSpan.Zero), (string?)r[1], (long)r[2]!));
            _states[(string)item["k"]!] = s;
        }
    }
}
