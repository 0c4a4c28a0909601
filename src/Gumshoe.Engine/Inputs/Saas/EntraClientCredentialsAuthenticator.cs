namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>Microsoft Entra client-credentials flow: client id + secret for a Graph token (<c>https://graph.microsoft.com/.default</c>).</summary>
public sealed class EntraClientCredentialsAuthenticator(Uri tokenUrl, string clientId, string clientSecret, string scope, TimeSpan timeout)
    : OAuthTokenAuthenticator(tokenUrl, timeout)
{
    protected override string RefusalHint =>
        $"check the tenant id, client id {clientId} and its secret; the app needs the application permission AuditLog.Read.All with admin consent";

    protected override IEnumerable<KeyValuePair<string, string>> TokenRequestForm()
    {
        yield return new("grant_type", "client_credentials");
        yield return new("client_id", clientId);
        yield return new("client_secret", clientSecret);
        yield return new("scope", scope);
    }
}
