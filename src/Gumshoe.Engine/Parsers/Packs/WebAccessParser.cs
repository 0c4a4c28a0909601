using System.Globalization;
using System.Text;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers.Packs;

/// <summary>
/// Apache and Nginx access logs in the common and combined formats
/// (<c>1.2.3.4 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://ref/" "Mozilla/4.08"</c>).
/// Parsed on spans, no regex; trailing fields some servers add (<c>$http_x_forwarded_for</c>, timings) are ignored.
/// Statuses of 400 and above are <c>event.outcome: failure</c>.
/// </summary>
public sealed class WebAccessParser(string name = "web_access") : IParser
{
    // the pack's own names, the instances rules use too (see FieldNames)
    private static readonly string HttpResponseStatusCodeField = FieldNames.Intern("http.response.status_code"),
        HttpResponseBodyBytesField = FieldNames.Intern("http.response.body.bytes"),
        HttpRequestReferrerField = FieldNames.Intern("http.request.referrer"),
        UserAgentOriginalField = FieldNames.Intern("user_agent.original"),
        HttpRequestMethodField = FieldNames.Intern("http.request.method"),
        HttpVersionField = FieldNames.Intern("http.version"),
        UrlOriginalField = FieldNames.Intern("url.original"),
        UrlPathField = FieldNames.Intern("url.path"),
        UrlQueryField = FieldNames.Intern("url.query");

    public string Name { get; } = name;

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        var s = line.AsSpan();
        // client, ident, user
        if (!NextToken(s, 0, out var client, out var pos) || !NextToken(s, pos, out _, out pos) || !NextToken(s, pos, out var user, out pos))
            return ParseOutcome.Unmatched("not an access log line");
        if (pos >= s.Length || s[pos] != '[') return ParseOutcome.Unmatched("not an access log line");
        var close = s[pos..].IndexOf(']');
        if (close < 0) return ParseOutcome.Unmatched("not an access log line");
        var stamp = s.Slice(pos + 1, close - 1);
        pos += close + 1;
        if (pos + 1 >= s.Length || s[pos] != ' ' || s[pos + 1] != '"') return ParseOutcome.Unmatched("not an access log line");
        if (!QuotedString(line, pos + 1, out var request, out pos)) return ParseOutcome.Unmatched("not an access log line");
        if (!NextToken(s, pos, out var status, out pos)) return ParseOutcome.Unmatched("not an access log line");
        // bytes is absent in a few custom formats; referrer and agent only in the combined format
        NextToken(s, pos, out var bytes, out pos);
        string? referrer = null, agent = null;
        if (pos < s.Length && s[pos] == '"' && QuotedString(line, pos, out var r, out pos))
        {
            referrer = r;
            if (pos < s.Length && s[pos] == '"' && QuotedString(line, pos, out var a, out pos)) agent = a;
        }

        long statusCode = -1;
        if (!status.SequenceEqual("-") && !long.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out statusCode))
            return ParseOutcome.Unmatched("not an access log line");
        if (!TimestampParser.Apache.TryParse(stamp, context, out var ts)) return ParseOutcome.Failed($"bad timestamp in @timestamp: {stamp}");
        e.Timestamp = ts;

        var clientText = client.ToString();
        if (FieldTypes.TryParseIp(clientText, out var ip)) e.Set(Ecs.SourceIp, FieldValue.Ip(ip));
        else e.Set(Ecs.SourceDomain, clientText);
        e.Set(Ecs.SourceAddress, clientText);
        if (!user.SequenceEqual("-")) e.Set(Ecs.UserName, user.ToString());
        SetRequest(e, request);
        if (statusCode >= 0) e.Set(HttpResponseStatusCodeField, FieldValue.Long(statusCode));
        if (!bytes.IsEmpty && long.TryParse(bytes, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            e.Set(HttpResponseBodyBytesField, FieldValue.Long(size));
        if (referrer is { Length: > 0 } && referrer != "-") e.Set(HttpRequestReferrerField, referrer);
        if (agent is { Length: > 0 } && agent != "-") e.Set(UserAgentOriginalField, agent);
        e.Set(Ecs.EventCategory, "web");
        e.Set(Ecs.EventKind, "event");
        e.Set(Ecs.EventAction, "http_request");
        e.Set(Ecs.EventOutcome, statusCode < 0 ? "unknown" : statusCode >= 400 ? "failure" : "success");
        return ParseOutcome.Matched;
    }

    // "GET /path?q=1 HTTP/1.1"; anything else (a TLS handshake sent to a plain port, "-") is kept as url.original only
    private static void SetRequest(Event e, string request)
    {
        if (request.Length == 0 || request == "-") return;
        var first = request.IndexOf(' ');
        var last = request.LastIndexOf(' ');
        if (first > 0 && last > first && request.AsSpan(last + 1).StartsWith("HTTP/", StringComparison.Ordinal))
        {
            e.Set(HttpRequestMethodField, request[..first]);
            e.Set(HttpVersionField, request[(last + 6)..]);
            SetUrl(e, request[(first + 1)..last]);
        }
        else if (first > 0 && last == first && request[..first].All(char.IsAsciiLetterUpper))
        {
            // HTTP/0.9: "GET /"
            e.Set(HttpRequestMethodField, request[..first]);
            SetUrl(e, request[(first + 1)..]);
        }
        else e.Set(UrlOriginalField, request);
    }

    private static void SetUrl(Event e, string url)
    {
        e.Set(UrlOriginalField, url);
        var q = url.IndexOf('?');
        var path = q >= 0 ? url[..q] : url;
        var hash = path.IndexOf('#');
        if (hash >= 0) path = path[..hash];
        if (path.Length > 0) e.Set(UrlPathField, path);
        if (q >= 0 && q + 1 < url.Length) e.Set(UrlQueryField, url[(q + 1)..]);
    }

    // A space-delimited token starting at pos; next is where the following token starts.
    private static bool NextToken(ReadOnlySpan<char> s, int pos, out ReadOnlySpan<char> token, out int next)
    {
        token = default;
        next = pos;
        if (pos >= s.Length || s[pos] == ' ') return false;
        var end = s[pos..].IndexOf(' ');
        if (end < 0) end = s.Length - pos;
        token = s.Slice(pos, end);
        next = pos + end;
        while (next < s.Length && s[next] == ' ') next++;
        return true;
    }

    // A double-quoted string at pos with Apache's \" and \\ escapes (Nginx writes \x22); next is past its closing quote and blanks.
    private static bool QuotedString(string line, int pos, out string value, out int next)
    {
        value = "";
        next = pos;
        if (pos >= line.Length || line[pos] != '"') return false;
        var i = pos + 1;
        StringBuilder? sb = null;
        var start = i;
        while (i < line.Length && line[i] != '"')
        {
            if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\')
            {
                sb ??= new StringBuilder();
                sb.Append(line, start, i - start).Append(line[i + 1]);
                i += 2;
                start = i;
                continue;
            }
            i++;
        }
        if (i >= line.Length) return false;
        value = sb is null ? line[start..i] : sb.Append(line, start, i - start).ToString();
        next = i + 1;
        while (next < line.Length && line[next] == ' ') next++;
        return true;
    }
}
