using static Gumshoe.Engine.Tests.Rules.RuleKit;

namespace Gumshoe.Engine.Tests.Rules.Correlation;

public sealed class SequenceRuleTests
{
    private const string Rules = """
        rules:
          - name: success-after-failures
            type: sequence
            group_by: [source.ip]
            within: 10m
            steps:
              - name: failures
                when: event.outcome == "failure"
                count: 5
                within: 2m
              - name: success
                when: event.outcome == "success"
            until: event.action == "password_changed"
        """;

    private static Gumshoe.Engine.Events.Event F(double s) => Ev(s, "event.outcome=failure", "source.ip=1.2.3.4");
    private static Gumshoe.Engine.Events.Event S(double s) => Ev(s, "event.outcome=success", "source.ip=1.2.3.4");

    [Fact]
    public void FiveFailuresThenASuccessFireWithAllSixEvents()
    {
        var alerts = Feed(Compile(Rules), [F(0), F(10), F(20), F(30), F(40), S(100)]);
        var a = Assert.Single(alerts);
        Assert.Equal("success-after-failures source.ip=1.2.3.4 n=6 0..100", Line(a));
        Assert.Equal([0L, 100, 200, 300, 400, 1000], a.Events.Select(r => r.Offset));
    }

    [Fact]
    public void AnEventOfALaterStepAloneLeavesNoStateBehind()
    {
        // ordered, nothing can follow a success that no failures came before: the group is not made at all
        var rules = Compile(Rules);
        Assert.Empty(Feed(rules, [S(0), Ev(1, "event.outcome=success", "source.ip=5.6.7.8")]));
        Assert.Equal(0, rules.Rules[0].ActiveKeys);
        Assert.Empty(Feed(rules, [F(2)]));
        Assert.Equal(1, rules.Rules[0].ActiveKeys);
    }

    [Fact]
    public void AGroupStillCountingItsFirstStepIsDroppedOnceThatStepsWindowHasPassed()
    {
        var rules = Compile(Rules);
        // .4 holds two of five failures (step 1 open); .5 has done step 1 and awaits the success
        var done = Enumerable.Range(0, 5).Select(i => Ev(i * 10, "event.outcome=failure", "source.ip=1.2.3.5"));
        Assert.Empty(Feed(rules, [F(0), F(10), .. done]));
        Assert.Equal(2, rules.Rules[0].ActiveKeys);
        // at 200 s the first step's window (2 min) and the allowed lateness (1 min) have passed .4's failures: they
        // can complete nothing, so .4 is dropped; .5 keeps its done step for the whole 10 minutes
        Assert.Empty(Feed(rules, [Ev(200, "event.outcome=failure", "source.ip=9.9.9.9")]));
        rules.Snapshot();
        Assert.Equal(2, rules.Rules[0].ActiveKeys); // .5 and 9.9.9.9
        var alerts = Feed(rules, [F(201), F(202), F(203), Ev(300, "event.outcome=success", "source.ip=1.2.3.5"), S(300)]);
        Assert.Equal(["success-after-failures source.ip=1.2.3.5 n=6 0..300"], alerts.Select(Line));
    }

    [Fact]
    public void ASuccessBeforeTheFifthFailureDoesNotFire()
    {
        Assert.Empty(Feed(Compile(Rules), [F(0), F(10), F(20), F(30), S(35), F(40)]));
    }

    [Fact]
    public void FailuresSpanningTheStepWindowDoNotCompleteTheStep()
    {
        Assert.Empty(Feed(Compile(Rules), [F(0), F(30), F(60), F(90), F(120), S(130)]));
    }

    [Fact]
    public void TheWholeSequenceMustFitInItsWindow()
    {
        // the failures end at 40; the success at 600 is exactly T after the first failure: too late
        Assert.Empty(Feed(Compile(Rules), [F(0), F(10), F(20), F(30), F(40), S(600)]));
        Assert.Single(Feed(Compile(Rules), [F(0), F(10), F(20), F(30), F(40), S(599)]));
    }

    [Fact]
    public void FurtherFailuresSlideTheFirstStepForward()
    {
        var times = Enumerable.Range(0, 60).Select(i => i * 20.0).ToList(); // 20 minutes of failures
        var alerts = Feed(Compile(Rules), times.Select(F).Append(S(1190)));
        Assert.Equal(["success-after-failures source.ip=1.2.3.4 n=6 1100..1190"], alerts.Select(Line));
    }

    [Fact]
    public void UntilCancelsTheOpenSequence()
    {
        var cancel = Ev(50, "event.action=password_changed", "source.ip=1.2.3.4");
        Assert.Empty(Feed(Compile(Rules), [F(0), F(10), F(20), F(30), F(40), cancel, S(100)]));
    }

    [Fact]
    public void ARestartBetweenTheStepsLosesNothing()
    {
        var before = Compile(Rules);
        Assert.Empty(Feed(before, [F(0), F(10), F(20), F(30), F(40)]));
        var after = Reloaded(before, Rules);
        Assert.Equal(["success-after-failures source.ip=1.2.3.4 n=6 0..100"], Feed(after, [S(100)]).Select(Line));
    }

    private const string Unordered = """
        rules:
          - name: scan-and-irc
            type: sequence
            ordered: false
            group_by: [source.ip]
            within: 5m
            steps:
              - when: rule.category == "scan"
                count: 3
                within: 60s
              - when: destination.port in [6667, 6697]
        """;

    [Fact]
    public void UnorderedStepsFireInEitherOrderWithinTheWindow()
    {
        Gumshoe.Engine.Events.Event Scan(double s) => Ev(s, "rule.category=scan", "source.ip=10.0.0.5");
        var irc = Ev(5, "destination.port=6667", "source.ip=10.0.0.5");
        irc.Set("destination.port", Gumshoe.Engine.Events.FieldValue.Long(6667));
        Assert.Equal(["scan-and-irc source.ip=10.0.0.5 n=4 5..40"], Feed(Compile(Unordered), [irc, Scan(20), Scan(30), Scan(40)]).Select(Line));
        var late = Ev(400, "source.ip=10.0.0.5");
        late.Set("destination.port", Gumshoe.Engine.Events.FieldValue.Long(6697));
        Assert.Empty(Feed(Compile(Unordered), [Scan(20), Scan(30), Scan(40), late]));
    }
}
