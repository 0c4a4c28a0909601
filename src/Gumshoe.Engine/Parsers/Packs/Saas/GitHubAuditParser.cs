using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers.Packs.Saas;

/// <summary>
/// One GitHub Enterprise audit-log event (<c>github_audit</c> pack): sign-in actions (<c>user.login</c>,
/// <c>user.failed_login</c>, two-factor and device checks, sign-ins from unrecognised places) are authentication
/// events, <c>*failed*</c>/<c>*_failure</c> failures; the user is the GitHub login (no e-mail: the identity enricher maps it).
/// </summary>
public sealed class GitHubAuditParser(string name = "github_audit") : IParser
{
    private static readonly string[] SignInPrefixes =
        ["user.login", "user.failed_login", "user.logout", "user.two_factor", "user.sign_in_from", "user.device_verification", "user.correct_password", "business.sso_response", "org.sso_response"];

    public string Name { get; } = name;

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        if (!SaasEventFields.TryOpen(line, e, out var doc, out var failure)) return failure;
        using (doc)
        {
            var root = doc.RootElement;
            var id = SaasEventFields.Str(root, "_document_id");
            var stamp = SaasEventFields.At(root, "@timestamp");
            if (id is null || stamp.ValueKind != System.Text.Json.JsonValueKind.Number || !stamp.TryGetInt64(out var ms)) return ParseOutcome.Unmatched("not a GitHub audit event (no _document_id/@timestamp)");
            e.Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            var action = SaasEventFields.Str(root, "action") ?? "unknown";
            var signIn = SignInPrefixes.Any(p => action.StartsWith(p, StringComparison.Ordinal));
            var failed = action.Contains("failed", StringComparison.Ordinal) || action.EndsWith("_failure", StringComparison.Ordinal);
            var outcome = failed ? "failure" : signIn || action.EndsWith("_success", StringComparison.Ordinal) ? "success" : "unknown";
            var type = action == "user.logout" ? "end" : signIn ? "start" : "info";
            SaasEventFields.Classify(e, "github", "github.audit", id, action, outcome, "event", type, signIn ? "authentication" : null);
            SaasEventFields.Set(e, Ecs.UserName, SaasEventFields.Str(root, "actor"));
            SaasEventFields.Set(e, "user.id", SaasEventFields.Str(root, "actor_id"));
            SaasEventFields.Source(e, SaasEventFields.Str(root, "actor_ip"));
            SaasEventFields.Set(e, "user_agent.original", SaasEventFields.Str(root, "user_agent"));
            SaasEventFields.Set(e, "organization.id", SaasEventFields.Str(root, "business"));
            SaasEventFields.Set(e, "github.org", SaasEventFields.Str(root, "org"));
            SaasEventFields.Set(e, "github.operation_type", SaasEventFields.Str(root, "operation_type"));
            SaasEventFields.Set(e, "saas.vendor_geo.country_iso_code", SaasEventFields.Str(root, "actor_location", "country_code"));
            SaasEventFields.Related(e);
        }
        return ParseOutcome.Matched;
    }
}
