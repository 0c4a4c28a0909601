using static Gumshoe.Engine.Tests.Rules.RuleKit;

namespace Gumshoe.Engine.Tests.Rules.Correlation;

public sealed class DistinctCountRuleTests
{
    private const string Rules = """
        rules:
          - name: spray
            type: distinct_count
            when: event.outcome == "failure"
            group_by: [source.ip]
            field: user.name
            count: 3
            within: 10m
        """;

    private static IEnumerable<Ev> Fails(string ip, params (double T, string User)[] tries) =>
        tries.Select(t => new Ev(t.T, ip, t.User));

    private sealed record Ev(double T, string Ip, string User);

    private static List<Gumshoe.Engine.Rules.Alert> Run(Gumshoe.Engine.Rules.RuleSet rules, IEnumerable<Ev> evs) =>
        Feed(rules, evs.Select(x => RuleKit.Ev(x.T, "event.outcome=failure", "source.ip=" + x.Ip, "user.name=" + x.User)));

    [Fact]
    public void ThreeDistinctUsersWithinTheWindowFire()
    {
        var alerts = Run(Compile(Rules), Fails("1.2.3.4", (0, "a"), (100, "b"), (599, "c")));
        Assert.Equal(["spray source.ip=1.2.3.4 n=3 0..599"], alerts.Select(Line));
    }

    [Fact]
    public void EventsWithoutTheFieldDoNotMatchOneAtATimeOrInABatch()
    {
        // b's event has no user.name and c's a null one: only a, d and e count
        Gumshoe.Engine.Events.Event[] events =
        [
            RuleKit.Ev(0, "event.outcome=failure", "source.ip=1.2.3.4", "user.name=a"),
            RuleKit.Ev(10, "event.outcome=failure", "source.ip=1.2.3.4"),
            RuleKit.Ev(20, "event.outcome=failure", "source.ip=1.2.3.4", "user.name=b"),
            RuleKit.Ev(30, "event.outcome=failure", "source.ip=1.2.3.4", "user.name=d"),
            RuleKit.Ev(40, "event.outcome=failure", "source.ip=1.2.3.4", "user.name=e"),
        ];
        events[2].Set("user.name", Gumshoe.Engine.Events.FieldValue.Null);
        var one = Compile(Rules);
        Assert.Equal(["spray source.ip=1.2.3.4 n=3 0..40"], Feed(one, events).Select(Line));
        var batched = Compile(Rules);
        var sink = new Sink();
        batched.OnEvents(events, sink);
        Assert.Equal(["spray source.ip=1.2.3.4 n=3 0..40"], sink.Alerts.Select(Line));
        Assert.StartsWith("when: no match", one.Rules[0].Describe(events[1]));
    }

    [Fact]
    public void ValuesSpanningExactlyTheWindowDoNotFire()
    {
        Assert.Empty(Run(Compile(Rules), Fails("1.2.3.4", (0, "a"), (100, "b"), (600, "c"))));
    }

    [Fact]
    public void ARepeatedValueCountsOnceAtItsLatestTime()
    {
        // a at 0 and again at 500: with b at 550 and c at 900, a (500), b, c span 400 s
        var alerts = Run(Compile(Rules), Fails("1.2.3.4", (0, "a"), (10, "a"), (500, "a"), (550, "b"), (900, "c")));
        Assert.Equal(["spray source.ip=1.2.3.4 n=3 500..900"], alerts.Select(Line));
    }

    [Fact]
    public void ABurstFiresOnceAndAQuietGapRearms()
    {
        var alerts = Run(Compile(Rules), Fails("1.2.3.4", (0, "a"), (1, "b"), (2, "c"), (3, "d"), (4, "e"), (5, "f"), (700, "x"), (701, "y"), (702, "z")));
        Assert.Equal(["spray source.ip=1.2.3.4 n=3 0..2", "spray source.ip=1.2.3.4 n=3 700..702"], alerts.Select(Line));
    }

    [Fact]
    public void ARestartInTheMiddleOfTheWindowLosesNothing()
    {
        var before = Compile(Rules);
        Assert.Empty(Run(before, Fails("1.2.3.4", (0, "a"), (100, "b"))));
        var after = Reloaded(before, Rules);
        Assert.Equal(["spray source.ip=1.2.3.4 n=3 0..200"], Run(after, Fails("1.2.3.4", (200, "c"))).Select(Line));
    }
}
