using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers.Packs.Saas;

/// <summary>
/// One Okta System Log event (<c>okta</c> pack): <c>outcome.result</c> SUCCESS/ALLOW → success, FAILURE/DENY →
/// failure, else unknown; sign-in and MFA event types are authentication starts, <c>user.session.end</c> an end,
/// <c>security.threat.detected</c> an alert. <c>debugData.risk</c> is kept as <c>labels.okta_risk</c>.
/// </summary>
public sealed class OktaSystemLogParser(string name = "okta") : IParser
{
    public string Name { get; } = name;

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        if (!SaasEventFields.TryOpen(line, e, out var doc, out var failure)) return failure;
        using (doc)
        {
            var root = doc.RootElement;
            var id = SaasEventFields.Str(root, "uuid");
            if (id is null || !SaasEventFields.TryTime(SaasEventFields.At(root, "published"), out var ts)) return ParseOutcome.Unmatched("not an Okta log event (no uuid/published)");
            e.Timestamp = ts;
            var eventType = SaasEventFields.Str(root, "eventType") ?? "unknown";
            var result = SaasEventFields.Str(root, "outcome", "result")?.ToUpperInvariant();
            var outcome = result switch { "SUCCESS" or "ALLOW" => "success", "FAILURE" or "DENY" => "failure", _ => "unknown" };
            var auth = eventType.StartsWith("user.session.", StringComparison.Ordinal) || eventType.StartsWith("user.authentication.", StringComparison.Ordinal)
                || eventType.StartsWith("user.mfa.", StringComparison.Ordinal) || eventType is "user.account.lock" or "policy.evaluate_sign_on";
            var type = eventType == "user.session.end" ? "end" : auth ? "start" : "info";
            var kind = eventType == "security.threat.detected" ? "alert" : "event";
            SaasEventFields.Classify(e, "okta", "okta.system", id, eventType, outcome, kind, type, auth ? "authentication" : "iam");
            SaasEventFields.Email(e, SaasEventFields.Str(root, "actor", "alternateId"));
            SaasEventFields.Set(e, Ecs.UserName, SaasEventFields.Str(root, "actor", "displayName"));
            SaasEventFields.Set(e, "user.id", SaasEventFields.Str(root, "actor", "id"));
            SaasEventFields.Source(e, SaasEventFields.Str(root, "client", "ipAddress"));
            SaasEventFields.Set(e, "user_agent.original", SaasEventFields.Str(root, "client", "userAgent", "rawUserAgent"));
            SaasEventFields.Set(e, Ecs.EventReason, SaasEventFields.Str(root, "outcome", "reason"));
            SaasEventFields.Set(e, "message", SaasEventFields.Str(root, "displayMessage"));
            SaasEventFields.Set(e, "saas.session_id", SaasEventFields.Str(root, "authenticationContext", "externalSessionId"));
            if (SaasEventFields.Str(root, "debugContext", "debugData", "risk") is { Length: > 0 } risk)
            {
                e.Set("labels.okta_risk", risk);
                e.Set("saas.vendor_risk", risk);
            }
            SaasEventFields.Set(e, "okta.debug_data.behaviors", SaasEventFields.Str(root, "debugContext", "debugData", "behaviors"));
            SaasEventFields.Set(e, "saas.vendor_geo.country_name", SaasEventFields.Str(root, "client", "geographicalContext", "country"));
            SaasEventFields.Set(e, "saas.vendor_geo.city_name", SaasEventFields.Str(root, "client", "geographicalContext", "city"));
            SaasEventFields.Related(e);
        }
        return ParseOutcome.Matched;
    }
}
