using System.Runtime.CompilerServices;
using System.Text.Json;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>
/// Google Workspace Admin SDK Reports (<c>activities.list</c>) for each configured application (<c>login</c>,
/// <c>admin</c>, <c>token</c>, <c>drive</c> …), one stream each. Authenticates as a service account with
/// domain-wide delegation. Google reports events minutes to hours late, so its default overlap is long (3 h):
/// every poll re-reads that much and skips what it delivered.
/// </summary>
public sealed class GoogleWorkspacePoller : SaasPoller
{
    public const string Scope = "https://www.googleapis.com/auth/admin.reports.audit.readonly";
    private static readonly PollerOptions Defaults = new() { Overlap = TimeSpan.FromHours(3), SafetyLag = TimeSpan.FromMinutes(1), PageSize = 1000 };

    private readonly string _baseUrl;
    private readonly GoogleServiceAccountAuthenticator _auth;
    private readonly string? _customerId;

    public GoogleWorkspacePoller(string name, IParser parser, PollerOptions options, string baseUrl, GoogleServiceAccountAuthenticator auth, IEnumerable<string> applications, string? customerId = null)
        : base(name, parser, options, applications)
    {
        _baseUrl = baseUrl;
        _auth = auth;
        _customerId = customerId;
    }

    protected override IRequestAuthenticator Authenticator => _auth;

    protected override string AccessHint =>
        $"the service account {_auth.ClientEmail} needs domain-wide delegation for scope {Scope}, and the impersonated admin needs the Reports privilege";

    public static IInput Create(ConfigNode node, ComponentContext context)
    {
        var (name, parser, options) = Common(node, context, "google_workspace", Defaults);
        var keyNode = node.Get("service_account_file") ?? throw node.Error("missing required key 'service_account_file' (the service account's JSON key)");
        var (email, key) = GoogleServiceAccountAuthenticator.ReadKeyFile(keyNode.AsPath(), keyNode);
        var admin = Required(node, "admin_email", "the admin the service account acts as (domain-wide delegation)");
        var apps = node.StringList("applications") ?? ["login"];
        if (apps.Count == 0) throw node.Error("'applications' is empty (login, admin, token, drive …)");
        foreach (var app in apps)
            if (app.Length == 0 || !app.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                throw node.Get("applications")!.Error($"'{app}' is not an application name (login, admin, token, drive …)");
        var tokenUrl = new Uri(BaseUrl(node, "token_url", GoogleServiceAccountAuthenticator.Audience));
        var auth = new GoogleServiceAccountAuthenticator(tokenUrl, key, email, admin, Scope, options.Timeout);
        return new GoogleWorkspacePoller(name, parser, options, BaseUrl(node, "base_url", "https://admin.googleapis.com"), auth, apps.Distinct(), node.String("customer_id"));
    }

    protected override async IAsyncEnumerable<IReadOnlyList<PolledItem>> ReadAsync(WindowRead read, [EnumeratorCancellation] CancellationToken ct)
    {
        var app = Uri.EscapeDataString(read.Stream);
        string? pageToken = null;
        while (true)
        {
            var query = $"startTime={Uri.EscapeDataString(JsonTime.Rfc3339(read.Window.Start))}&endTime={Uri.EscapeDataString(JsonTime.Rfc3339(read.Window.End))}"
                + $"&maxResults={Math.Min(read.Options.PageSize, 1000)}";
            if (_customerId is not null) query += "&customerId=" + Uri.EscapeDataString(_customerId);
            if (pageToken is not null) query += "&pageToken=" + Uri.EscapeDataString(pageToken);
            var url = new Uri($"{_baseUrl}/admin/reports/v1/activity/users/all/applications/{app}?{query}");
            using var response = await read.Api.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), ct);
            var items = read.Items(JsonTime.At(response.Root, "items"), url, "item", item =>
            {
                var time = JsonTime.At(item, "id", "time");
                var uq = JsonTime.At(item, "id", "uniqueQualifier");
                return uq.ValueKind is JsonValueKind.String or JsonValueKind.Number && JsonTime.TryRfc3339(time, out var t) ? (time.GetString() + "/" + uq, t) : (null, null);
            });
            yield return items;
            var next = JsonTime.Str(response.Root, "nextPageToken");
            if (string.IsNullOrEmpty(next) || !read.FirstVisit(next)) yield break;
            pageToken = next;
        }
    }
}
