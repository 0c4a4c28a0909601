using static Gumshoe.Engine.Tests.Rules.RuleKit;

namespace Gumshoe.Engine.Tests.Rules.Correlation;

public sealed class AbsenceRuleTests
{
    private const string Rules = """
        rules:
          - name: backup-not-finished
            type: absence
            when: event.action == "backup_started"
            expect: event.action == "backup_finished"
            group_by: [host.name]
            within: 1h
            allowed_lateness: 5m
        """;

    private static Gumshoe.Engine.Events.Event Start(double s, string host = "db1") => Ev(s, "event.action=backup_started", "host.name=" + host);
    private static Gumshoe.Engine.Events.Event Finish(double s, string host = "db1") => Ev(s, "event.action=backup_finished", "host.name=" + host);
    private static Gumshoe.Engine.Events.Event Tick(double s) => Ev(s, "event.action=heartbeat", "host.name=other");

    [Fact]
    public void AStartWithoutAFinishFiresOnceTheWatermarkPassesTheWindow()
    {
        var rules = Compile(Rules);
        var sink = new Sink();
        Feed(rules, [Start(0), Tick(3600), Tick(3600 + 299)], sink);
        Assert.Empty(sink.Alerts); // the watermark (clock − 5 min) is still before the deadline
        Feed(rules, [Tick(3600 + 300)], sink);
        Assert.Equal(["backup-not-finished host.name=db1 n=1 0..0"], sink.Alerts.Select(Line));
        Assert.Equal("backup-not-finished for db1", sink.Alerts[0].Title);
    }

    [Fact]
    public void AnAlertOfTheClockComesWithoutAnEventUnlessItsThenReadsOneAndThenWithTheGroupsStandIn()
    {
        var plain = new Sink();
        Feed(Compile(Rules), [Start(10), Tick(3610 + 300)], plain);
        Assert.Null(Assert.Single(plain.Triggers)); // nothing read it: none was made
        Assert.Equal("backup-not-finished for db1", plain.Alerts[0].Title);

        var reading = new Sink();
        Feed(Compile(Rules.Replace("allowed_lateness: 5m", """
            allowed_lateness: 5m
                then:
                  - alert: {title: "{rule.name}: {host.name} started at offset {log.offset} ({count})"}
            """)), [Start(10), Tick(3610 + 300)], reading);
        var trigger = Assert.Single(reading.Triggers);
        Assert.Equal("backup-not-finished: db1 started at offset 100 (1)", reading.Alerts[0].Title);
        Assert.NotNull(trigger);
        Assert.Equal((T0.AddSeconds(10), 100L, "rule:backup-not-finished"), (trigger.Timestamp, trigger.Offset, trigger.Input));
    }

    [Fact]
    public void AFinishWithinTheWindowClosesIt()
    {
        Assert.Empty(Feed(Compile(Rules), [Start(0), Finish(3599), Tick(10_000)]));
    }

    [Fact]
    public void AFinishExactlyTAfterTheStartIsTooLate()
    {
        Assert.Single(Feed(Compile(Rules), [Start(0), Finish(3600), Tick(10_000)]));
    }

    [Fact]
    public void ALateFinishWithinTheAllowedLatenessStillCounts()
    {
        // the clock is at 3700 (watermark 3400) when the finish stamped 3500 arrives: late, but allowed
        Assert.Empty(Feed(Compile(Rules), [Start(0), Tick(3700), Finish(3500), Tick(10_000)]));
    }

    [Fact]
    public void AnEventOlderThanTheWatermarkIsDroppedAndCounted()
    {
        var metrics = new Gumshoe.Engine.Metrics.MetricsRegistry();
        var rules = Compile(Rules, metrics);
        var alerts = Feed(rules, [Start(0), Tick(4000), Finish(3000), Tick(10_000)]);
        Assert.Single(alerts);
        Assert.Equal(1, metrics.Counter("gumshoe_rule_late_events_total", "rule", "backup-not-finished").Value);
    }

    [Fact]
    public void ARestartInTheMiddleOfTheWindowStillFires()
    {
        var before = Compile(Rules);
        Assert.Empty(Feed(before, [Start(0), Tick(1000)]));
        var after = Reloaded(before, Rules);
        Assert.Equal(["backup-not-finished host.name=db1 n=1 0..0"], Feed(after, [Tick(5000)]).Select(Line));
    }

    [Fact]
    public void TheClockIsTheSlowestInput()
    {
        var rules = Compile(Rules);
        var fast = Tick(10_000);
        fast.Input = "fast";
        var slow = Start(0);
        slow.Input = "slow";
        // the slow input has seen nothing newer than 0: the window cannot be closed yet
        Assert.Empty(Feed(rules, [slow, fast]));
        var slowLater = Tick(3900);
        slowLater.Input = "slow";
        Assert.Single(Feed(rules, [slowLater]));
    }
}
