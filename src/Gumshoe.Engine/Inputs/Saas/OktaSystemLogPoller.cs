using System.Runtime.CompilerServices;
using System.Text.Json;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>
/// Okta System Log (<c>GET /api/v1/logs</c>) with an API token (<c>SSWS</c>): bounded requests
/// (<c>since</c>/<c>until</c> on <c>published</c>, ascending) following <c>Link: rel="next"</c> until a page is empty
/// or has no next link. <c>X-Rate-Limit-Reset</c> is honoured by the client.
/// </summary>
public sealed class OktaSystemLogPoller(string name, IParser parser, PollerOptions options, string orgUrl, string token, string? filter)
    : SaasPoller(name, parser, options, ["logs"])
{
    private readonly StaticTokenAuthenticator _auth = new("SSWS", token);

    protected override IRequestAuthenticator Authenticator => _auth;

    protected override string AccessHint =>
        "the API token must belong to an admin who may read the System Log (read-only admin is enough), or an OAuth service app with okta.logs.read";

    public static IInput Create(ConfigNode node, ComponentContext context)
    {
        var (name, parser, options) = Common(node, context, "okta", new PollerOptions { PageSize = 1000 });
        if (node.Get("org_url") is not { IsNull: false } orgNode || orgNode.AsString().Length == 0) throw node.Error("missing required key 'org_url' (https://{your-org}.okta.com)");
        var token = Required(node, "token", "an Okta API token");
        return new OktaSystemLogPoller(name, parser, options, BaseUrl(node, "org_url", ""), token, node.String("filter"));
    }

    protected override async IAsyncEnumerable<IReadOnlyList<PolledItem>> ReadAsync(WindowRead read, [EnumeratorCancellation] CancellationToken ct)
    {
        var query = $"since={Uri.EscapeDataString(JsonTime.Rfc3339(read.Window.Start))}&until={Uri.EscapeDataString(JsonTime.Rfc3339(read.Window.End.AddMilliseconds(1)))}"
            + $"&sortOrder=ASCENDING&limit={Math.Min(read.Options.PageSize, 1000)}";
        if (filter is not null) query += "&filter=" + Uri.EscapeDataString(filter);
        var url = new Uri($"{orgUrl}/api/v1/logs?{query}");
        read.FirstVisit(url.AbsoluteUri);
        while (true)
        {
            var current = url;
            using var response = await read.Api.SendAsync(() =>
            {
                var r = new HttpRequestMessage(HttpMethod.Get, current);
                r.Headers.Accept.ParseAdd("application/json");
                return r;
            }, ct);
            if (response.Root.ValueKind != JsonValueKind.Array) throw new ApiRequestException($"{ApiClient.Redact(current)}: expected a JSON array of log events");
            var items = read.Items(response.Root, current, "event", ev => (JsonTime.Str(ev, "uuid"), JsonTime.TryRfc3339(JsonTime.At(ev, "published"), out var t) ? t : null));
            yield return items;
            // an empty page means caught up (a polling-style next link would point at itself forever)
            if (response.Root.GetArrayLength() == 0) yield break;
            var next = LinkHeader.Find(response.Headers, "next");
            if (next is null || !read.FirstVisit(next.AbsoluteUri)) yield break;
            url = next;
        }
    }
}
