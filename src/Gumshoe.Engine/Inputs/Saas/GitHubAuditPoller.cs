using System.Runtime.CompilerServices;
using System.Text.Json;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>
/// GitHub Enterprise audit log (<c>GET /enterprises/{enterprise}/audit-log</c>; GHES: base URL
/// <c>https://HOST/api/v3</c>) with an enterprise owner's classic token (<c>read:audit_log</c>): oldest first with
/// <c>phrase=created:&gt;=…</c>, following <c>Link: rel="next"</c>; paging stops past the window's end.
/// </summary>
public sealed class GitHubAuditPoller(string name, IParser parser, PollerOptions options, string apiUrl, string enterprise, string token, string include)
    : SaasPoller(name, parser, options, ["audit_log"])
{
    private readonly StaticTokenAuthenticator _auth = new("Bearer", token);

    protected override IRequestAuthenticator Authenticator => _auth;

    protected override string AccessHint =>
        $"the token must be a classic personal access token of an owner of enterprise '{enterprise}' with the read:audit_log scope (admin:enterprise on older GitHub Enterprise Server)";

    public static IInput Create(ConfigNode node, ComponentContext context)
    {
        var (name, parser, options) = Common(node, context, "github_audit", new PollerOptions { PageSize = 100 });
        var enterprise = Required(node, "enterprise", "the enterprise slug");
        var token = Required(node, "token", "a classic PAT with read:audit_log");
        var include = node.Get("include") is { IsNull: false } inc ? inc.AsEnum("web", "git", "all") : "web";
        return new GitHubAuditPoller(name, parser, options, BaseUrl(node, "base_url", "https://api.github.com"), enterprise, token, include);
    }

    protected override async IAsyncEnumerable<IReadOnlyList<PolledItem>> ReadAsync(WindowRead read, [EnumeratorCancellation] CancellationToken ct)
    {
        var phrase = "created:>=" + JsonTime.Rfc3339Seconds(read.Window.Start.AddSeconds(-0.999));
        var url = new Uri($"{apiUrl}/enterprises/{Uri.EscapeDataString(enterprise)}/audit-log?phrase={Uri.EscapeDataString(phrase)}&include={include}&order=asc&per_page={Math.Min(read.Options.PageSize, 100)}");
        read.FirstVisit(url.AbsoluteUri);
        while (true)
        {
            var current = url;
            using var response = await read.Api.SendAsync(() =>
            {
                var r = new HttpRequestMessage(HttpMethod.Get, current);
                r.Headers.Accept.ParseAdd("application/vnd.github+json");
                r.Headers.TryAddWithoutValidation("X-GitHub-Api-Version", "2022-11-28");
                return r;
            }, ct);
            if (response.Root.ValueKind != JsonValueKind.Array) throw new ApiRequestException($"{ApiClient.Redact(current)}: expected a JSON array of audit events");
            var items = new List<PolledItem>();
            var past = false;
            var n = 0;
            foreach (var ev in response.Root.EnumerateArray())
            {
                n++;
                var id = JsonTime.Str(ev, "_document_id");
                if (id is null || !ev.TryGetProperty("@timestamp", out var ts) || !JsonTime.TryEpochMilliseconds(ts, out var t))
                {
                    read.BadItem("item_without_id", $"{ApiClient.Redact(current)} event {n}");
                    continue;
                }
                if (t > read.Window.End) past = true;
                items.Add(new PolledItem(id, t, ev.GetRawText()));
            }
            yield return items;
            if (past) yield break;
            var next = LinkHeader.Find(response.Headers, "next");
            if (next is null || !read.FirstVisit(next.AbsoluteUri)) yield break;
            url = next;
        }
    }
}
