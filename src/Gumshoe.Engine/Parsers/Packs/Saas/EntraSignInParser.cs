using System.Text.Json;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers.Packs.Saas;

/// <summary>
/// One Microsoft Entra sign-in from Graph (<c>azure_ad</c> pack, dataset <c>azure.signinlogs</c>): action
/// <c>sign-in</c>, <c>status.errorCode</c> 0 → success, anything else failure with the code and reason in
/// <c>event.reason</c>; Entra's risk verdict (other than none) in <c>labels.risk_level_during_signin</c>.
/// </summary>
public sealed class EntraSignInParser(string name = "azure_ad") : IParser
{
    public string Name { get; } = name;

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        if (!SaasEventFields.TryOpen(line, e, out var doc, out var failure)) return failure;
        using (doc)
        {
            var root = doc.RootElement;
            var id = SaasEventFields.Str(root, "id");
            if (id is null || !SaasEventFields.TryTime(SaasEventFields.At(root, "createdDateTime"), out var ts)) return ParseOutcome.Unmatched("not a Graph sign-in (no id/createdDateTime)");
            e.Timestamp = ts;
            var code = SaasEventFields.At(root, "status", "errorCode");
            var outcome = code.ValueKind == JsonValueKind.Number ? (code.GetRawText() == "0" ? "success" : "failure") : "unknown";
            SaasEventFields.Classify(e, "azure_ad", "azure.signinlogs", id, "sign-in", outcome);
            SaasEventFields.Email(e, SaasEventFields.Str(root, "userPrincipalName"));
            SaasEventFields.Set(e, Ecs.UserName, SaasEventFields.Str(root, "userDisplayName"));
            SaasEventFields.Set(e, "user.id", SaasEventFields.Str(root, "userId"));
            SaasEventFields.Source(e, SaasEventFields.Str(root, "ipAddress"));
            SaasEventFields.Set(e, "user_agent.original", SaasEventFields.Str(root, "userAgent"));
            if (outcome == "failure")
                e.Set(Ecs.EventReason, (code.GetRawText() + " " + SaasEventFields.Str(root, "status", "failureReason")).Trim());
            if (SaasEventFields.Str(root, "riskLevelDuringSignIn") is { } risk && risk is not ("none" or "hidden" or ""))
            {
                e.Set("labels.risk_level_during_signin", risk);
                e.Set("saas.vendor_risk", risk);
            }
            SaasEventFields.Set(e, "organization.id", SaasEventFields.Str(root, "homeTenantId") ?? SaasEventFields.Str(root, "resourceTenantId"));
            SaasEventFields.Set(e, "azure.signinlogs.app_display_name", SaasEventFields.Str(root, "appDisplayName"));
            SaasEventFields.Set(e, "azure.signinlogs.client_app_used", SaasEventFields.Str(root, "clientAppUsed"));
            SaasEventFields.Set(e, "azure.signinlogs.conditional_access_status", SaasEventFields.Str(root, "conditionalAccessStatus"));
            if (SaasEventFields.At(root, "riskEventTypes_v2") is { ValueKind: JsonValueKind.Array } types && types.GetArrayLength() > 0)
                e.Set("azure.signinlogs.risk_event_types", EventJson.FromJson(types));
            SaasEventFields.Set(e, "saas.vendor_geo.country_iso_code", SaasEventFields.Str(root, "location", "countryOrRegion"));
            SaasEventFields.Set(e, "saas.vendor_geo.city_name", SaasEventFields.Str(root, "location", "city"));
            SaasEventFields.Related(e);
        }
        return ParseOutcome.Matched;
    }
}
