using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gumshoe.Engine.Config;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>
/// Google service-account credentials with domain-wide delegation: an RS256-signed JWT (RFC 7523) naming the
/// service account (<c>iss</c>), the impersonated admin (<c>sub</c>) and the scope, exchanged for an access token.
/// The private key is read from the service-account JSON key file and never leaves this object.
/// </summary>
public sealed class GoogleServiceAccountAuthenticator : OAuthTokenAuthenticator
{
    /// <summary>The audience Google expects, whatever URL the token is fetched from.</summary>
    public const string Audience = "https://oauth2.googleapis.com/token";

    private readonly RSA _key;
    private readonly string _clientEmail;
    private readonly string _subject;
    private readonly string _scope;

    public GoogleServiceAccountAuthenticator(Uri tokenUrl, RSA key, string clientEmail, string subject, string scope, TimeSpan timeout) : base(tokenUrl, timeout)
    {
        _key = key;
        _clientEmail = clientEmail;
        _subject = subject;
        _scope = scope;
    }

    /// <summary>The service account's e-mail (the JWT issuer).</summary>
    public string ClientEmail => _clientEmail;

    /// <summary>Reads a service-account key file (<c>client_email</c>, <c>private_key</c> in PEM); errors point at the config key.</summary>
    public static (string ClientEmail, RSA Key) ReadKeyFile(string path, ConfigNode at)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw at.Error($"cannot read the service-account key file '{path}': {ex.Message}"); }
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            var email = root.TryGetProperty("client_email", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : throw at.Error($"'{path}' has no client_email: is it a service-account key file?");
            var pem = root.TryGetProperty("private_key", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : throw at.Error($"'{path}' has no private_key");
            var rsa = RSA.Create();
            try { rsa.ImportFromPem(pem); }
            catch (Exception ex) when (ex is ArgumentException or CryptographicException)
            {
                rsa.Dispose();
                throw at.Error($"the private_key in '{path}' is not an RSA key in PEM: {ex.Message}");
            }
            return (email, rsa);
        }
        catch (JsonException ex) { throw at.Error($"'{path}' is not JSON: {ex.Message}"); }
    }

    protected override string RefusalHint =>
        $"the service account {_clientEmail} needs domain-wide delegation for scope {_scope} in the Admin console, and {_subject} must be an admin with the Reports privilege";

    protected override IEnumerable<KeyValuePair<string, string>> TokenRequestForm()
    {
        yield return new("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
        yield return new("assertion", CreateAssertion(DateTimeOffset.UtcNow));
    }

    /// <summary>The signed JWT: header.claims.signature, each base64url.</summary>
    public string CreateAssertion(DateTimeOffset now)
    {
        var header = Base64Url("{\"alg\":\"RS256\",\"typ\":\"JWT\"}"u8);
        var claims = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = _clientEmail,
            ["sub"] = _subject,
            ["scope"] = _scope,
            ["aud"] = Audience,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddHours(1).ToUnixTimeSeconds(),
        });
        var signingInput = header + "." + Base64Url(claims);
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
