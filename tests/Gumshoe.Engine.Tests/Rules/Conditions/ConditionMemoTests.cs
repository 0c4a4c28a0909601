using Gumshoe.Engine.Events;
using Gumshoe.Engine.Rules.Conditions;

namespace Gumshoe.Engine.Tests.Rules.Conditions;

public class ConditionMemoTests
{
    private static Event Outcome(string outcome)
    {
        var e = new Event();
        e.Set("event.outcome", outcome);
        e.Set("event.action", "ssh_login");
        return e;
    }

    // counted, then compiled with the memo, as a rule set does
    private static Func<Event, bool>[] CompileAll(ConditionMemo memo, params string[] expressions)
    {
        foreach (var x in expressions) ConditionCompiler.CountTests(x, memo);
        return [.. expressions.Select(x => ConditionCompiler.Compile(x, new ConditionOptions { Memo = memo }))];
    }

    [Fact]
    public void OnlyATestWrittenInTwoPlacesOrMoreGetsASlot()
    {
        var memo = new ConditionMemo();
        CompileAll(memo,
            "event.outcome == \"failure\" and event.action == \"ssh_login\"",
            "event.action == \"ssh_login\" or user.name == \"root\"",
            "event.outcome == \"failure\"",
            // cased, or typed differently: other tests, each written once
            "cased(event.outcome == \"failure\")",
            "destination.port == 22 or destination.port == \"22\"");
        Assert.Equal(2, memo.Count);
        Assert.True(memo.Active);
        var single = new ConditionMemo();
        CompileAll(single, "event.outcome == \"failure\" and event.action == \"ssh_login\"");
        Assert.False(single.Active);
    }

    [Fact]
    public void AResultIsKeptForTheEventBeingMatchedOnly()
    {
        var memo = new ConditionMemo();
        var compiled = CompileAll(memo, "event.outcome == \"failure\"", "event.action == \"ssh_login\" and event.outcome == \"failure\"");
        var (failure, also) = (compiled[0], compiled[1]);
        var e = Outcome("failure");
        memo.Begin(e);
        Assert.True(failure(e));
        // changed meanwhile (a rule set never does this): the remembered result shows it was not tested again
        e.Set("event.outcome", "success");
        Assert.True(also(e));
        // another event is tested afresh
        Assert.False(failure(Outcome("success")));
        memo.End();
        Assert.False(failure(e));
        // the next event forgets the results of the one before
        memo.Begin(e);
        Assert.False(also(e));
        e.Set("event.outcome", "failure");
        memo.Begin(e);
        Assert.True(also(e));
        memo.End();
    }

    [Fact]
    public void ConditionsGiveTheSameResultsWithAndWithoutAMemo()
    {
        var expressions = new[]
        {
            "event.outcome == \"failure\" and not source.ip in cidr(\"10.0.0.0/8\")",
            "user.name startswith \"adm\" or user.name matches \"^ro+t$\"",
            "event.outcome in [\"failure\", \"unknown\"] and exists(user.name)",
            "destination.port >= 1024",
        };
        var memo = new ConditionMemo();
        // each written twice: every test shared
        var remembered = CompileAll(memo, [.. expressions, .. expressions])[..expressions.Length];
        var plain = expressions.Select(ConditionCompiler.Compile).ToArray();
        foreach (var (outcome, ip, user, port) in new[] { ("failure", "10.1.2.3", "root", 22L), ("failure", "8.8.8.8", "admin", 2048L), ("success", "8.8.4.4", "rooot", 80L), ("unknown", "1.1.1.1", "bob", 4096L) })
        {
            var e = new Event();
            e.Set("event.outcome", outcome);
            e.Set("source.ip", FieldValue.Ip(System.Net.IPAddress.Parse(ip)));
            e.Set("user.name", user);
            e.Set("destination.port", port);
            memo.Begin(e);
            // each twice: the second answer comes from the memo
            for (var round = 0; round < 2; round++)
                for (var i = 0; i < expressions.Length; i++)
                    Assert.True(plain[i](e) == remembered[i](e), $"{expressions[i]} on {outcome} {ip} {user} {port}");
            memo.End();
        }
    }
}
