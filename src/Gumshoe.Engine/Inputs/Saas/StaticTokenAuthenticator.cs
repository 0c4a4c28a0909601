using System.Net.Http.Headers;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>A long-lived API token sent as <c>Authorization: {scheme} {token}</c> (Slack and GitHub: Bearer, Okta: SSWS).</summary>
public sealed class StaticTokenAuthenticator(string scheme, string token) : IRequestAuthenticator
{
    public Task AuthenticateAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue(scheme, token);
        return Task.CompletedTask;
    }

    public void Invalidate() { }

    public override string ToString() => $"{scheme} token";
}
