using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>
/// Slack Audit Logs API (<c>GET /audit/v1/logs</c>, Enterprise Grid) with an org owner's user token
/// (<c>auditlogs:read</c>): <c>oldest</c>/<c>latest</c> in Unix seconds, following <c>response_metadata.next_cursor</c>.
/// </summary>
public sealed class SlackAuditPoller(string name, IParser parser, PollerOptions options, string baseUrl, string token, string? actions)
    : SaasPoller(name, parser, options, ["audit"])
{
    private readonly StaticTokenAuthenticator _auth = new("Bearer", token);

    protected override IRequestAuthenticator Authenticator => _auth;

    protected override string AccessHint =>
        "the Audit Logs API needs a user token (xoxp-) of an Enterprise organization owner with the auditlogs:read scope, from an app installed on the organization";

    public static IInput Create(ConfigNode node, ComponentContext context)
    {
        var (name, parser, options) = Common(node, context, "slack_audit", new PollerOptions());
        var token = Required(node, "token", "an org owner's user token with auditlogs:read");
        var actions = node.StringList("actions");
        return new SlackAuditPoller(name, parser, options, BaseUrl(node, "base_url", "https://api.slack.com/audit/v1"), token,
            actions is { Count: > 0 } ? string.Join(",", actions) : null);
    }

    protected override async IAsyncEnumerable<IReadOnlyList<PolledItem>> ReadAsync(WindowRead read, [EnumeratorCancellation] CancellationToken ct)
    {
        string? cursor = null;
        // oldest and latest are inclusive whole seconds: widen to cover the window, the poller trims to it
        var oldest = read.Window.Start.ToUnixTimeSeconds();
        var latest = (long)Math.Ceiling(read.Window.End.ToUnixTimeMilliseconds() / 1000.0);
        while (true)
        {
            var query = $"oldest={oldest}&latest={latest}&limit={Math.Min(read.Options.PageSize, 9999)}";
            if (actions is not null) query += "&action=" + Uri.EscapeDataString(actions);
            if (cursor is not null) query += "&cursor=" + Uri.EscapeDataString(cursor);
            var url = new Uri($"{baseUrl}/logs?{query}");
            using var response = await read.Api.SendAsync(() =>
            {
                var r = new HttpRequestMessage(HttpMethod.Get, url);
                r.Headers.Accept.ParseAdd("application/json");
                return r;
            }, ct);
            if (response.Root.ValueKind == JsonValueKind.Object && response.Root.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.False)
                throw SlackError.From(response.Root, url, AccessHint);
            var items = read.Items(JsonTime.At(response.Root, "entries"), url, "entry",
                entry => (JsonTime.Str(entry, "id"), entry.TryGetProperty("date_create", out var dc) && JsonTime.TryEpochSeconds(dc, out var t) ? t : null));
            yield return items;
            var next = JsonTime.Str(JsonTime.At(response.Root, "response_metadata"), "next_cursor");
            if (string.IsNullOrEmpty(next) || !read.FirstVisit(next)) yield break;
            cursor = next;
        }
    }
}

/// <summary>Slack's <c>{"ok": false, "error": …}</c> answers as exceptions: auth errors name the scope, others are retried next poll.</summary>
internal static class SlackError
{
    private static readonly HashSet<string> AccessErrors = new(StringComparer.Ordinal)
    {
        "not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired", "no_permission", "missing_scope",
        "not_allowed_token_type", "paid_only", "feature_not_enabled", "team_not_authorized", "invalid_workspace", "not_an_enterprise", "ekm_access_denied",
    };

    public static Exception From(JsonElement root, Uri url, string hint)
    {
        var error = JsonTime.Str(root, "error") ?? "unknown_error";
        var needed = JsonTime.Str(root, "needed");
        var detail = needed is null ? "" : string.Create(CultureInfo.InvariantCulture, $" (needed scope: {needed})");
        return AccessErrors.Contains(error)
            ? new ApiAccessDeniedException($"{ApiClient.Redact(url)} answered error '{error}'{detail}: {hint}")
            : new ApiRequestException($"{ApiClient.Redact(url)} answered error '{error}'{detail}");
    }
}
