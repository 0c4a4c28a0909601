using Gumshoe.Engine.Analytics.Logins;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Web.Activity;

/// <summary>Where, from which network and device a user signed in: how often, first and last seen.</summary>
public sealed record LoginPlace(string Name, int Logins, DateTimeOffset First, DateTimeOffset Last);

/// <summary>A scored login as the entity page lists it.</summary>
public sealed record LoginVerdict(DateTimeOffset Time, double Score, bool Flagged, IReadOnlyList<string> Reasons);

/// <summary>One user's login history, copied for a page.</summary>
public sealed record UserLogins(string User, IReadOnlyList<LoginPlace> Places, IReadOnlyList<LoginPlace> Networks, IReadOnlyList<LoginPlace> Devices,
    DateTimeOffset? LastLogin, string? LastAddress, string? LastPlace, IReadOnlyList<LoginVerdict> Verdicts);

/// <summary>
/// Login locations for the entity pages: per user the places, networks and devices of successful logins and the
/// login analyzer's recent verdicts. Seeded from the analyzer's learnt profiles when the run starts (before any event,
/// so no other thread touches them), then kept up to date from enriched events on the pipeline thread; pages read
/// copies under a lock. Bounded: at most <see cref="MaxUsers"/> users (the least recently seen go first) and a few
/// dozen entries each.
/// </summary>
public sealed class LoginHistory
{
    /// <summary>Users remembered.</summary>
    public const int MaxUsers = 100_000;
    private const int MaxEntries = 20, MaxVerdicts = 10;

    private readonly Dictionary<string, Entry> _users = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private sealed class Tally
    {
        public int Logins;
        public DateTimeOffset First, Last;
    }

    private sealed class Entry
    {
        public readonly Dictionary<string, Tally> Places = new(StringComparer.Ordinal), Networks = new(StringComparer.Ordinal), Devices = new(StringComparer.Ordinal);
        public readonly Queue<LoginVerdict> Verdicts = new();
        public DateTimeOffset? LastLogin;
        public string? LastAddress, LastPlace;
    }

    /// <summary>Seeds from the pipeline's login analyzers and follows its events (call before the first event).</summary>
    public void Attach(EventPipeline pipeline)
    {
        foreach (var analyzer in pipeline.Analyzers.OfType<LoginAnalyzer>())
        {
            Seed(analyzer.Profiles);
            analyzer.Scored += s => Verdict(s.User, new LoginVerdict(s.Timestamp, s.Score, s.Flagged, s.Reasons));
        }
        pipeline.EventEnriched += Observe;
    }

    private void Seed(ProfileStore store)
    {
        static DateTimeOffset At(int minute) => DateTimeOffset.UnixEpoch.AddMinutes(minute);
        lock (_gate)
        {
            foreach (var p in store.Profiles)
            {
                var u = Get(p.User);
                // the analyzer names a place "City, CC" (or "CC" without a city), as Observe does
                for (var i = 0; i < p.CityCount; i++)
                {
                    var c = p.Cities[i];
                    Add(u.Places, store.Name(c.Key), c.Count, At(c.FirstMinute), At(c.LastMinute));
                }
                for (var i = 0; i < p.AsnCount; i++)
                {
                    var a = p.Asns[i];
                    var name = store.AsnNames.TryGetValue(a.Key, out var id) ? $"AS{a.Key} {store.Name(id)}" : $"AS{a.Key}";
                    Add(u.Networks, name, a.Count, At(a.FirstMinute), At(a.LastMinute));
                }
                for (var i = 0; i < p.DeviceCount; i++)
                {
                    var d = p.Devices[i];
                    Add(u.Devices, store.Name(d.Key), d.Count, At(d.FirstMinute), At(d.LastMinute));
                }
                if (p.LastLoginTicks > 0) u.LastLogin = new DateTimeOffset(p.LastLoginTicks, TimeSpan.Zero);
                u.LastAddress = p.LastIp;
                if (p.LastCountry >= 0) u.LastPlace = p.LastCity >= 0 ? store.Name(p.LastCity) : store.Name(p.LastCountry);
            }
        }
    }

