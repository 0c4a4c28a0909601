using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Analytics.Logins;

public sealed partial class LoginAnalyzer
{
    private static readonly string[] Days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

    private string TravelText(LoginProfile p, long ticks, double km, double kmh)
    {
        var from = p.LastCity >= 0 ? _store.Name(p.LastCity) : "an unknown place";
        var ip = p.LastIp is null ? "" : " (" + p.LastIp + ")";
        var speed = double.IsPositiveInfinity(kmh) ? "at the same instant" : string.Create(Inv, $"{kmh:N0} km/h");
        return string.Create(Inv, $"{Elapsed(ticks - p.LastLocatedTicks)} after a login from {from}{ip}, {km:N0} km away ({speed})");
    }

    private string CountryText(LoginProfile p, string user, int country, string code) =>
        $"first login from {code} for {user}; earlier logins from {Listing(p.Countries, p.CountryCount, k => _store.Name(k))}";

    private string AsnText(LoginProfile p, string user, int asn, string? org, int users)
    {
        var others = _store.AsnUsers.GetValueOrDefault(asn);
        var name = org is null ? $"AS{asn}" : $"AS{asn} {org}";
        var earlier = p.AsnCount == 0 ? "no network known before" : "earlier networks " + Listing(p.Asns, p.AsnCount, AsnName);
        return string.Create(Inv, $"first login from network {name} for {user}; {earlier}; used by {others} of {users} users");
    }

    private string AsnName(int asn) => _store.AsnNames.TryGetValue(asn, out var id) ? $"AS{asn} {_store.Name(id)}" : $"AS{asn}";

    private string DeviceText(LoginProfile p, string user, int device) =>
        $"first login with {_store.Name(device)} for {user}; earlier devices {Listing(p.Devices, p.DeviceCount, k => _store.Name(k))}";

    // A value first seen shortly before: the intruder's second and third logins from the network or device they came with.
    private string RecentText(SeenEntry[] table, int count, int index, string user, string what, Func<int, string> name, int minute)
    {
        var e = table[index];
        var others = Listing(table, count, name, exclude: e.Key);
        return string.Create(Inv, $"{what} {name(e.Key)} first seen for {user} {Elapsed((minute - e.FirstMinute) * TimeSpan.TicksPerMinute)} ago ({e.Count} login{(e.Count == 1 ? "" : "s")} since); before that {others}");
    }

    private string PlaceText(string user, int city, int nearest, double km) =>
        string.Create(Inv, $"first login from around {(city >= 0 ? _store.Name(city) : "an unnamed place")} for {user}; nearest earlier place {_store.Name(nearest)}, {km:N0} km away");

    private static string FailureText(LoginProfile p)
    {
        var foreign = p.RecentForeignFailures >= 0.5 ? string.Create(Inv, $", {p.RecentForeignFailures:0.#} of them from networks the user had not used") : "";
        return string.Create(Inv, $"{p.RecentFailures:0.#} recent failed attempts (decayed, 1 h half-life) before this login{foreign}");
    }

    private static string HourText(LoginProfile p, int how, DateTime ts)
    {
        var at = how;
        return string.Create(Inv, $"unusual time: {Days[how / 24]} {ts:HH:mm} UTC ({p.HourOfWeek[at]} of {p.HourTotal} earlier logins in that hour of the week)");
    }

    private string ForestText(string user, double score, bool perUser, double[] row)
    {
        // name the features that stand out most (all features are "higher = rarer" except the location coordinates)
        Span<int> order = stackalloc int[F - 3];
        for (var i = 0; i < order.Length; i++) order[i] = i + 3;
        var top = new List<string>(3);
        var values = row;
        var sorted = order.ToArray().OrderByDescending(i => values[i]).Where(i => values[i] >= 0.5).Take(3);
        foreach (var i in sorted) top.Add(string.Create(Inv, $"{FeatureNames[i].Replace('_', ' ')} {values[i]:0.00}"));
        var model = perUser ? "the user's own model" : "the organisation-wide model";
        var why = top.Count == 0 ? "" : " — " + string.Join(", ", top);
        return string.Create(Inv, $"unusual login for {user} (isolation-forest score {score:0.00} from {model}){why}");
    }

    private static string Listing(SeenEntry[] table, int count, Func<int, string> name, int exclude = int.MinValue)
    {
        var all = table.AsSpan(0, count).ToArray().Where(x => x.Key != exclude).ToArray();
        count = all.Length;
        if (count == 0) return "none";
        var items = all.OrderByDescending(x => x.Count).ThenBy(x => x.Key).Take(3)
            .Select(x => $"{name(x.Key)} ({x.Count})").ToList();
        var rest = count - items.Count;
        var text = items.Count == 1 ? items[0] : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1];
        return rest > 0 ? $"{text} (+{rest} more)" : text;
    }

    private static string Elapsed(long ticks)
    {
        var t = TimeSpan.FromTicks(Math.Max(0, ticks));
        return t.TotalMinutes < 90 ? string.Create(Inv, $"{t.TotalMinutes:0} min")
            : t.TotalHours < 48 ? string.Create(Inv, $"{t.TotalHours:0.#} h")
            : string.Create(Inv, $"{t.TotalDays:0.#} days");
    }

    // A finding is an event of its own: it carries the login's user and address and what the detector saw.
    private Event Finding(Event login, string user, string action, double score, string message, LoginProfile? previous, double km, double kmh)
    {
        var f = new Event { Timestamp = login.Timestamp, Input = login.Input };
        f.Set(Ecs.EventKind, "alert");
        f.Set(Ecs.EventCategory, FieldValue.Array([FieldValue.String("authentication")]));
        f.Set(Ecs.EventAction, action);
        f.Set("event.module", "gumshoe.analytics");
        f.Set("rule.name", action);
        f.Set("gumshoe.score", FieldValue.Double(Math.Round(score, 4)));
        f.Set(Ecs.Message, message);
        f.Set(Ecs.UserName, user);
        f.Set("gumshoe.user", user);
        if (login.GetString(Ecs.EventId) is { } id) { f.Set(Ecs.EventId, id + "/" + action); f.Set("gumshoe.login.event_id", id); }
        foreach (var name in CopiedFields)
            if (login.TryGet(name, out var v) && !v.IsNull) f.Set(name, v);
        if (previous is not null)
        {
            f.Set("gumshoe.previous.@timestamp", FieldValue.Timestamp(new DateTimeOffset(previous.LastLocatedTicks, TimeSpan.Zero)));
            if (previous.LastIp is not null) f.Set("gumshoe.previous.source.ip", previous.LastIp);
            if (previous.LastCity >= 0) f.Set("gumshoe.previous.place", _store.Name(previous.LastCity));
            f.Set("gumshoe.travel.distance_km", FieldValue.Double(Math.Round(km, 1)));
            if (double.IsFinite(kmh)) f.Set("gumshoe.travel.speed_kmh", FieldValue.Double(Math.Round(kmh, 1)));
        }
        return f;
    }

    private static readonly string[] CopiedFields =
    [
        Ecs.SourceIp, "source.geo.country_iso_code", "source.geo.city_name", "source.geo.location", "source.as.number",
        "source.as.organization.name", "user_agent.original", Ecs.UserEmail, Ecs.EventProvider,
    ];
}
