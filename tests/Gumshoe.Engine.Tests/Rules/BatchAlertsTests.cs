using Gumshoe.Engine.Events;
using Gumshoe.Engine.Rules;

namespace Gumshoe.Engine.Tests.Rules;

public sealed class BatchAlertsTests
{
    private static Alert Named(string name) => new()
    {
        Rule = name, Group = [], Count = 1, FirstSeen = DateTimeOffset.UnixEpoch, LastSeen = DateTimeOffset.UnixEpoch,
    };

    [Fact]
    public void AlertsComeOutByEventThenByRuleThenAsRaisedWhateverRuleRaisedThemFirst()
    {
        var rng = new Random(3);
        var alerts = new BatchAlerts();
        var trigger = new Event();
        for (var round = 0; round < 50; round++)
        {
            // rules drained in list order, each raising alerts at non-decreasing events, as a batch does
            var raised = new List<(int At, int Rule, string Name)>();
            for (var rule = 0; rule < rng.Next(1, 6); rule++)
            {
                alerts.Rule = rule;
                var at = 0;
                for (var n = rng.Next(0, 8); n > 0; n--)
                {
                    at += rng.Next(0, 3);
                    alerts.At = at;
                    var name = $"r{rule}-{raised.Count}";
                    alerts.Emit(Named(name), trigger);
                    raised.Add((at, rule, name));
                }
            }
            var expected = raised.OrderBy(r => r.At).ThenBy(r => r.Rule).Select(r => (r.At, r.Rule, r.Name)).ToList(); // OrderBy is stable
            var actual = alerts.InOrder().ToArray().Select(i => (i.At, i.Rule, i.Alert.Rule)).ToList();
            Assert.Equal(expected, actual);
            Assert.Equal(raised.Count, alerts.Count);
            alerts.Clear();
            Assert.Equal(0, alerts.Count);
        }
    }
}
