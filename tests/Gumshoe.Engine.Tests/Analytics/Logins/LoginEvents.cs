using System.Text.Json;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Tests.Parsers;

namespace Gumshoe.Engine.Tests.Analytics.Logins;

/// <summary>Login events for the analyzer tests: the shared SaaS samples and hand-made ones.</summary>
internal static class LoginEvents
{
    /// <summary>The 48 normalised SaaS login events, parsed by the json pack, with <c>gumshoe.user</c> set from identities.json.</summary>
    public static List<Event> SaasSamples()
    {
        var people = JsonDocument.Parse(File.ReadAllText(Gumshoe.Engine.Tests.Parsers.SharedData.File("saas/identities.json"))).RootElement;
        var byAccount = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var person in people.EnumerateObject())
            foreach (var p in person.Value.EnumerateObject())
                byAccount[p.Value.ToString()] = person.Name;
        var parser = new JsonLineParser();
        var events = new List<Event>();
        foreach (var line in File.ReadLines(Gumshoe.Engine.Tests.Parsers.SharedData.File("saas/expected/normalized_login_events.jsonl")))
        {
            var e = new Event();
            Assert.Equal(ParseStatus.Matched, parser.Parse(line, e, new ParseContext()).Status);
            // what the identity enricher does: one person behind every provider's account
            var account = e.GetString("user.email") ?? e.GetString("user.name");
            if (account is not null && byAccount.TryGetValue(account, out var person)) e.Set("gumshoe.user", person);
            events.Add(e);
        }
        return events;
    }

    /// <summary>A successful (or failed) login with geo, network and device fields already enriched.</summary>
    public static Event Login(string user, DateTimeOffset at, double lat, double lon, string country, string city, long asn,
        string device = "Chrome", string os = "Windows", bool success = true, double radiusKm = 20, string? id = null, string? ip = null)
    {
        var e = new Event { Timestamp = at };
        e.Set("event.kind", "event");
        e.Set("event.category", FieldValue.Array([FieldValue.String("authentication")]));
        e.Set("event.type", FieldValue.Array([FieldValue.String("start")]));
        e.Set("event.outcome", success ? "success" : "failure");
        e.Set("event.id", id ?? $"{user}-{at.UtcTicks}");
        e.Set("user.email", user);
        e.Set("source.ip", ip ?? "192.0.2.1");
        e.Set("source.geo.location", FieldValue.Object(new Dictionary<string, FieldValue> { ["lat"] = FieldValue.Double(lat), ["lon"] = FieldValue.Double(lon) }));
        e.Set("source.geo.accuracy_radius", FieldValue.Long((long)radiusKm));
        e.Set("source.geo.country_iso_code", country);
        e.Set("source.geo.city_name", city);
        e.Set("source.as.number", FieldValue.Long(asn));
        e.Set("user_agent.name", device);
        e.Set("user_agent.os.name", os);
        return e;
    }

    /// <summary>Several users logging in for weeks from a few places, with a seeded random generator.</summary>
    public static List<Event> Weeks(int users, int days, int seed)
    {
        var rng = new Random(seed);
        (double, double, string, string, long)[] places =
        [
            (51.5, -0.12, "GB", "London", 2856), (53.48, -2.24, "GB", "Manchester", 5089), (48.85, 2.35, "FR", "Paris", 3215),
            (52.52, 13.4, "DE", "Berlin", 3320), (40.71, -74.0, "US", "New York", 7922), (35.68, 139.7, "JP", "Tokyo", 2516),
        ];
        var events = new List<Event>();
        var start = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
        for (var u = 0; u < users; u++)
        {
            var home = places[u % 3];
            for (var d = 0; d < days; d++)
                for (var k = rng.Next(1, 4); k > 0; k--)
                {
                    var at = start.AddDays(d).AddHours(7 + rng.Next(0, 11)).AddMinutes(rng.Next(60));
                    var p = rng.NextDouble() < 0.9 ? home : places[rng.Next(places.Length)];
                    if (rng.NextDouble() < 0.1) events.Add(Login($"u{u}@example.com", at.AddMinutes(-1), p.Item1, p.Item2, p.Item3, p.Item4, p.Item5, success: false));
                    events.Add(Login($"u{u}@example.com", at, p.Item1, p.Item2, p.Item3, p.Item4, p.Item5, device: rng.NextDouble() < 0.8 ? "Chrome" : "Firefox"));
                }
        }
        events.Sort((a, b) => a.Timestamp.CompareTo(b.Timestamp));
        return events;
    }
}
