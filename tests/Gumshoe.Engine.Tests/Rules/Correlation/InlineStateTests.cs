using System.Text.Json.Nodes;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Rules.Correlation;
using static Gumshoe.Engine.Tests.Rules.RuleKit;

namespace Gumshoe.Engine.Tests.Rules.Correlation;

/// <summary>
/// Group state held by value in the rule tables: windows and distinct values kept inline up to a few entries, then
/// spilled to arrays; the same results as the array-backed versions, snapshots unchanged, evicted groups reused clean.
/// </summary>
public sealed class InlineStateTests
{
    private static EventRef At(long seconds, long offset = 0) => new(T0.AddSeconds(seconds), seconds % 3 == 0 ? null : "/var/log/f" + seconds % 2, offset);

    [Fact]
    public void TheWindowFiresExactlyAsTheArrayWindowModelAcrossTheInlineToArrayBoundary()
    {
        var rng = new Random(7);
        for (var round = 0; round < 400; round++)
        {
            var n = rng.Next(2, 12);
            var within = TimeSpan.FromSeconds(rng.Next(5, 60));
            var window = new EventWindow();
            var model = new ModelWindow();
            var t = 0L;
            for (var i = 0; i < 60; i++)
            {
                // mostly in order, sometimes late, sometimes a gap that empties the window
                t += rng.Next(10) switch { 0 => -rng.Next(1, 20), 1 => rng.Next(30, 90), _ => rng.Next(0, 4) };
                var r = At(t, i);
                var fired = window.Add(r, n, within, out var events);
                var modelFired = model.Add(r, n, within, out var modelEvents);
                Assert.Equal(modelFired, fired);
                Assert.Equal(modelEvents, events);
                Assert.Equal(model.Items, window.Items);
                if (rng.Next(40) == 0) { window.Clear(); model.Clear(); }
            }
        }
    }

    [Fact]
    public void AWindowLoadedBeyondTheInlineSlotsKeepsCountingFromIt()
    {
        var held = Enumerable.Range(0, 6).Select(s => At(s, s)).ToList();
        var window = new EventWindow();
        window.Load(held, 8);
        Assert.Equal(held, window.Items);
        Assert.False(window.Add(At(6, 6), 8, TimeSpan.FromMinutes(1), out _));
        Assert.True(window.Add(At(7, 7), 8, TimeSpan.FromMinutes(1), out var fired));
        Assert.Equal(Enumerable.Range(0, 8).Select(s => (long)s), fired.Select(r => r.Offset));
        Assert.Equal(0, window.Count);
    }

    [Fact]
    public void DistinctValuesEnumerateAsADictionaryWouldAcrossInlineSpillAndIndex()
    {
        var rng = new Random(11);
        for (var round = 0; round < 200; round++)
        {
            var values = new DistinctValues();
            var model = new Dictionary<string, EventRef>(StringComparer.Ordinal);
            var alphabet = rng.Next(2, 40); // past 2 the slots spill to an array, past 16 an index is built
            for (var i = 0; i < 80; i++)
            {
                var t = (long)i;
                switch (rng.Next(12))
                {
                    case 0:
                        var cut = T0.AddSeconds(t - rng.Next(1, 30)).UtcTicks;
                        values.RemoveAtOrBefore(cut);
                        foreach (var k in model.Where(kv => kv.Value.Timestamp.UtcTicks <= cut).Select(kv => kv.Key).ToList()) model.Remove(k);
                        break;
                    case 1 when rng.Next(5) == 0:
                        values.Clear();
                        model.Clear();
                        break;
                    case 2 or 3:
                        // a value seen again, sometimes out of order: only a time at or after the held one replaces it
                        var u = "u" + rng.Next(alphabet);
                        var at = At(t - rng.Next(0, 10), i);
                        values.Update(u, at, 100);
                        if (!model.TryGetValue(u, out var held) || held.Timestamp <= at.Timestamp) model[u] = at;
                        break;
                    default:
                        var v = "u" + rng.Next(alphabet);
                        values.Set(v, At(t, i), 100);
                        model[v] = At(t, i);
                        break;
                }
                Assert.Equal(model.Count, values.Count);
                Assert.Equal(model.Select(kv => (kv.Key, kv.Value)), values.Items);
                foreach (var (k, r) in model)
                    Assert.True(values.TryGetTicks(k, out var ticks) && ticks == r.Timestamp.UtcTicks);
                Assert.False(values.TryGetTicks("absent", out _));
            }
        }
    }

