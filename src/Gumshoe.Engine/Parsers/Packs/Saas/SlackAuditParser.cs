using System.Text.Json;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers.Packs.Saas;

/// <summary>
/// One Slack Audit Logs entry (<c>slack_audit</c> pack): <c>user_login</c> success, <c>user_login_failed</c> failure,
/// <c>user_logout*</c> an end, <c>anomaly</c> a vendor alert with its reasons in <c>labels.reason</c>; other actions
/// keep their name. The actor is the user; <c>context</c> gives the address, user agent and session.
/// </summary>
public sealed class SlackAuditParser(string name = "slack_audit") : IParser
{
    public string Name { get; } = name;

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        if (!SaasEventFields.TryOpen(line, e, out var doc, out var failure)) return failure;
        using (doc)
        {
            var root = doc.RootElement;
            var id = SaasEventFields.Str(root, "id");
            if (id is null || !SaasEventFields.TryEpochSeconds(SaasEventFields.At(root, "date_create"), out var ts)) return ParseOutcome.Unmatched("not a Slack audit entry (no id/date_create)");
            e.Timestamp = ts;
            var action = SaasEventFields.Str(root, "action") ?? "unknown";
            string outcome, kind = "event", type = "start";
            string? category = "authentication";
            if (action is "user_login" or "cli_login") outcome = "success";
            else if (action == "user_login_failed") outcome = "failure";
            else if (action.StartsWith("user_logout", StringComparison.Ordinal) || action == "cli_logout") { outcome = "success"; type = "end"; }
            else if (action == "anomaly") { outcome = "unknown"; kind = "alert"; type = "info"; }
            else if (action.StartsWith("user_session", StringComparison.Ordinal)) { outcome = "success"; type = "info"; }
            else { outcome = "unknown"; type = "info"; category = null; }
            SaasEventFields.Classify(e, "slack", "slack.audit", id, action, outcome, kind, type, category);
            SaasEventFields.Email(e, SaasEventFields.Str(root, "actor", "user", "email"));
            SaasEventFields.Set(e, Ecs.UserName, SaasEventFields.Str(root, "actor", "user", "name"));
            SaasEventFields.Set(e, "user.id", SaasEventFields.Str(root, "actor", "user", "id"));
            SaasEventFields.Source(e, SaasEventFields.Str(root, "context", "ip_address"));
            SaasEventFields.Set(e, "user_agent.original", SaasEventFields.Str(root, "context", "ua"));
            SaasEventFields.Set(e, "saas.session_id", SaasEventFields.Str(root, "context", "session_id"));
            SaasEventFields.Set(e, "organization.id", SaasEventFields.Str(root, "context", "location", "id"));
            SaasEventFields.Set(e, "slack.entity.type", SaasEventFields.Str(root, "entity", "type"));
            if (SaasEventFields.At(root, "details", "reason") is { ValueKind: JsonValueKind.Array } reasons)
            {
                var list = string.Join(",", reasons.EnumerateArray().Select(r => r.ToString()));
                e.Set("labels.reason", list);
                e.Set(Ecs.EventReason, list);
            }
            SaasEventFields.Set(e, "slack.details.previous_ip_address", SaasEventFields.Str(root, "details", "previous_ip_address"));
            SaasEventFields.Set(e, "slack.details.previous_ua", SaasEventFields.Str(root, "details", "previous_ua"));
            SaasEventFields.Set(e, "saas.vendor_geo.name", SaasEventFields.Str(root, "details", "location"));
            SaasEventFields.Related(e);
        }
        return ParseOutcome.Matched;
    }
}
