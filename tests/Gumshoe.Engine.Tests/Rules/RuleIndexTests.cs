using Gumshoe.Engine.Events;
using Gumshoe.Engine.Rules;
using static Gumshoe.Engine.Tests.Rules.RuleKit;

namespace Gumshoe.Engine.Tests.Rules;

public sealed class RuleIndexTests
{
    private static readonly RuleSet Rules = Compile("""
        rules:
          - {name: fail, type: threshold, when: 'event.action == "ssh_auth_failed" and event.outcome == "failure"', group_by: [source.ip], count: 3, within: 60s}
          - {name: login, when: 'event.action in ("ssh_login", "ssh_accept")'}
          - {name: either, when: 'event.action == "ssh_login" or event.action == "sudo"'}
          - {name: any-failure, when: 'event.outcome == "failure"'}
          - {name: not-login, when: 'not event.action == "ssh_login"'}
          - {name: or-other, when: 'event.action == "ssh_login" or user.name == "root"'}
          - {name: numeric-list, when: 'event.action in ("5", "ssh_login")'}
          - {name: quiet, type: absence, when: 'event.action == "http_request"', expect: 'event.action == "http_response"', group_by: [source.ip], within: 1m}
          - {name: steps, type: sequence, group_by: [source.ip], within: 10m, steps: ['event.action == "ssh_auth_failed"', 'event.action == "ssh_login"']}
        """);

    private static readonly RuleIndex Index = new(Rules.Compiled);

    private static string Visits(params string[] fields) =>
        string.Join(" ", Index.For(Ev(0, fields)).Select(v => v.Rule.Rule.Name + (v.Feed ? "" : "(clock)")));

    // rules that cannot tell event.action values apart: fed every event
    private const string Always = "any-failure not-login or-other numeric-list";

    [Fact]
    public void IndexesTheFieldMostRulesRequireToEqualALiteral() => Assert.Equal("event.action", Index.Field);

    [Fact]
    public void AnEventVisitsTheRulesItsValueCanMatchInListOrder()
    {
        Assert.Equal($"fail any-failure not-login or-other numeric-list quiet(clock) steps", Visits("event.action=ssh_auth_failed"));
        Assert.Equal($"login either any-failure not-login or-other numeric-list quiet(clock) steps", Visits("event.action=ssh_login"));
        Assert.Equal($"login any-failure not-login or-other numeric-list quiet(clock)", Visits("event.action=ssh_accept"));
        Assert.Equal($"either any-failure not-login or-other numeric-list quiet(clock)", Visits("event.action=sudo"));
        // absence: both its conditions count (when and expect)
        Assert.Equal($"{Always} quiet", Visits("event.action=http_response"));
    }

    [Fact]
    public void ValuesCompareIgnoringCaseAsTheConditionsDo() =>
        Assert.Equal(Visits("event.action=ssh_login"), Visits("event.action=SSH_Login"));