    private const string Rules = """
        rules:
          - {name: t, type: threshold, when: 'event.outcome == "failure"', group_by: [source.ip], count: 8, within: 1h}
          - {name: d, type: distinct_count, when: 'event.outcome == "failure"', group_by: [source.ip], field: user.name, count: 5, within: 1h}
          - {name: s, type: sequence, group_by: [source.ip], within: 1h, steps: [{when: 'event.outcome == "failure"', count: 6}, 'event.outcome == "success"']}
        """;

    private static Event Failure(double s, string ip, string user) => Ev(s, "event.outcome=failure", "source.ip=" + ip, "user.name=" + user);

    [Fact]
    public void SpilledWindowsAndInlineValuesSurviveASnapshotAndGiveTheAlertsOfAnUninterruptedRun()
    {
        var first = Enumerable.Range(0, 6).Select(i => Failure(i, "10.0.0." + (i % 2), "u" + i % 3)).ToList();
        var rest = Enumerable.Range(6, 12).Select(i => Failure(i, "10.0.0." + (i % 2), "u" + i % 7))
            .Append(Ev(30, "event.outcome=success", "source.ip=10.0.0.1")).ToList();
        var uninterrupted = Feed(Compile(Rules), first.Concat(rest)).Select(Line).ToList();
        Assert.Contains(uninterrupted, l => l.StartsWith("t ", StringComparison.Ordinal));
        Assert.Contains(uninterrupted, l => l.StartsWith("d ", StringComparison.Ordinal));
        Assert.Contains(uninterrupted, l => l.StartsWith("s ", StringComparison.Ordinal));

        var before = Compile(Rules);
        Feed(before, first);
        var snapshot = before.Snapshot().ToJsonString();
        var after = Compile(Rules);
        after.Restore(JsonNode.Parse(snapshot));
        Assert.Equal(snapshot, after.Snapshot().ToJsonString());
        Assert.Equal(uninterrupted, Feed(after, rest).Select(Line));
    }

