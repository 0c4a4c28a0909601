using System.Globalization;
using System.Net;
using System.Text.Json;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers.Packs.Saas;

/// <summary>The ECS fields every SaaS pack sets the same way: event classification, user, source address, related.*.</summary>
internal static class SaasEventFields
{
    private static readonly FieldValue Authentication = FieldValue.Array([FieldValue.String("authentication")]);

    /// <summary>Parses the raw JSON of one API event; the record's position in a poll window is not a file offset.</summary>
    public static bool TryOpen(string line, Event e, out JsonDocument doc, out ParseOutcome failure)
    {
        e.Offset = -1;
        return JsonLineParser.TryParseObject(line, out doc, out failure);
    }

    /// <summary><c>event.kind</c>, <c>event.category</c>, <c>event.type</c>, provider, dataset, action, outcome and id.</summary>
    public static void Classify(Event e, string provider, string dataset, string id, string action, string outcome, string kind = "event", string type = "start", string? category = "authentication")
    {
        e.Set(Ecs.EventKind, kind);
        if (category is not null) e.Set(Ecs.EventCategory, category == "authentication" ? Authentication : FieldValue.Array([FieldValue.String(category)]));
        e.Set("event.type", FieldValue.Array([FieldValue.String(type)]));
        e.Set(Ecs.EventProvider, provider);
        e.Set(Ecs.EventDataset, dataset);
        e.Set(Ecs.EventAction, action);
        e.Set(Ecs.EventOutcome, outcome);
        e.Set(Ecs.EventId, id);
    }

    /// <summary>Sets <c>user.email</c> (lower case, with <c>user.domain</c>) when the value is an address.</summary>
    public static void Email(Event e, string? email)
    {
        if (string.IsNullOrEmpty(email) || !email.Contains('@')) return;
        email = email.Trim().ToLowerInvariant();
        e.Set(Ecs.UserEmail, email);
        e.Set("user.domain", email[(email.LastIndexOf('@') + 1)..]);
    }

    /// <summary>Sets <c>source.ip</c> when the value is an address, else <c>source.address</c> (AWS writes service names there).</summary>
    public static void Source(Event e, string? address)
    {
        if (string.IsNullOrEmpty(address)) return;
        if (IPAddress.TryParse(address, out var ip)) e.Set(Ecs.SourceIp, FieldValue.Ip(ip));
        else e.Set(Ecs.SourceAddress, address);
    }

    public static void Set(Event e, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value)) e.Set(name, value);
    }

    /// <summary><c>related.user</c> and <c>related.ip</c> for correlation queries.</summary>
    public static void Related(Event e)
    {
        var users = new List<FieldValue>();
        foreach (var f in new[] { Ecs.UserName, Ecs.UserEmail, "user.id" })
            if (e.GetString(f) is { Length: > 0 } u && !users.Any(x => x.AsString() == u)) users.Add(FieldValue.String(u));
        if (users.Count > 0) e.Set("related.user", FieldValue.Array(users));
        if (e.TryGet(Ecs.SourceIp, out var ip) && ip.Kind == FieldKind.Ip) e.Set("related.ip", FieldValue.Array([ip]));
    }

    public static string? Str(JsonElement obj, params string[] path)
    {
        var el = At(obj, path);
        return el.ValueKind switch
        {
            JsonValueKind.String => el.GetString(),
            JsonValueKind.Number => el.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
    }

    public static JsonElement At(JsonElement obj, params string[] path)
    {
        var cur = obj;
        foreach (var p in path)
            if (cur.ValueKind != JsonValueKind.Object || !cur.TryGetProperty(p, out cur)) return default;
        return cur;
    }

    public static bool TryTime(JsonElement el, out DateTimeOffset t)
    {
        t = default;
        return el.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(el.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out t);
    }

    public static bool TryEpochSeconds(JsonElement el, out DateTimeOffset t)
    {
        t = default;
        if (el.ValueKind != JsonValueKind.Number || !el.TryGetDouble(out var s)) return false;
        t = DateTimeOffset.FromUnixTimeMilliseconds((long)(s * 1000));
        return true;
    }
}
