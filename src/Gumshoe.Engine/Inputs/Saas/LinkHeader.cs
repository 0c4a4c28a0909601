using System.Net.Http.Headers;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>RFC 8288 <c>Link</c> headers (Okta, GitHub): several headers or one comma-separated header.</summary>
public static class LinkHeader
{
    /// <summary>The target of the link with this relation (<c>next</c>), or null.</summary>
    public static Uri? Find(HttpResponseHeaders headers, string relation)
    {
        if (!headers.TryGetValues("Link", out var values)) return null;
        foreach (var value in values)
            foreach (var (target, rels) in Parse(value))
                if (rels.Contains(relation, StringComparer.OrdinalIgnoreCase) && Uri.TryCreate(target, UriKind.Absolute, out var uri)) return uri;
        return null;
    }

    /// <summary>Each link of one header value: its target and relation types.</summary>
    public static IEnumerable<(string Target, string[] Relations)> Parse(string value)
    {
        var i = 0;
        while (i < value.Length)
        {
            var open = value.IndexOf('<', i);
            if (open < 0) yield break;
            var close = value.IndexOf('>', open + 1);
            if (close < 0) yield break;
            var target = value[(open + 1)..close];
            // parameters run to the next link (a comma outside quotes)
            var j = close + 1;
            var inQuotes = false;
            while (j < value.Length && (inQuotes || value[j] != ',')) { if (value[j] == '"') inQuotes = !inQuotes; j++; }
            var rels = Array.Empty<string>();
            foreach (var param in value[(close + 1)..j].Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = param.IndexOf('=');
                if (eq < 0 || !param[..eq].Trim().Equals("rel", StringComparison.OrdinalIgnoreCase)) continue;
                rels = param[(eq + 1)..].Trim().Trim('"').Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
            yield return (target, rels);
            i = j + 1;
        }
    }
}