    [Fact]
    public void AVersion2SnapshotWrittenBeforeTheInlineLayoutRestores()
    {
        // as the array-backed state wrote it: six events in a threshold window (more than the inline slots), three
        // distinct values, a sequence whose first step holds five events
        static string Refs(params int[] seconds) => string.Join(",", seconds.Select(s => $"[{T0.AddSeconds(s).UtcTicks},null,{s * 10}]"));
        var newest = T0.AddSeconds(5).UtcTicks;
        var old = """
            {"version":2,"clock":NEWEST,"inputs":{"test":NEWEST},"rules":{
              "t":{"type":"threshold","newest":NEWEST,"clock":NEWEST,"keys":[{"k":"10.0.0.1","t":NEWEST,"v":{"w":[REFS6],"q":false,"l":0,"r":0}}]},
              "d":{"type":"distinct_count","newest":NEWEST,"clock":NEWEST,"keys":[{"k":"10.0.0.1","t":NEWEST,"v":{"v":{"u0":[T0,null,0],"u1":[T1,null,10],"u2":[T2,null,20]},"n":T2,"q":false,"l":0}}]},
              "s":{"type":"sequence","newest":NEWEST,"clock":NEWEST,"keys":[{"k":"10.0.0.1","t":NEWEST,"v":{"k":0,"s":0,"l":0,"e":[],"w":[REFS5],"sl":[],"uw":[],"ud":[]}}]}}}
            """.Replace("NEWEST", newest.ToString()).Replace("REFS6", Refs(0, 1, 2, 3, 4, 5)).Replace("REFS5", Refs(1, 2, 3, 4, 5))
            .Replace("T0", T0.UtcTicks.ToString()).Replace("T1", T0.AddSeconds(1).UtcTicks.ToString()).Replace("T2", T0.AddSeconds(2).UtcTicks.ToString());
        var rules = Compile(Rules);
        rules.Restore(JsonNode.Parse(old));
        var alerts = Feed(rules, [Failure(6, "10.0.0.1", "u3"), Failure(7, "10.0.0.1", "u4"), Ev(8, "event.outcome=success", "source.ip=10.0.0.1")]);
        Assert.Equal(
            ["d source.ip=10.0.0.1 n=5 0..7", "s source.ip=10.0.0.1 n=7 2..8", "t source.ip=10.0.0.1 n=8 0..7"],
            alerts.Select(Line).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AnEvictedGroupComesBackWithFreshState()
    {
        var rules = Compile("""
            rules:
              - {name: t, type: threshold, when: 'event.outcome == "failure"', group_by: [source.ip], count: 3, within: 1h, max_keys: 2}
            """);
        var alerts = Feed(rules, [
            Failure(0, "10.0.0.1", "a"), Failure(1, "10.0.0.1", "a"),   // two of three for .1
            Failure(2, "10.0.0.2", "a"), Failure(3, "10.0.0.3", "a"),   // a third key: the stalest (.1) is evicted
            Failure(4, "10.0.0.1", "a"),                                // .1 again: one of three, not three
            Failure(5, "10.0.0.1", "a"),
        ]);
        Assert.Empty(alerts);
        Assert.Equal(2, rules.Rules[0].ActiveKeys);
        var more = Feed(rules, [Failure(6, "10.0.0.1", "a")]);
        Assert.Equal(["t source.ip=10.0.0.1 n=3 4..6"], more.Select(Line));
    }

    [Fact]
    public void ASweepThatDropsMostGroupsAtOnceLeavesTheOthersWhereLookupsFindThem()
    {
        var rules = Compile("""
            rules:
              - {name: t, type: threshold, when: 'event.outcome == "failure"', group_by: [source.ip], count: 3, within: 1m, max_keys: 20}
            """);
        // 15 groups touched at 50 s, 5 holding two of three events at 160–161 s (the stale ones still within their
        // horizon then, so the full table grows rather than sweeps)
        var stale = Enumerable.Range(0, 15).Select(i => Failure(50, $"10.0.1.{i}", "a"));
        var live = Enumerable.Range(0, 5).SelectMany(i => new[] { Failure(160, $"10.0.2.{i}", "a"), Failure(161, $"10.0.2.{i}", "a") });
        Assert.Empty(Feed(rules, [.. stale, .. live]));
        Assert.Equal(20, rules.Rules[0].ActiveKeys);
        // a 21st group goes over the cap: the sweep drops the 15 past their horizon (60 s + 60 s lateness) in one go
        Assert.Empty(Feed(rules, [Failure(202, "10.0.3.1", "a")]));
        Assert.Equal(6, rules.Rules[0].ActiveKeys);
        // the five kept groups still find their windows; a dropped one starts afresh
        var alerts = Feed(rules, [.. Enumerable.Range(0, 5).Select(i => Failure(203, $"10.0.2.{i}", "a")), Failure(203, "10.0.1.0", "a")]);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"t source.ip=10.0.2.{i} n=3 160..203"), alerts.Select(Line).Order(StringComparer.Ordinal));
        Assert.Equal(7, rules.Rules[0].ActiveKeys);
    }

    // A table of 16 entries at first; a group's horizon is 60 s of window and 60 s of allowed lateness.
    private static RuleSet ThreeFailuresInAMinute() => Compile("""
        rules:
          - {name: t, type: threshold, when: 'event.outcome == "failure"', group_by: [source.ip], count: 3, within: 1m}
        """);

    [Fact]
    public void ASweepKeepsAGroupTouchedSinceItWasMadeWhileItDropsThoseMadeWithIt()
    {
        var rules = ThreeFailuresInAMinute();
        // 15 groups made at 0 s, in a table of 16; one of them is touched again at 450–451 s (two of three)
        Assert.Empty(Feed(rules, [.. Enumerable.Range(0, 15).Select(i => Failure(0, $"10.0.1.{i}", "a"))]));
        Assert.Empty(Feed(rules, [Failure(450, "10.0.1.7", "a"), Failure(451, "10.0.1.7", "a"), Failure(500, "10.0.2.1", "a")]));
        Assert.Equal(16, rules.Rules[0].ActiveKeys);
        // a new group at 501 s finds the table full: the sweep drops the 14 untouched since 0 s, by the time they
        // were made alone, and reads the touched one's entry to find it alive (60 s + 60 s lateness after 451 s)
        Assert.Empty(Feed(rules, [Failure(501, "10.0.2.2", "a")]));
        Assert.Equal(3, rules.Rules[0].ActiveKeys);
        Assert.Equal(["t source.ip=10.0.1.7 n=3 450..502"], Feed(rules, [Failure(502, "10.0.1.7", "a")]).Select(Line));
    }

