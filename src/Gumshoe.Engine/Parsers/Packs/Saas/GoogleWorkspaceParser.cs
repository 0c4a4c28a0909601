using System.Text.Json;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers.Packs.Saas;

/// <summary>
/// One Google Workspace Reports activity (<c>google_workspace</c> pack). Login activities become authentication
/// events (<c>login_success</c>, <c>login_failure</c>, challenges by their status, <c>logout</c> as an end,
/// <c>account_warning</c> as a vendor alert); other applications keep their event name as the action (<c>admin</c>,
/// <c>token</c> and <c>drive</c> activities as successes, with <c>user.target.email</c> when they name a user).
/// <c>event.id</c> is <c>id.time/id.uniqueQualifier</c>; event parameters go to <c>google_workspace.parameters.*</c>.
/// </summary>
public sealed class GoogleWorkspaceParser(string name = "google_workspace") : IParser
{
    public string Name { get; } = name;

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        if (!SaasEventFields.TryOpen(line, e, out var doc, out var failure)) return failure;
        using (doc)
        {
            var root = doc.RootElement;
            var time = SaasEventFields.At(root, "id", "time");
            var uq = SaasEventFields.Str(root, "id", "uniqueQualifier");
            if (!SaasEventFields.TryTime(time, out var ts) || uq is null) return ParseOutcome.Unmatched("not a Reports activity (no id.time/id.uniqueQualifier)");
            e.Timestamp = ts;
            var app = SaasEventFields.Str(root, "id", "applicationName") ?? "unknown";
            var first = SaasEventFields.At(root, "events").ValueKind == JsonValueKind.Array && root.GetProperty("events").GetArrayLength() > 0 ? root.GetProperty("events")[0] : default;
            var evType = SaasEventFields.Str(first, "type") ?? "";
            var evName = SaasEventFields.Str(first, "name") ?? "unknown";
            var parameters = Parameters(first);

            string outcome = "unknown", kind = "event", type = "info";
            string? category = app switch { "login" or "saml" => "authentication", "drive" => "file", "token" or "admin" or "user_accounts" => "iam", _ => null };
            if (app is "login" or "saml")
            {
                type = "start";
                switch (evName)
                {
                    case "login_success": outcome = "success"; break;
                    case "logout": outcome = "success"; type = "end"; break;
                    case "login_failure": outcome = "failure"; break;
                    case "login_challenge" or "login_verification":
                        var status = (parameters.TryGetValue("login_challenge_status", out var st) ? st.AsString().ToLowerInvariant() : "");
                        outcome = status.StartsWith("challenge passed", StringComparison.Ordinal) || status.StartsWith("passed", StringComparison.Ordinal) ? "success"
                            : status.StartsWith("challenge failed", StringComparison.Ordinal) || status.StartsWith("failed", StringComparison.Ordinal) ? "failure" : "unknown";
                        break;
                }
                if (evType == "account_warning") { kind = "alert"; type = "info"; outcome = "unknown"; }
            }
            // the admin, token and drive reports record actions that were carried out (a refused one is not reported)
            else if (app is "admin" or "token" or "drive") outcome = "success";
            SaasEventFields.Classify(e, "google_workspace", "google_workspace." + app, time.GetString() + "/" + uq, evName, outcome, kind, type, category);
            SaasEventFields.Email(e, SaasEventFields.Str(root, "actor", "email"));
            SaasEventFields.Set(e, "user.id", SaasEventFields.Str(root, "actor", "profileId"));
            SaasEventFields.Source(e, SaasEventFields.Str(root, "ipAddress"));
            SaasEventFields.Set(e, "organization.id", SaasEventFields.Str(root, "id", "customerId"));
            SaasEventFields.Set(e, "google_workspace.event.type", evType);
            foreach (var (k, v) in parameters) e.Set("google_workspace.parameters." + k, v);
            if (parameters.TryGetValue("login_type", out var lt)) e.Set("labels.login_type", lt);
            if (parameters.TryGetValue("is_suspicious", out var sus))
            {
                e.Set("labels.is_suspicious", sus);
                e.Set("saas.is_suspicious", sus);
            }
            if (parameters.TryGetValue("login_failure_type", out var reason)) e.Set(Ecs.EventReason, reason);
            // whom an admin action or a Drive sharing change was about
            if ((app == "admin" && parameters.TryGetValue("USER_EMAIL", out var target)) || (app == "drive" && parameters.TryGetValue("target_user", out target)))
                e.Set("user.target.email", target);
            if (SaasEventFields.At(root, "networkInfo", "regionCode").ValueKind == JsonValueKind.String)
                e.Set("saas.vendor_geo.country_iso_code", SaasEventFields.Str(root, "networkInfo", "regionCode"));
            SaasEventFields.Related(e);
        }
        return ParseOutcome.Matched;
    }

    // parameters: {name, value | boolValue | intValue | multiValue | multiIntValue}
    private static Dictionary<string, FieldValue> Parameters(JsonElement ev)
    {
        var result = new Dictionary<string, FieldValue>(StringComparer.Ordinal);
        if (SaasEventFields.At(ev, "parameters") is not { ValueKind: JsonValueKind.Array } ps) return result;
        foreach (var p in ps.EnumerateArray())
        {
            if (SaasEventFields.Str(p, "name") is not { } n) continue;
            if (p.TryGetProperty("value", out var v)) result[n] = EventJson.FromJson(v);
            else if (p.TryGetProperty("boolValue", out var b)) result[n] = EventJson.FromJson(b);
            else if (p.TryGetProperty("intValue", out var i)) result[n] = long.TryParse(i.ToString(), out var l) ? FieldValue.Long(l) : EventJson.FromJson(i);
            else if (p.TryGetProperty("multiValue", out var mv)) result[n] = EventJson.FromJson(mv);
            else if (p.TryGetProperty("multiIntValue", out var mi)) result[n] = EventJson.FromJson(mi);
        }
        return result;
    }
}
