using System.Text.Json;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers.Packs;

/// <summary>
/// Suricata <c>eve.json</c> lines. Every record keeps all its fields flattened under <c>suricata.eve.*</c> and gets the
/// flow's <c>source.*</c>, <c>destination.*</c> and <c>network.*</c>; alerts are also mapped to ECS rule fields
/// (<c>rule.id</c>, <c>rule.name</c>, <c>rule.category</c>, <c>event.severity</c>, <c>event.kind: alert</c>).
/// </summary>
public sealed class SuricataEveParser(string name = "suricata") : IParser
{
    // the pack's own names, the instances rules use too (see FieldNames)
    private static readonly string NetworkProtocolField = FieldNames.Intern("network.protocol"),
        NetworkCommunityIdField = FieldNames.Intern("network.community_id"),
        SuricataEveEventTypeField = FieldNames.Intern("suricata.eve.event_type"),
        RuleIdField = FieldNames.Intern("rule.id"),
        RuleNameField = FieldNames.Intern("rule.name"),
        RuleCategoryField = FieldNames.Intern("rule.category"),
        RuleVersionField = FieldNames.Intern("rule.version"),
        RuleGidField = FieldNames.Intern("rule.gid"),
        EventSeverityField = FieldNames.Intern("event.severity");

    private const string Prefix = "suricata.eve";

    public string Name { get; } = name;

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        if (!JsonLineParser.TryParseObject(line, out var doc, out var failure)) return failure;
        using (doc)
        {
            var root = doc.RootElement;
            if (!root.TryGetProperty("event_type", out var typeEl) || typeEl.ValueKind != JsonValueKind.String)
                return ParseOutcome.Unmatched("not a Suricata eve record (no event_type)");
            var eventType = typeEl.GetString()!;
            var original = e.Original;
            EventJson.Flatten(e, root, Prefix);
            e.Original = original;

            if (root.TryGetProperty("timestamp", out var stamp) && stamp.ValueKind == JsonValueKind.String)
            {
                var text = stamp.GetString()!;
                if (!TimestampParser.TryParseRfc3339(text, context.TimeZone, out var ts)) return ParseOutcome.Failed($"bad timestamp in {Prefix}.timestamp: {text}");
                e.Timestamp = ts;
            }

            Copy(e, root, "src_ip", Ecs.SourceIp);
            Copy(e, root, "src_port", Ecs.SourcePort);
            Copy(e, root, "dest_ip", Ecs.DestinationIp);
            Copy(e, root, "dest_port", Ecs.DestinationPort);
            if (root.TryGetProperty("proto", out var proto) && proto.ValueKind == JsonValueKind.String)
                e.Set(Ecs.NetworkTransport, proto.GetString()!.ToLowerInvariant());
            if (root.TryGetProperty("app_proto", out var app) && app.ValueKind == JsonValueKind.String && app.GetString() is { } ap && ap != "failed")
                e.Set(NetworkProtocolField, ap);
            if (root.TryGetProperty("in_iface", out var iface) && iface.ValueKind == JsonValueKind.String)
                e.Set(Ecs.ObserverIngressInterfaceName, iface.GetString());
            if (root.TryGetProperty("community_id", out var cid) && cid.ValueKind == JsonValueKind.String)
                e.Set(NetworkCommunityIdField, cid.GetString());
            if (root.TryGetProperty("flow_id", out var flow)) e.Set(Ecs.EventId, EventJson.FromJson(flow).ToString());
            e.Set(Ecs.EventProvider, "suricata");
            e.Set(Ecs.EventDataset, "suricata.eve");
            e.Set(SuricataEveEventTypeField, eventType);

            if (eventType == "alert" && root.TryGetProperty("alert", out var alert) && alert.ValueKind == JsonValueKind.Object)
            {
                e.Set(Ecs.EventKind, "alert");
                e.Set(Ecs.EventCategory, "intrusion_detection");
                Copy(e, alert, "signature_id", RuleIdField);
                Copy(e, alert, "signature", RuleNameField);
                Copy(e, alert, "category", RuleCategoryField);
                Copy(e, alert, "rev", RuleVersionField);
                Copy(e, alert, "gid", RuleGidField);
                Copy(e, alert, "severity", EventSeverityField);
                if (alert.TryGetProperty("action", out var action) && action.ValueKind == JsonValueKind.String)
                {
                    var a = action.GetString()!;
                    e.Set(Ecs.EventAction, a);
                    e.Set(Ecs.EventType, a == "blocked" ? "denied" : "allowed");
                }
                else e.Set(Ecs.EventAction, "alert");
            }
            else
            {
                e.Set(Ecs.EventKind, "event");
                e.Set(Ecs.EventAction, eventType);
            }
        }
        return ParseOutcome.Matched;
    }

    private static void Copy(Event e, JsonElement obj, string property, string field)
    {
        if (!obj.TryGetProperty(property, out var v)) return;
        var value = EventJson.FromJson(v);
        if (value.IsNull) return;
        if (value.Kind == FieldKind.String && FieldTypes.IpFields.Contains(field)) value = FieldTypes.Auto(field, value.AsString());
        e.Set(field, value);
    }
}
