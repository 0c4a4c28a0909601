using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>
/// AWS Signature Version 4 for one request: canonical request → string to sign → HMAC chain of date, region and
/// service → <c>Authorization: AWS4-HMAC-SHA256 …</c>. Signs <c>host</c>, <c>x-amz-date</c>, the content type and
/// every <c>x-amz-*</c> header present (AWSSDK.CloudTrail is not on the package mirror; this is the documented algorithm).
/// </summary>
public sealed class AwsSigV4Signer(string accessKeyId, string secretAccessKey, string region, string service, string? sessionToken = null) : IRequestAuthenticator
{
    /// <summary>The clock (tests pin it to the documented example's time).</summary>
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;

    public async Task AuthenticateAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        Sign(request, body, Clock());
    }

    public void Invalidate() { }

    /// <summary>Adds <c>X-Amz-Date</c> (and the session token) and the <c>Authorization</c> header.</summary>
    public void Sign(HttpRequestMessage request, byte[] body, DateTimeOffset now)
    {
        var amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        request.Headers.Remove("X-Amz-Date");
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        if (sessionToken is not null)
        {
            request.Headers.Remove("X-Amz-Security-Token");
            request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", sessionToken);
        }
        var uri = request.RequestUri!;
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}",
        };
        foreach (var h in request.Headers)
        {
            var name = h.Key.ToLowerInvariant();
            if (name.StartsWith("x-amz-", StringComparison.Ordinal)) headers[name] = Trim(string.Join(",", h.Value));
        }
        if (request.Content?.Headers.ContentType is { } ct) headers["content-type"] = Trim(ct.ToString());
        var signedHeaders = string.Join(";", headers.Keys);
        var canonical = string.Join("\n",
            request.Method.Method,
            CanonicalPath(uri),
            CanonicalQuery(uri),
            string.Concat(headers.Select(h => h.Key + ":" + h.Value + "\n")),
            signedHeaders,
            Hex(SHA256.HashData(body)));
        var scope = $"{date}/{region}/{service}/aws4_request";
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        var signature = Hex(Hmac(key, stringToSign));
        request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential={accessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
    }

    private static string CanonicalPath(Uri uri)
    {
        var path = uri.AbsolutePath;
        if (path.Length == 0) return "/";
        return string.Join("/", path.Split('/').Select(s => Encode(Uri.UnescapeDataString(s))));
    }

    private static string CanonicalQuery(Uri uri)
    {
        var q = uri.Query.TrimStart('?');
        if (q.Length == 0) return "";
        return string.Join("&", q.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p =>
            {
                var eq = p.IndexOf('=');
                var k = eq < 0 ? p : p[..eq];
                var v = eq < 0 ? "" : p[(eq + 1)..];
                return (K: Encode(Uri.UnescapeDataString(k)), V: Encode(Uri.UnescapeDataString(v.Replace('+', ' '))));
            })
            .OrderBy(p => p.K, StringComparer.Ordinal).ThenBy(p => p.V, StringComparer.Ordinal)
            .Select(p => p.K + "=" + p.V));
    }

    // RFC 3986 unreserved characters stay; everything else is %XX in upper case
    private static string Encode(string s)
    {
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(s))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~') sb.Append(c);
            else sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    private static string Trim(string value) => string.Join(' ', value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));
    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
