using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Rules;
using static Gumshoe.Engine.Tests.Rules.RuleKit;

namespace Gumshoe.Engine.Tests.Rules;

/// <summary><see cref="RuleSet.OnEvents"/> against <see cref="RuleSet.OnEvent"/> on each event in turn.</summary>
public sealed class RuleSetBatchTests
{
    // every type, with suppression, both re-arms, an until, lateness and a cap small enough to evict
    private const string AllTypes = """
        rules:
          - name: fails
            type: threshold
            when: event.action == "login" and event.outcome == "failure"
            group_by: [source.ip]
            count: 3
            within: 30s
            then:
              - alert: {title: "{source.ip} failed 3 times"}
          - name: fails-every
            type: threshold
            when: event.outcome == "failure"
            group_by: [user.name]
            count: 2
            within: 20s
            rearm: every_count
            suppress: 15s
          - name: spray
            type: distinct_count
            when: event.action == "login"
            group_by: [source.ip/24]
            field: user.name
            count: 3
            within: 60s
            max_keys: 6
          - name: fail-then-win
            type: sequence
            group_by: [source.ip]
            within: 90s
            until: event.action == "logout"
            steps:
              - {when: 'event.outcome == "failure"', count: 2, within: 40s}
              - 'event.action == "login" and event.outcome == "success"'
          - name: no-logout
            type: absence
            when: event.action == "login" and event.outcome == "success"
            expect: event.action == "logout"
            group_by: [user.name]
            within: 45s
          - name: any-sudo
            when: event.action == "sudo"
            group_by: [user.name]
          - name: sudo-quietly
            when: event.action == "sudo"
            group_by: [host.name]
            suppress: 1m
          - name: sudo-as-written
            type: threshold
            when: cased(event.action == "Sudo") or (event.action in ("login", "logout") and user.name == "u1")
            group_by: [host.name]
            count: 2
            within: 20s
        """;

    [Fact]
    public void BatchesOfAnySizeGiveTheSameAlertsInTheSameOrderAndTheSameStateAsOneEventAtATime()
    {
        for (var seed = 1; seed <= 6; seed++)
        {
            var events = Stream(seed, 3_000);
            var (oneMetrics, batchMetrics) = (new MetricsRegistry(), new MetricsRegistry());
            var (one, batched) = (Compile(AllTypes, oneMetrics), Compile(AllTypes, batchMetrics));
            var (oneSink, batchSink) = (new Recorder(), new Recorder());
            foreach (var e in events) one.OnEvent(e, oneSink);
            var rng = new Random(seed);
            for (var at = 0; at < events.Count;)
            {
                var n = Math.Min(events.Count - at, rng.Next(4) == 0 ? rng.Next(1, 4) : rng.Next(1, 300));
                batched.OnEvents(events.GetRange(at, n).ToArray(), batchSink);
                at += n;
            }
            Assert.True(oneSink.Lines.Count > 100, $"seed {seed}: {oneSink.Lines.Count} alerts");
            Assert.Equal(oneSink.Lines, batchSink.Lines);
            Assert.Equal(one.Snapshot().ToJsonString(), batched.Snapshot().ToJsonString());
            Assert.Equal(Counters(oneMetrics), Counters(batchMetrics));
        }
    }

    [Fact]
    public void EveryTypeFiresInTheBatchedStream()
    {
        var sink = new Recorder();
        Compile(AllTypes).OnEvents(Stream(3, 3_000).ToArray(), sink);
        var fired = sink.Lines.Select(l => l.Split(' ')[0]).ToHashSet();
        Assert.Equal(["any-sudo", "fail-then-win", "fails", "fails-every", "no-logout", "spray", "sudo-as-written", "sudo-quietly"], fired.Order());
    }

    [Fact]
    public void RulesThatFeedEventsBackTakeABatchOneEventAtATime()
    {
        var sink = new Recorder();
        Compile(RuleSetTests.BurstsOfBursts).OnEvents(RuleSetTests.FailuresFromTwoNetworks(), sink);
        Assert.Equal(["burst", "burst", "many-bursts"], sink.Lines.Select(l => l.Split(' ')[0]));
    }

    [Fact]
    public void AnAlertIsRaisedWithItsOwnTriggeringEvent()
    {
        var events = Enumerable.Range(0, 9).Select(i => Ev(i, "event.action=login", "event.outcome=failure", "source.ip=10.0.0." + (i % 3), "user.name=u" + i)).ToArray();
        var sink = new Recorder();
        Compile(AllTypes).OnEvents(events, sink);
        Assert.Contains("fails source.ip=10.0.0.0 n=3 0..6 events=0,30,60 trigger=60 title=10.0.0.0 failed 3 times", sink.Lines);
    }

    // Two inputs whose clocks differ, events a little out of order (some later than the allowed lateness), a few
    // hundred addresses, users and hosts: every rule keeps groups, fires, expires and (spray) evicts.
    private static List<Event> Stream(int seed, int count)
    {
        var rng = new Random(seed);
        // the index and the conditions it settles compare actions ignoring case, a case-sensitive test does not
        var actions = new[] { "login", "login", "LOGIN", "Login", "logout", "sudo", "Sudo", "other" };
        var events = new List<Event>(count);
        var t = 0.0;
        for (var i = 0; i < count; i++)
        {
            t += rng.NextDouble() * 1.5;
            var jitter = rng.Next(20) == 0 ? -rng.NextDouble() * 120 : 0; // now and then late, sometimes past the lateness
            var e = Ev(Math.Max(0, t + jitter), "event.action=" + actions[rng.Next(actions.Length)], "event.outcome=" + (rng.Next(3) == 0 ? "success" : "failure"),
                "source.ip=10.0." + rng.Next(4) + "." + rng.Next(40), "user.name=u" + rng.Next(30), "host.name=h" + rng.Next(5));
            e.Input = rng.Next(4) == 0 ? "second" : "test";
            e.Offset = i;
            events.Add(e);
        }
        return events;
    }

    private static string[] Counters(MetricsRegistry metrics)
    {
        return [.. metrics.ToPrometheus().Split('\n').Where(l => l.StartsWith("gumshoe_rule", StringComparison.Ordinal))];
    }

    private sealed class Recorder : IAlertSink
    {
        public readonly List<string> Lines = [];
        public void Emit(Alert alert, Event? trigger) => Lines.Add(
            $"{Line(alert)} events={string.Join(",", alert.Events.Select(r => r.Offset))} trigger={trigger?.Offset} title={alert.Title}");
    }
}
