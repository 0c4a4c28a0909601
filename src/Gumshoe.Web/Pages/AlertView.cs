using System.Text.Json;
using Gumshoe.Engine.Storage;

namespace Gumshoe.Web.Pages;

/// <summary>A stored alert read back from its JSON: what the pages and the API show.</summary>
public sealed record AlertView(string Id, string Rule, string Title, string? Description, IReadOnlyList<KeyValuePair<string, string>> Group,
    int Count, DateTimeOffset FirstSeen, DateTimeOffset LastSeen)
{
    public static AlertView From(StoredAlert a)
    {
        using var doc = JsonDocument.Parse(a.Json);
        var root = doc.RootElement;
        var group = root.TryGetProperty("group", out var g) && g.ValueKind == JsonValueKind.Object
            ? g.EnumerateObject().Select(p => new KeyValuePair<string, string>(p.Name, p.Value.ToString())).ToList()
            : [];
        return new AlertView(a.Id, a.Rule, root.TryGetProperty("title", out var t) ? t.GetString() ?? "" : "",
            root.TryGetProperty("description", out var d) ? d.GetString() : null, group,
            root.TryGetProperty("count", out var c) && c.TryGetInt32(out var n) ? n : 0, a.FirstSeen, a.LastSeen);
    }

    /// <summary>The entity kind a group field names (<c>ip</c>, <c>user</c>), or null.</summary>
    public static string? EntityKind(string field) => field switch
    {
        "source.ip" or "destination.ip" or "client.ip" or "host.ip" => "ip",
        "user.name" or "user.target.name" => "user",
        _ => null,
    };

    /// <summary>A JSON object's leaves as dotted names (an event's fields).</summary>
    public static List<KeyValuePair<string, string>> Flatten(string json)
    {
        var list = new List<KeyValuePair<string, string>>();
        using var doc = JsonDocument.Parse(json);
        Walk(doc.RootElement, "", list);
        return list;
    }

    private static void Walk(JsonElement e, string prefix, List<KeyValuePair<string, string>> list)
    {
        if (e.ValueKind == JsonValueKind.Object)
            foreach (var p in e.EnumerateObject()) Walk(p.Value, prefix.Length == 0 ? p.Name : prefix + "." + p.Name, list);
        else list.Add(new(prefix, e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()));
    }
}