    /// <summary>Records a successful login's place, network and device (pipeline thread).</summary>
    public void Observe(Event e)
    {
        if (e.GetString(Ecs.EventOutcome) != "success") return;
        if ((e.GetString("gumshoe.user") ?? e.GetString("user.email") ?? e.GetString(Ecs.UserName)) is not { Length: > 0 } name) return;
        var country = e.GetString("source.geo.country_iso_code");
        if (country is null && e.Get(Ecs.SourceIp).IsNull) return; // not a network login
        var city = e.GetString("source.geo.city_name");
        var place = country is null ? "unknown location" : city is null ? country : $"{city}, {country}";
        var asn = e.Get("source.as.number");
        var org = e.GetString("source.as.organization.name");
        var network = asn.IsNull ? org : org is null ? $"AS{asn.AsString()}" : $"AS{asn.AsString()} {org}";
        var device = LoginAnalyzer.DeviceName(e);
        var t = e.Timestamp;
        lock (_gate)
        {
            var u = Get(name.Trim().ToLowerInvariant());
            Add(u.Places, place, 1, t, t);
            if (network is not null) Add(u.Networks, network, 1, t, t);
            if (device is not null) Add(u.Devices, device.Length > 120 ? device[..120] + "…" : device, 1, t, t);
            if (u.LastLogin is null || t >= u.LastLogin)
            {
                u.LastLogin = t;
                u.LastAddress = e.Get(Ecs.SourceIp).IsNull ? null : e.Get(Ecs.SourceIp).AsString();
                u.LastPlace = place;
            }
        }
    }

    private void Verdict(string user, LoginVerdict verdict)
    {
        lock (_gate)
        {
            var q = Get(user).Verdicts;
            q.Enqueue(verdict);
            while (q.Count > MaxVerdicts) q.Dequeue();
        }
    }

    /// <summary>A copy of one user's history (canonical, lower-case identity), or null when none is known.</summary>
    public UserLogins? For(string user)
    {
        static List<LoginPlace> List(Dictionary<string, Tally> d) =>
            [.. d.Select(kv => new LoginPlace(kv.Key, kv.Value.Logins, kv.Value.First, kv.Value.Last)).OrderByDescending(p => p.Logins).ThenBy(p => p.Name, StringComparer.Ordinal)];
        lock (_gate)
        {
            if (!_users.TryGetValue(user.Trim().ToLowerInvariant(), out var u)) return null;
            return new UserLogins(user, List(u.Places), List(u.Networks), List(u.Devices), u.LastLogin, u.LastAddress, u.LastPlace, [.. u.Verdicts.Reverse()]);
        }
    }

    private Entry Get(string user)
    {
        if (_users.TryGetValue(user, out var u)) return u;
        if (_users.Count >= MaxUsers)
        {
            // forget the tenth least recently seen at once, so eviction stays rare
            foreach (var old in _users.OrderBy(kv => kv.Value.LastLogin ?? DateTimeOffset.MinValue).Take(MaxUsers / 10).Select(kv => kv.Key).ToList())
                _users.Remove(old);
        }
        return _users[user] = new Entry();
    }

    private static void Add(Dictionary<string, Tally> tallies, string key, int logins, DateTimeOffset first, DateTimeOffset last)
    {
        if (!tallies.TryGetValue(key, out var t))
        {
            if (tallies.Count >= MaxEntries)
            {
                var rarest = tallies.MinBy(kv => (kv.Value.Logins, kv.Value.Last)).Key;
                tallies.Remove(rarest);
            }
            tallies[key] = t = new Tally { First = first, Last = last };
        }
        t.Logins += logins;
        if (first < t.First) t.First = first;
        if (last > t.Last) t.Last = last;
    }
}
