using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Rules.Correlation;

namespace Gumshoe.Engine.Tests.Rules.Correlation;

public sealed class ThresholdRuleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 10, 0, 0, TimeSpan.Zero);

    private sealed class Sink : IAlertSink
    {
        public readonly List<Alert> Alerts = [];
        public void Emit(Alert alert, Event? trigger) => Alerts.Add(alert);
    }

    private static ThresholdRule Rule(int count = 5, int seconds = 60, ThresholdRearm rearm = ThresholdRearm.AfterQuiet) =>
        new("r", e => e.GetString("event.outcome") == "failure", GroupKeyOf("source.ip"),
            new ThresholdOptions { Count = count, Within = TimeSpan.FromSeconds(seconds), Rearm = rearm }, new RuleOptions(), new MetricsRegistry());

    private static GroupKey GroupKeyOf(string field)
    {
        var yaml = new YamlDotNet.RepresentationModel.YamlStream();
        yaml.Load(new StringReader($"[{field}]"));
        return GroupKey.Parse(new Gumshoe.Engine.Config.ConfigNode(yaml.Documents[0].RootNode, "t.yml", "/", _ => null));
    }

    private static Event Fail(string ip, double seconds, long offset = 0)
    {
        var e = new Event { Timestamp = T0.AddSeconds(seconds), Offset = offset };
        e.Set("event.outcome", "failure");
        e.Set("source.ip", ip);
        return e;
    }

    private static List<Alert> Feed(ThresholdRule rule, IEnumerable<Event> events)
    {
        var sink = new Sink();
        foreach (var e in events) rule.OnEvent(e, sink);
        return sink.Alerts;
    }

    [Fact]
    public void FiveEventsSpanning59SecondsFire()
    {
        var alerts = Feed(Rule(), new double[] { 0, 10, 20, 30, 59 }.Select(s => Fail("1.2.3.4", s)));
        var a = Assert.Single(alerts);
        Assert.Equal((5, T0, T0.AddSeconds(59)), (a.Count, a.FirstSeen, a.LastSeen));
        Assert.Equal("1.2.3.4", a.Group.Single(g => g.Key == "source.ip").Value);
    }

    [Fact]
    public void FiveEventsSpanningExactly60SecondsDoNotFire()
    {
        Assert.Empty(Feed(Rule(), new double[] { 0, 10, 20, 30, 60 }.Select(s => Fail("1.2.3.4", s))));
    }

    [Fact]
    public void TheWindowSlidesOverOlderEvents()
    {
        // 0 and 10 fall out of the window ending at 75; 20..75 are five events within 55 s
        var alerts = Feed(Rule(), new double[] { 0, 10, 20, 30, 40, 50, 75 }.Select(s => Fail("1.2.3.4", s)));
        // 0..40 already fire (span 40 s); afterwards the burst is quiet
        var a = Assert.Single(alerts);
        Assert.Equal(T0, a.FirstSeen);
    }

    [Fact]
    public void GroupsAreCountedSeparately()
    {
        var events = Enumerable.Range(0, 8).Select(i => Fail(i % 2 == 0 ? "10.0.0.1" : "10.0.0.2", i));
        Assert.Empty(Feed(Rule(), events));
    }

    [Fact]
    public void ABurstRaisesOneAlertAndAGapOfTRearms()
    {
        var times = Enumerable.Range(0, 30).Select(i => i * 5.0)             // 30 failures 5 s apart: one burst
            .Concat(Enumerable.Range(0, 5).Select(i => 1000.0 + i));        // a new burst after a quiet gap
        var alerts = Feed(Rule(), times.Select(s => Fail("1.2.3.4", s)));
        Assert.Equal(2, alerts.Count);
        Assert.Equal(T0.AddSeconds(1000), alerts[1].FirstSeen);
    }

    [Fact]
    public void EveryCountRearmFiresAgainAfterNMoreEvents()
    {
        var alerts = Feed(Rule(rearm: ThresholdRearm.EveryCount), Enumerable.Range(0, 10).Select(i => Fail("1.2.3.4", i)));
        Assert.Equal(2, alerts.Count);
    }

    [Fact]
    public void AnOutOfOrderEventWithinTheWindowStillCounts()
    {
        var alerts = Feed(Rule(), new double[] { 0, 10, 30, 20, 40 }.Select(s => Fail("1.2.3.4", s)));
        var a = Assert.Single(alerts);
        Assert.Equal((T0, T0.AddSeconds(40)), (a.FirstSeen, a.LastSeen));
    }

    [Fact]
    public void StateRestoredFromASnapshotContinuesTheWindow()
    {
        var before = Rule();
        Assert.Empty(Feed(before, new double[] { 0, 10, 20 }.Select(s => Fail("1.2.3.4", s))));
        var snapshot = before.Snapshot().ToJsonString();
        var after = Rule();
        after.Restore(System.Text.Json.Nodes.JsonNode.Parse(snapshot)!);
        var a = Assert.Single(Feed(after, new double[] { 30, 40 }.Select(s => Fail("1.2.3.4", s))));
        Assert.Equal(T0, a.FirstSeen);
    }

    [Fact]
    public void ASnapshotLeavesOutGroupsPastTheirWindowSoRestartsDoNotGrowWithEveryAddressSeen()
    {
        var rule = Rule();
        // 1,000 addresses once each over an hour of event time: only the last minute's can still count
        Assert.Empty(Feed(rule, Enumerable.Range(0, 1000).Select(i => Fail($"10.0.{i / 250}.{i % 250}", i * 3.6))));
        var keys = rule.Snapshot()["keys"]!.AsArray();
        Assert.InRange(keys.Count, 16, 40);
        var restored = Rule();
        restored.Restore(rule.Snapshot());
        var last = $"10.0.{999 / 250}.{999 % 250}";
        var a = Assert.Single(Feed(restored, new double[] { 1, 2, 3, 4 }.Select(s => Fail(last, 999 * 3.6 + s))));
        Assert.Equal(T0.AddSeconds(999 * 3.6), a.FirstSeen);
    }

    [Fact]
    public void EventsWithoutTheGroupFieldAreIgnored()
    {
        var e = new Event { Timestamp = T0 };
        e.Set("event.outcome", "failure");
        Assert.Empty(Feed(Rule(count: 1), [e]));
    }

    [Fact]
    public void AlertsCarryTheOffsetsOfTheirEvents()
    {
        var a = Assert.Single(Feed(Rule(count: 3), new double[] { 0, 1, 2 }.Select(s => Fail("1.2.3.4", s, offset: (long)s * 100))));
        Assert.Equal([0L, 100, 200], a.Events.Select(r => r.Offset));
    }
}