    [Fact]
    public void AFullTableSweepsGroupsPastTheirHorizonBeforeItGrows()
    {
        var rules = ThreeFailuresInAMinute();
        // 16 groups fill the table; at 500 s they are all past their horizon (60 s + 60 s lateness)
        Assert.Empty(Feed(rules, [.. Enumerable.Range(0, 16).Select(i => Failure(0, $"10.0.1.{i}", "a"))]));
        Assert.Equal(16, rules.Rules[0].ActiveKeys);
        Assert.Empty(Feed(rules, [Failure(500, "10.0.2.1", "a"), Failure(501, "10.0.2.1", "a")]));
        Assert.Equal(1, rules.Rules[0].ActiveKeys);
        // an old group comes back fresh: its old event does not count
        Assert.Empty(Feed(rules, [Failure(502, "10.0.1.0", "a"), Failure(503, "10.0.1.0", "a")]));
        var alerts = Feed(rules, [Failure(504, "10.0.2.1", "a"), Failure(505, "10.0.1.0", "a")]);
        Assert.Equal(["t source.ip=10.0.1.0 n=3 502..505", "t source.ip=10.0.2.1 n=3 500..504"], alerts.Select(Line).Order(StringComparer.Ordinal));
    }

    // The array-backed window as it was before the inline slots (the reference the inline one must agree with).
    private sealed class ModelWindow
    {
        private readonly List<EventRef> _items = [];

        public List<EventRef> Items => [.. _items];

        public void Clear() => _items.Clear();

        public bool Add(EventRef r, int n, TimeSpan within, out EventRef[] fired)
        {
            fired = [];
            if (n <= 1) { fired = [r]; return true; }
            var t = r.Timestamp.UtcTicks;
            while (_items.Count > 0 && t - _items[0].Timestamp.UtcTicks >= within.Ticks) _items.RemoveAt(0);
            var at = _items.Count;
            while (at > 0 && _items[at - 1].Timestamp.UtcTicks > t) at--;
            _items.Insert(at, r);
            for (var j = Math.Max(0, at - n + 1); j <= at && j + n <= _items.Count; j++)
            {
                if (_items[j + n - 1].Timestamp - _items[j].Timestamp >= within) continue;
                fired = _items.GetRange(j, n).ToArray();
                _items.Clear();
                return true;
            }
            if (_items.Count >= n) _items.RemoveRange(0, _items.Count - n + 1);
            return false;
        }
    }

    [Fact]
    public void AMatchWorkedOutWhilePrefetchingServesOnlyTheEventItWasFor()
    {
        var rules = Compile("""
            rules:
              - {name: t, type: threshold, when: 'event.outcome == "failure"', group_by: [source.ip], count: 2, within: 60s}
            """);
        var rule = rules.Rules[0];
        var sink = new Sink();
        Event Failure(double s) => Ev(s, "event.outcome=failure", "source.ip=1.2.3.4");
        // prefetched for a success, fed a failure: the failure is matched afresh
        var success = Ev(0, "event.outcome=success", "source.ip=1.2.3.4");
        rule.Prefetch(success, 0);
        rule.Prefetch(success, 1);
        rule.OnEvent(Failure(1), sink);
        // prefetched for a failure, then fed it: counted once
        var second = Failure(2);
        rule.Prefetch(second, 0);
        rule.Prefetch(second, 1);
        rule.OnEvent(second, sink);
        Assert.Single(sink.Alerts);
        // the kept match was used up: the same object, changed and fed again, is matched afresh
        second.Set("event.outcome", "success");
        rule.OnEvent(second, sink);
        Assert.Single(sink.Alerts);
        Assert.Equal(1, rule.ActiveKeys);
    }
}
