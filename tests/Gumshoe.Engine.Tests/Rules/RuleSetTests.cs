using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using static Gumshoe.Engine.Tests.Rules.RuleKit;

namespace Gumshoe.Engine.Tests.Rules;

public sealed class RuleSetTests
{
    // a threshold whose alerts emit events that a second threshold counts
    internal const string BurstsOfBursts = """
            rules:
              - name: burst
                type: threshold
                when: event.outcome == "failure"
                group_by: [source.ip/24]
                count: 3
                within: 60s
                then:
                  - emit: {event.action: failure_burst}
              - name: many-bursts
                type: threshold
                when: event.action == "failure_burst" and gumshoe.input == "rule:burst"
                count: 2
                within: 1h
            """;

    internal static Event[] FailuresFromTwoNetworks() => [.. new[] { "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.2.1", "10.0.2.1", "10.0.2.9" }
        .Select((ip, i) => Ev(i, "event.outcome=failure", "source.ip=" + ip))];

    [Fact]
    public void AnEmittedEventFeedsOtherRulesRulesOfRules()
    {
        var rules = Compile(BurstsOfBursts);
        Assert.Equal(["burst source.ip/24=10.0.1.0/24 n=3 0..2", "burst source.ip/24=10.0.2.0/24 n=3 3..5", "many-bursts  n=2 2..5"],
            Feed(rules, FailuresFromTwoNetworks()).Select(Line));
    }

    [Fact]
    public void CallRunsAnotherRuleListOnTheTriggeringEvent()
    {
        var rules = Compile("""
            rules:
              - name: admin-login
                when: event.action == "ssh_login" and user.name in ["root", "admin"]
                then:
                  - call: admin-checks
              - name: admin-from-outside
                list: admin-checks
                when: not source.ip in cidr("10.0.0.0/8")
                group_by: [user.name]
            """);
        var alerts = Feed(rules, [Ev(0, "event.action=ssh_login", "user.name=root", "source.ip=10.1.1.1"),
            Ev(1, "event.action=ssh_login", "user.name=root", "source.ip=8.8.8.8"),
            Ev(2, "event.action=ssh_login", "user.name=bob", "source.ip=8.8.8.8")]);
        Assert.Equal(["admin-login  n=1 0..0", "admin-login  n=1 1..1", "admin-from-outside user.name=root n=1 1..1"], alerts.Select(Line));
    }

    [Fact]
    public void ACallToAnUnknownListIsAConfigErrorWithItsLocation()
    {
        var ex = Assert.Throws<Gumshoe.Engine.Config.ConfigException>(() => Compile("""
            rules:
              - name: a
                when: event.action == "x"
                then:
                  - call: nowhere
            """));
        Assert.Contains("no rule list 'nowhere'", ex.Message);
        Assert.Contains(":5:", ex.Message);
    }

    [Fact]
    public void ARuleEmittingWhatItMatchesStopsAtTheDepthLimit()
    {
        var metrics = new MetricsRegistry();
        var rules = Compile("""
            rules:
              - name: loop
                when: event.action == "x"
                then:
                  - emit: {event.action: x}
            """, metrics);
        Assert.Equal(Gumshoe.Engine.Rules.RuleSet.MaxDepth + 1, Feed(rules, [Ev(0, "event.action=x")]).Count);
        Assert.Equal(1, metrics.Counter("gumshoe_rule_emit_too_deep_total").Value);
    }

    private const string Threshold = """
        rules:
          - name: t
            type: threshold
            when: event.outcome == "failure"
            group_by: [source.ip]
            count: 3
            within: 60s
            allowed_lateness: 30s
            drop_late: true
        """;

    [Fact]
    public void OutOfOrderEventsWithinTheAllowedLatenessCountAndOlderOnesAreDropped()
    {
        static Gumshoe.Engine.Events.Event F(double s, string ip) => Ev(s, "event.outcome=failure", "source.ip=" + ip);
        var metrics = new MetricsRegistry();
        var rules = Compile(Threshold, metrics);
        // the clock reaches 100; 75 is 25 s late (allowed), 60 is 40 s late (dropped)
        var alerts = Feed(rules, [F(100, "other"), F(70, "a"), F(75, "a"), F(60, "b"), F(100, "a")]);
        Assert.Equal(["t source.ip=a n=3 70..100"], alerts.Select(Line));
        Assert.Equal(1, metrics.Counter("gumshoe_rule_late_events_total", "rule", "t").Value);
    }

    [Fact]
    public void WithoutDropLateAThresholdCountsALateEventWhereItBelongs()
    {
        static Gumshoe.Engine.Events.Event F(double s, string ip) => Ev(s, "event.outcome=failure", "source.ip=" + ip);
        var metrics = new MetricsRegistry();
        var rules = Compile(Threshold.Replace("drop_late: true", "drop_late: false"), metrics);
        var alerts = Feed(rules, [F(500, "other"), F(70, "a"), F(75, "a"), F(100, "a")]);
        Assert.Equal(["t source.ip=a n=3 70..100"], alerts.Select(Line));
        Assert.Equal(3, metrics.Counter("gumshoe_rule_late_events_total", "rule", "t").Value); // counted, not dropped
    }

    [Fact]
    public void AReloadKeepsTheStateOfUnchangedRulesOnly()
    {
        static Gumshoe.Engine.Events.Event F(double s) => Ev(s, "event.outcome=failure", "source.ip=a");
        var before = Compile(Threshold);
        Feed(before, [F(0), F(1)]);
        var same = Compile(Threshold);
        Assert.Equal(["t"], same.TakeStateFrom(before));
        Assert.Single(Feed(same, [F(2)]));
        var changed = Compile(Threshold.Replace("count: 3", "count: 2"));
        Assert.Empty(changed.TakeStateFrom(before));
        Assert.Empty(Feed(changed, [F(3)]));
    }

    [Fact]
    public void ExplainShowsWhichConditionsMatchAndTheWindowState()
    {
        var rules = Compile(Threshold);
        Feed(rules, [Ev(0, "event.outcome=failure", "source.ip=a")]);
        var (rule, list, state) = Assert.Single(rules.Explain(Ev(1, "event.outcome=failure", "source.ip=a")));
        Assert.Equal(("t", "main"), (rule, list));
        Assert.StartsWith("when: matches; group source.ip=a: 1 of 3 events in the window", state);
    }
}
