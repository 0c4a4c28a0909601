using System.Net.Http.Headers;
using System.Text.Json;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>
/// A bearer token fetched from an OAuth 2.0 token endpoint (a form POST) and cached until shortly before it expires:
/// the base of the Google service-account and Entra client-credentials flows. Token errors are reported with the
/// endpoint's <c>error</c>/<c>error_description</c>, never with the credentials.
/// </summary>
public abstract class OAuthTokenAuthenticator(Uri tokenUrl, TimeSpan timeout) : IRequestAuthenticator, IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly HttpClient _http = new() { Timeout = timeout };
    private string? _token;
    private DateTimeOffset _expires;

    /// <summary>Where tokens are requested.</summary>
    public Uri TokenUrl { get; } = tokenUrl;

    /// <summary>The form fields of a token request (built fresh each time: a signed assertion expires).</summary>
    protected abstract IEnumerable<KeyValuePair<string, string>> TokenRequestForm();

    /// <summary>What the credentials need when the endpoint refuses them.</summary>
    protected abstract string RefusalHint { get; }

    public async Task AuthenticateAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(cancellationToken));
    }

    public void Invalidate() => _token = null;

    private async Task<string> TokenAsync(CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            if (_token is not null && DateTimeOffset.UtcNow < _expires) return _token;
            using var form = new FormUrlEncodedContent(TokenRequestForm());
            using var response = await _http.PostAsync(TokenUrl, form, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if ((int)response.StatusCode >= 500 || response.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
                throw new HttpRequestException($"token endpoint {ApiClient.Redact(TokenUrl)} answered {(int)response.StatusCode}");
            JsonDocument doc;
            try { doc = JsonDocument.Parse(body); }
            catch (JsonException) { throw new HttpRequestException($"token endpoint {ApiClient.Redact(TokenUrl)} answered {(int)response.StatusCode} without JSON"); }
            using (doc)
            {
                var root = doc.RootElement;
                if (!response.IsSuccessStatusCode || !root.TryGetProperty("access_token", out var tok) || tok.ValueKind != JsonValueKind.String)
                {
                    var error = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var e) ? e.ToString() : "no access_token";
                    var description = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error_description", out var d) ? ": " + d : "";
                    throw new ApiAccessDeniedException($"token endpoint {ApiClient.Redact(TokenUrl)} refused the credentials ({(int)response.StatusCode} {error}{description}); {RefusalHint}");
                }
                var lifetime = root.TryGetProperty("expires_in", out var exp) && exp.ValueKind == JsonValueKind.Number ? exp.GetInt32() : 3600;
                _token = tok.GetString()!;
                // refresh a minute early so a token does not expire between the check and the request
                _expires = DateTimeOffset.UtcNow.AddSeconds(Math.Max(30, lifetime - 60));
                return _token;
            }
        }
        finally { _lock.Release(); }
    }

    public void Dispose()
    {
        _http.Dispose();
        _lock.Dispose();
        GC.SuppressFinalize(this);
    }
}
