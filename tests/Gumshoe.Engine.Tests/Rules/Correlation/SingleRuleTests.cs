using static Gumshoe.Engine.Tests.Rules.RuleKit;

namespace Gumshoe.Engine.Tests.Rules.Correlation;

public sealed class SingleRuleTests
{
    private const string Rules = """
        rules:
          - name: root-login
            when: event.action == "ssh_login" and user.name == "root"
            group_by: [source.ip]
        """;

    [Fact]
    public void EveryMatchingEventFiresOnceWithItsOwnTime()
    {
        var rules = Compile(Rules);
        var alerts = Feed(rules, [Ev(0, "event.action=ssh_login", "user.name=root", "source.ip=1.2.3.4"),
            Ev(5, "event.action=ssh_login", "user.name=alice", "source.ip=1.2.3.4"),
            Ev(9, "event.action=ssh_login", "user.name=root", "source.ip=1.2.3.4")]);
        Assert.Equal(["root-login source.ip=1.2.3.4 n=1 0..0", "root-login source.ip=1.2.3.4 n=1 9..9"], alerts.Select(Line));
        Assert.Equal(0, rules.Rules[0].ActiveKeys); // no per-key state without suppression
    }

    [Fact]
    public void SuppressionDropsRepeatsOfAGroupAndTheNextAlertCountsThem()
    {
        var rules = Compile(Rules + "\n    suppress: 60s\n");
        var alerts = Feed(rules, new double[] { 0, 10, 59, 60, 61 }.Select(s => Ev(s, "event.action=ssh_login", "user.name=root", "source.ip=1.2.3.4"))
            .Append(Ev(30, "event.action=ssh_login", "user.name=root", "source.ip=5.6.7.8")));
        Assert.Equal(["root-login source.ip=1.2.3.4 n=1 0..0", "root-login source.ip=1.2.3.4 n=1 60..60 suppressed=2",
            "root-login source.ip=5.6.7.8 n=1 30..30"], alerts.Select(Line));
    }

    [Fact]
    public void TheCountOfSuppressedRepeatsSurvivesSnapshotsLongAfterTheWindow()
    {
        // a snapshot drops groups past their horizon, but not one that owes its next alert a count
        var rules = Compile(Rules + "\n    suppress: 60s\n");
        var root = (double s) => Ev(s, "event.action=ssh_login", "user.name=root", "source.ip=1.2.3.4");
        Assert.Single(Feed(rules, [root(0), root(10), root(20)]));
        var restarted = Compile(Rules + "\n    suppress: 60s\n");
        // an hour of other addresses passes before the snapshot
        Feed(rules, Enumerable.Range(0, 100).Select(i => Ev(100 + i * 36, "event.action=ssh_login", "user.name=root", $"source.ip=10.0.0.{i}")));
        restarted.Restore(rules.Snapshot());
        var next = Assert.Single(Feed(restarted, [root(3700)]));
        Assert.Equal("root-login source.ip=1.2.3.4 n=1 3700..3700 suppressed=2", Line(next));
        Assert.True(restarted.Rules[0].ActiveKeys < 10, $"{restarted.Rules[0].ActiveKeys} groups kept");
    }
}
