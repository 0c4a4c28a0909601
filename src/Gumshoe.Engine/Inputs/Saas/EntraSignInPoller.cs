using System.Runtime.CompilerServices;
using System.Text.Json;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>
/// Microsoft Entra sign-ins from Graph (<c>GET /auditLogs/signIns</c>) with an app's client credentials
/// (application permission <c>AuditLog.Read.All</c>): <c>$filter</c> on <c>createdDateTime</c>, following
/// <c>@odata.nextLink</c> verbatim.
/// </summary>
public sealed class EntraSignInPoller(string name, IParser parser, PollerOptions options, string graphUrl, EntraClientCredentialsAuthenticator auth)
    : SaasPoller(name, parser, options, ["signins"])
{
    protected override IRequestAuthenticator Authenticator => auth;

    protected override string AccessHint =>
        "the app registration needs the Microsoft Graph application permission AuditLog.Read.All with admin consent, and the tenant an Entra ID P1 or P2 licence";

    public static IInput Create(ConfigNode node, ComponentContext context)
    {
        var (name, parser, options) = Common(node, context, "azure_ad", new PollerOptions { PageSize = 1000 });
        var tenant = Required(node, "tenant_id", "the Entra tenant id or domain");
        var clientId = Required(node, "client_id", "the app registration's client id");
        var secret = Required(node, "client_secret", "the app registration's client secret");
        var login = BaseUrl(node, "login_url", "https://login.microsoftonline.com");
        var scope = node.String("scope") ?? "https://graph.microsoft.com/.default";
        var tokenUrl = new Uri($"{login}/{Uri.EscapeDataString(tenant)}/oauth2/v2.0/token");
        return new EntraSignInPoller(name, parser, options, BaseUrl(node, "graph_url", "https://graph.microsoft.com/v1.0"),
            new EntraClientCredentialsAuthenticator(tokenUrl, clientId, secret, scope, options.Timeout));
    }

    protected override async IAsyncEnumerable<IReadOnlyList<PolledItem>> ReadAsync(WindowRead read, [EnumeratorCancellation] CancellationToken ct)
    {
        var filter = $"createdDateTime ge {JsonTime.Rfc3339Seconds(read.Window.Start.AddSeconds(-0.999))} and createdDateTime le {JsonTime.Rfc3339Seconds(read.Window.End.AddSeconds(1))}";
        var url = new Uri($"{graphUrl}/auditLogs/signIns?$filter={Uri.EscapeDataString(filter)}&$top={Math.Min(read.Options.PageSize, 1000)}");
        read.FirstVisit(url.AbsoluteUri);
        while (true)
        {
            var current = url;
            using var response = await read.Api.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, current), ct);
            if (response.Root.ValueKind != JsonValueKind.Object || !response.Root.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Array)
                throw new ApiRequestException($"{ApiClient.Redact(current)}: the answer has no 'value' array");
            var items = read.Items(value, current, "sign-in", s => (JsonTime.Str(s, "id"), JsonTime.TryRfc3339(JsonTime.At(s, "createdDateTime"), out var t) ? t : null));
            yield return items;
            var next = JsonTime.Str(response.Root, "@odata.nextLink");
            if (string.IsNullOrEmpty(next) || !Uri.TryCreate(next, UriKind.Absolute, out var nextUrl) || !read.FirstVisit(nextUrl.AbsoluteUri)) yield break;
            url = nextUrl;
        }
    }
}