    [Fact]
    public void OneStringInstanceEventAfterEventGivesTheRulesOfItsValue()
    {
        // parsers hand over their own constant, the same instance every time: the index remembers the instances it saw
        static Event WithAction(string action)
        {
            var e = new Event { Timestamp = T0, Input = "test" };
            e.Set(FieldNames.Intern("event.action"), action);
            return e;
        }
        string Of(string action) => string.Join(" ", Index.For(WithAction(action)).Select(v => v.Rule.Rule.Name + (v.Feed ? "" : "(clock)")));
        const string login = "ssh_login", failed = "ssh_auth_failed";
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Visits("event.action=ssh_login"), Of(login));
            // same length and last letter as ssh_login, so the same place in the index's memory: not login's rules
            Assert.Equal(Visits("event.action=ssh_xogin"), Of(new string("ssh_xogin".AsSpan())));
            Assert.Equal(Visits("event.action=ssh_auth_failed"), Of(failed));
            Assert.Equal(Visits("event.action=SSH_LOGIN"), Of(new string("SSH_LOGIN".AsSpan())));
        }
    }

    [Fact]
    public void AValueNoRuleRequiresOrAMissingFieldVisitsOnlyTheRulesWithoutARequirement()
    {
        Assert.Equal($"{Always} quiet(clock)", Visits("event.action=dns_query"));
        Assert.Equal($"{Always} quiet(clock)", Visits("event.outcome=failure"));
    }

    [Fact]
    public void ANonStringValueVisitsEveryRule()
    {
        var e = Ev(0);
        e.Set("event.action", FieldValue.Long(5));
        Assert.Equal(Rules.Compiled.Count, Index.For(e).Count(v => v.Feed));
        e.Set("event.action", FieldValue.Array([FieldValue.String("ssh_login")]));
        Assert.Equal(Rules.Compiled.Count, Index.For(e).Count(v => v.Feed));
    }

    [Fact]
    public void OnlyRequiredEqualityOnStringLiteralsIsIndexed()
    {
        Assert.Equal<string[]?>(["ssh_login", "sudo"], RequiredActions("event.action == \"ssh_login\" or event.action == \"sudo\""));
        Assert.Equal<string[]?>(["ssh_login"], RequiredActions("event.action in (\"ssh_login\", \"sudo\") and event.action != \"sudo\" and event.action == \"ssh_login\""));
        Assert.Null(RequiredActions("not event.action == \"ssh_login\""));
        Assert.Null(RequiredActions("event.action == \"ssh_login\" or user.name == \"root\""));
        Assert.Null(RequiredActions("event.action in (\"5\", \"x\")")); // a string field " 5" matches 5 numerically
        Assert.Null(RequiredActions("event.action == 5"));
        Assert.Equal<string[]?>(["a", "b"], RequiredActions(new Dictionary<string, string[]> { ["sel"] = ["a", "b"] }));
    }

    private static string[]? RequiredActions(string expression)
    {
        var node = new Gumshoe.Engine.Config.ConfigNode(new YamlDotNet.RepresentationModel.YamlScalarNode(expression), "t.yml", "/", _ => null);
        return Gumshoe.Engine.Rules.Conditions.ConditionCompiler.RequiredValues(node).TryGetValue("event.action", out var v) ? [.. v.Order(StringComparer.Ordinal)] : null;
    }

    private static string[]? RequiredActions(Dictionary<string, string[]> selections)
    {
        var yaml = new YamlDotNet.RepresentationModel.YamlStream();
        yaml.Load(new StringReader("event.action: [" + string.Join(", ", selections["sel"]) + "]\n"));
        var node = new Gumshoe.Engine.Config.ConfigNode(yaml.Documents[0].RootNode, "t.yml", "/", _ => null);
        return Gumshoe.Engine.Rules.Conditions.ConditionCompiler.RequiredValues(node).TryGetValue("event.action", out var v) ? [.. v.Order(StringComparer.Ordinal)] : null;
    }

    [Fact]
    public void ARuleSkippedByTheIndexStillSeesTheClockMovedWhenItsNextEventComes()
    {
        // the late-event test uses the rule's watermark: it must be current although the rule skipped the events between
        var rules = Compile("""
            rules:
              - {name: a, type: threshold, when: 'event.action == "a"', count: 2, within: 10m, drop_late: true, allowed_lateness: 10s}
              - {name: b, when: 'event.action == "b"'}
            """);
        var alerts = Feed(rules, [Ev(0, "event.action=a"), Ev(100, "event.action=b"), Ev(50, "event.action=a")]);
        Assert.DoesNotContain(alerts, a => a.Rule == "a"); // the event at 50 s is 50 s behind the clock: late, dropped
        var snapshot = rules.Snapshot();
        Assert.Equal((long)snapshot["clock"]!, (long)snapshot["rules"]!["a"]!["clock"]!);
    }
}
