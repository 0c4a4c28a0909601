using System.Text.Json.Nodes;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Rules.Conditions;
using Gumshoe.Engine.Rules.Correlation;

namespace Gumshoe.Engine.Rules;

/// <summary>The rules of a config, compiled: feeds each event to every rule and snapshots their state together.</summary>
public sealed class RuleSet
{
    private readonly List<IRule> _rules = [];

    public IReadOnlyList<IRule> Rules => _rules;

    /// <summary>Compiles the <c>rules:</c> section; errors carry the file, line and column.</summary>
    public static RuleSet Compile(ConfigNode? section, MetricsRegistry metrics)
    {
        var set = new RuleSet();
        if (section is null || section.IsNull) return set;
        foreach (var node in section.Items)
        {
            var name = node.Required("name").AsString();
            if (set._rules.Any(r => r.Name == name)) throw node.Error($"rule '{name}' is defined twice");
            var type = node.Get("type") is { } t ? t.AsEnum("single", "threshold") : "single";
            var whenNode = node.Required("when");
            var when = ConditionCompiler.Compile(whenNode);
            var group = GroupKey.Parse(node.Get("group_by"));
            var decorate = CompileActions(node, name);
            IRule rule = type switch
            {
                "threshold" => new ThresholdRule(name, when, group, new ThresholdOptions
                {
                    Count = node.Required("count").AsInt(1, 1_000_000),
                    Within = node.Required("within").AsDuration(),
                    MaxKeys = node.Int("max_keys", 1) ?? 100_000,
                    Rearm = (node.Get("rearm") is { } ra ? ra.AsEnum("after_quiet", "every_count") : "after_quiet") == "every_count"
                        ? ThresholdRearm.EveryCount : ThresholdRearm.AfterQuiet,
                }, decorate, metrics),
                _ => new ThresholdRule(name, when, group, new ThresholdOptions { Count = 1, Within = TimeSpan.FromTicks(1), Rearm = ThresholdRearm.EveryCount }, decorate, metrics),
            };
            node.Get("description");
            node.EnsureNoUnknownKeys($"rule '{name}'");
            set._rules.Add(rule);
        }
        return set;
    }

    // `then:` — for now the alert's presentation: a title and a description templated from fields.
    private static Action<Alert, Event> CompileActions(ConfigNode rule, string name)
    {
        var title = new Template($"{name} for {{group}}");
        Template? description = null;
        if (rule.Get("then") is { IsNull: false } then)
        {
            foreach (var action in then.Items)
            {
                foreach (var (type, body) in action.Entries)
                {
                    switch (type)
                    {
                        case "alert":
                            if (body.IsMapping)
                            {
                                if (body.String("title") is { } t) title = new Template(t);
                                if (body.String("description") is { } d) description = new Template(d);
                                body.EnsureNoUnknownKeys("alert action");
                            }
                            break;
                        default:
                            throw body.Error($"unknown action '{type}' (known: alert)");
                    }
                }
            }
        }
        return (alert, e) =>
        {
            var extra = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["rule"] = alert.Rule,
                ["count"] = alert.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["first_seen"] = EventTime.Format(alert.FirstSeen),
                ["last_seen"] = EventTime.Format(alert.LastSeen),
                ["group"] = string.Join(", ", alert.Group.Select(g => g.Value)),
            };
            foreach (var (k, v) in alert.Group) extra[k] = v;
            alert.Title = title.Render(e, extra);
            alert.Description = description?.Render(e, extra);
        };
    }

    /// <summary>Feeds one event to every rule.</summary>
    public void OnEvent(Event e, IAlertSink sink)
    {
        foreach (var r in _rules) r.OnEvent(e, sink);
    }

    public JsonObject Snapshot()
    {
        var o = new JsonObject();
        foreach (var r in _rules) o[r.Name] = r.Snapshot();
        return o;
    }

    /// <summary>Restores the rules that still exist; state of removed rules is dropped.</summary>
    public void Restore(JsonNode? state)
    {
        if (state is not JsonObject o) return;
        foreach (var r in _rules)
            if (o[r.Name] is { } s) r.Restore(s);
    }
}
