using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Rules;

namespace Gumshoe.Engine.Tests.Rules;

/// <summary>Compiles rules from YAML text and feeds them events with times in seconds from a fixed origin.</summary>
internal static class RuleKit
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 4, 10, 0, 0, TimeSpan.Zero);

    public sealed class Sink : IAlertSink
    {
        public readonly List<Alert> Alerts = [];
        public readonly List<Event?> Triggers = []; // beside each alert, the event handed over with it

        public void Emit(Alert alert, Event? trigger)
        {
            Alerts.Add(alert);
            Triggers.Add(trigger);
        }
    }

    public static string WriteConfig(string yaml)
    {
        var dir = Directory.CreateTempSubdirectory("gumshoe-rules-").FullName;
        var path = Path.Combine(dir, "gumshoe.yml");
        File.WriteAllText(path, yaml);
        return path;
    }

    public static RuleSet Compile(string rulesYaml, MetricsRegistry? metrics = null)
    {
        var config = GumshoeConfig.Load(WriteConfig(rulesYaml), BuiltInComponents.Create(), _ => null);
        return RuleSet.Compile(config, metrics ?? new MetricsRegistry());
    }

    /// <summary>An event at T0 + seconds with the given fields ("k=v" pairs; IP fields typed).</summary>
    public static Event Ev(double seconds, params string[] fields)
    {
        var e = new Event { Timestamp = T0.AddSeconds(seconds), Input = "test", Offset = (long)(seconds * 10) };
        foreach (var f in fields)
        {
            var eq = f.IndexOf('=');
            e.Set(f[..eq], FieldTypes.Auto(f[..eq], f[(eq + 1)..]));
        }
        return e;
    }

    public static List<Alert> Feed(RuleSet rules, IEnumerable<Event> events, Sink? sink = null)
    {
        sink ??= new Sink();
        foreach (var e in events) rules.OnEvent(e, sink);
        return sink.Alerts;
    }

    /// <summary>An alert as one comparable line: rule, group, count, first and last seen as seconds from T0.</summary>
    public static string Line(Alert a) =>
        $"{a.Rule} {string.Join(",", a.Group.Select(g => g.Key + "=" + g.Value))} n={a.Count} {(a.FirstSeen - T0).TotalSeconds}..{(a.LastSeen - T0).TotalSeconds}"
        + (a.Suppressed > 0 ? $" suppressed={a.Suppressed}" : "");

    public static RuleSet Reloaded(RuleSet before, string rulesYaml)
    {
        var snapshot = before.Snapshot().ToJsonString();
        var after = Compile(rulesYaml);
        after.Restore(System.Text.Json.Nodes.JsonNode.Parse(snapshot));
        return after;
    }
}
