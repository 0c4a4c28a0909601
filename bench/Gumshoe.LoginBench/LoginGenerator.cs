using Gumshoe.Engine.Events;

namespace Gumshoe.LoginBench;

/// <summary>Kinds of account takeover the benchmark injects.</summary>
public enum Attack { None, CloudHost, CommercialVpn, AdversaryInTheMiddle, ForeignResidential, OtherCityHomeCountry, ResidentialProxySameCity }

/// <summary>One generated login attempt with its ground truth.</summary>
public sealed record LabelledLogin(Event Event, bool Success, Attack Attack, int Episode);

/// <summary>
/// Deterministic synthetic login history of an organisation: staff with homes, offices, commutes, phones on mobile
/// carriers, corporate and consumer VPNs and trips, plus injected account takeovers of six kinds.
/// </summary>
public sealed class LoginGenerator(int users, int days, int seed, int episodes)
{
    private readonly Random _rng = new(seed);
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero); // a Monday

    private sealed class Person
    {
        public required string Email;
        public required City Office, Home;
        public required Country Country;
        public required Network HomeIsp, Carrier;
        public required (string, string) Laptop;
        public (string, string)? Phone;
        public (string, string)? NewLaptop;
        public int NewLaptopDay;
        public double OfficeShare, LoginsPerDay, EveningShare, StartHour;
        public bool CorporateVpn;
        public City[] VpnExits = [];
        public Network? ConsumerVpn;
        public List<(int From, int To, City Where)> Trips = [];
    }

    public List<LabelledLogin> Generate()
    {
        var people = Enumerable.Range(0, users).Select(MakePerson).ToList();
        var logins = new List<LabelledLogin>();
        foreach (var p in people) Normal(p, logins);
        for (var e = 1; e <= episodes; e++) Takeover(people[_rng.Next(people.Count)], (Attack)(1 + (e - 1) % 6), e, logins);
        // event-time order; ties keep generation order (stable sort)
        return logins.Select((l, i) => (l, i)).OrderBy(x => x.l.Event.Timestamp).ThenBy(x => x.i).Select(x => x.l).ToList();
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_rng.Next(items.Count)];

    private Person MakePerson(int i)
    {
        var r = _rng.NextDouble();
        var o = 0;
        for (var acc = World.OfficeShare[0]; r > acc && o < World.Offices.Length - 1; acc += World.OfficeShare[++o]) { }
        var office = World.CityNamed(World.Offices[o]);
        var country = World.Country(office.Country);
        var p = new Person
        {
            Email = $"user{i:D4}@example.com",
            Office = office,
            Home = _rng.NextDouble() < 0.7 ? office : Pick(country.Cities),
            Country = country,
            HomeIsp = Pick(country.Residential),
            Carrier = Pick(country.Mobile),
            Laptop = Pick(World.Laptops),
            Phone = _rng.NextDouble() < 0.7 ? Pick(World.Phones) : null,
            OfficeShare = _rng.NextDouble() < 0.15 ? 0 : 0.2 + 0.6 * _rng.NextDouble(),
            LoginsPerDay = 1.5 + 4 * _rng.NextDouble(),
            EveningShare = _rng.NextDouble() < 0.2 ? 0.2 : 0.03,
            StartHour = 7 + 3 * _rng.NextDouble(),
            CorporateVpn = _rng.NextDouble() < 0.3,
        };
        if (_rng.NextDouble() < 0.07)
        {
            var vpn = Pick(World.CommercialVpn);
            p.ConsumerVpn = vpn.Net;
            p.VpnExits = Enumerable.Range(0, 1 + _rng.Next(3)).Select(_ => World.CityNamed(Pick(vpn.Cities))).ToArray();
        }
        if (_rng.NextDouble() < 0.05) { p.NewLaptop = Pick(World.Laptops); p.NewLaptopDay = _rng.Next(10, days); }
        if (_rng.NextDouble() < 0.25)
            for (var t = 1 + _rng.Next(3); t > 0; t--)
            {
                var from = _rng.Next(3, days - 3);
                var where = _rng.NextDouble() < 0.4 ? Pick(country.Cities) : _rng.NextDouble() < 0.5 ? World.CityNamed(Pick(World.Offices)) : Pick(Pick(World.Countries).Cities);
                p.Trips.Add((from, Math.Min(days - 1, from + 2 + _rng.Next(6)), where));
            }
        return p;
    }

    private (int From, int To, City Where)? TripOn(Person p, int day) =>
        p.Trips.Where(t => day >= t.From && day <= t.To).Select(t => ((int, int, City)?)t).FirstOrDefault();

    private void Normal(Person p, List<LabelledLogin> logins)
    {
        for (var day = 0; day < days; day++)
        {
            var weekday = (day % 7) < 5;
            var trip = TripOn(p, day);
            var n = Poisson(weekday ? p.LoginsPerDay : p.LoginsPerDay * p.EveningShare * 3);
            var inOffice = weekday && trip is null && _rng.NextDouble() < p.OfficeShare;
            var tz = trip is { } tr ? World.Country(tr.Where.Country).UtcOffset : p.Country.UtcOffset;
            for (var k = 0; k < n; k++)
            {
                var evening = _rng.NextDouble() < p.EveningShare;
                var localHour = evening ? 18 + 5 * _rng.NextDouble() : p.StartHour + Math.Abs(Normal01()) * 3.5 + _rng.NextDouble() * 5;
                var at = Start.AddDays(day).AddHours(localHour - tz);
                if (trip is { } t && day == t.From && localHour < 14) at = at.AddHours(14 - localHour); // arrival after the flight
                var laptop = p.NewLaptop is { } nl && day >= p.NewLaptopDay ? nl : p.Laptop;
                var onPhone = p.Phone is not null && _rng.NextDouble() < 0.35;
                var device = onPhone ? p.Phone!.Value : laptop;
                City city; Network net; double radius;
                if (trip is { } tt)
                {
                    var dest = World.Country(tt.Where.Country);
                    if (onPhone && _rng.NextDouble() < 0.4 && dest != p.Country) { city = Pick(p.Country.Cities); net = p.Carrier; radius = 500; } // roaming egress at home
                    else if (onPhone) { city = tt.Where; net = Pick(dest.Mobile); radius = 200; }
                    else if (p.CorporateVpn && _rng.NextDouble() < 0.5) { city = NearestEgress(tt.Where); net = World.CorporateVpn; radius = 20; }
                    else { city = tt.Where; net = Pick(dest.Residential); radius = 20; }
                }
                else if (onPhone && _rng.NextDouble() < 0.5) { city = _rng.NextDouble() < 0.6 ? p.Home : Pick(p.Country.Cities); net = p.Carrier; radius = 200 + _rng.Next(300); }
                else if (inOffice && !evening) { city = p.Office; net = World.Corporate; radius = 5; }
                else if (p.ConsumerVpn is { } cv && !onPhone && _rng.NextDouble() < 0.4) { city = Pick(p.VpnExits); net = cv; radius = 50; }
                else if (p.CorporateVpn && !onPhone && _rng.NextDouble() < 0.5) { city = NearestEgress(p.Home); net = World.CorporateVpn; radius = 20; }
                else { city = p.Home; net = p.HomeIsp; radius = 10 + _rng.Next(40); }
                if (_rng.NextDouble() < 0.03) logins.Add(Make(p.Email, at.AddSeconds(-40), city, net, radius, device, false, Attack.None, 0));
                logins.Add(Make(p.Email, at, city, net, radius, device, true, Attack.None, 0));
            }
        }
    }

    private static City NearestEgress(City from) => World.VpnEgress.Select(World.CityNamed)
        .OrderBy(c => Gumshoe.Engine.Analytics.Logins.GeoDistance.Km(c.Lat, c.Lon, from.Lat, from.Lon)).First();

    private void Takeover(Person v, Attack kind, int episode, List<LabelledLogin> logins)
    {
        var day = _rng.Next(20, days);
        var foreign = World.Countries.Where(c => c != v.Country).ToArray();
        City city; Network net; double radius; (string, string) device; double tz;
        var browser = _rng.NextDouble() < 0.5 ? ("Chrome", "Windows") : Pick(World.Laptops);
        switch (kind)
        {
            case Attack.CloudHost:
            {
                var h = Pick(World.Hosting);
                var cities = h.Cities.Select(World.CityNamed).ToArray();
                var local = cities.Where(c => c.Country == v.Country.Code).ToArray();
                city = _rng.NextDouble() < 0.2 && local.Length > 0 ? Pick(local) : Pick(cities);
                net = h.Net; radius = 100 + _rng.Next(400);
                device = _rng.NextDouble() < 0.4 ? Pick(World.Scripts) : browser;
                tz = Pick(World.Countries).UtcOffset;
                break;
            }
            case Attack.CommercialVpn:
            {
                var vpn = Pick(World.CommercialVpn);
                var cities = vpn.Cities.Select(World.CityNamed).ToArray();
                var local = cities.Where(c => c.Country == v.Country.Code).ToArray();
                city = _rng.NextDouble() < 0.5 && local.Length > 0 ? Pick(local) : Pick(cities);
                net = vpn.Net; radius = 50; device = browser; tz = Pick(World.Countries).UtcOffset;
                break;
            }
            case Attack.AdversaryInTheMiddle:
            {
                var h = Pick(World.Hosting);
                var cities = h.Cities.Select(World.CityNamed).ToArray();
                var local = cities.Where(c => c.Country == v.Country.Code).ToArray();
                city = _rng.NextDouble() < 0.5 && local.Length > 0 ? Pick(local) : Pick(cities);
                net = h.Net; radius = 100 + _rng.Next(400);
                device = v.NewLaptop is { } nl && day >= v.NewLaptopDay ? nl : v.Laptop; // the victim's own browser, proxied
                tz = v.Country.UtcOffset;                                                 // at the victim's working hours
                break;
            }
            case Attack.ForeignResidential:
            {
                var c = Pick(foreign);
                city = Pick(c.Cities); net = Pick(c.Residential); radius = 10 + _rng.Next(60); device = browser; tz = c.UtcOffset;
                break;
            }
            case Attack.OtherCityHomeCountry:
            {
                var others = v.Country.Cities.Where(c => c != v.Home && c != v.Office).ToArray();
                city = others.Length > 0 ? Pick(others) : Pick(v.Country.Cities);
                net = _rng.NextDouble() < 0.7 ? Pick(v.Country.Residential) : Pick(v.Country.Mobile);
                radius = 10 + _rng.Next(100); device = browser; tz = v.Country.UtcOffset;
                break;
            }
            default:
                city = v.Home; net = _rng.NextDouble() < 0.5 ? v.HomeIsp : Pick(v.Country.Residential);
                radius = 10 + _rng.Next(40); device = browser; tz = _rng.Next(-8, 10);
                break;
        }
        var at = Start.AddDays(day).AddHours(8 + 10 * _rng.NextDouble() - tz);
        if (kind != Attack.AdversaryInTheMiddle && _rng.NextDouble() < 0.5)
            for (var f = 1 + _rng.Next(5); f > 0; f--) logins.Add(Make(v.Email, at.AddSeconds(-30 * f - _rng.Next(20)), city, net, radius, device, false, kind, episode));
        for (var k = 1 + _rng.Next(3); k > 0; k--)
        {
            logins.Add(Make(v.Email, at, city, net, radius, device, true, kind, episode));
            at = at.AddMinutes(5 + _rng.Next(90));
        }
    }

    private long _ids;

    private LabelledLogin Make(string user, DateTimeOffset at, City city, Network net, double radius, (string Family, string Os) device, bool success, Attack attack, int episode)
    {
        var e = new Event { Timestamp = at };
        e.Set("event.kind", "event");
        e.Set("event.category", FieldValue.Array([FieldValue.String("authentication")]));
        e.Set("event.type", FieldValue.Array([FieldValue.String("start")]));
        e.Set("event.outcome", success ? "success" : "failure");
        e.Set("event.id", $"e{++_ids}");
        e.Set("user.email", user);
        e.Set("source.ip", $"10.{net.Asn % 250}.{_rng.Next(256)}.{_rng.Next(256)}");
        // addresses of one city scatter around its centre
        var lat = city.Lat + (_rng.NextDouble() - 0.5) * 0.1;
        var lon = city.Lon + (_rng.NextDouble() - 0.5) * 0.1;
        e.Set("source.geo.location", FieldValue.Object(new Dictionary<string, FieldValue> { ["lat"] = FieldValue.Double(Math.Round(lat, 4)), ["lon"] = FieldValue.Double(Math.Round(lon, 4)) }));
        e.Set("source.geo.accuracy_radius", FieldValue.Long((long)radius));
        e.Set("source.geo.country_iso_code", city.Country);
        e.Set("source.geo.city_name", city.Name);
        e.Set("source.as.number", FieldValue.Long(net.Asn));
        e.Set("source.as.organization.name", net.Organization);
        e.Set("user_agent.name", device.Family);
        e.Set("user_agent.os.name", device.Os);
        return new LabelledLogin(e, success, attack, episode);
    }

    private int Poisson(double lambda)
    {
        var l = Math.Exp(-lambda);
        var k = 0;
        var p = 1.0;
        do { k++; p *= _rng.NextDouble(); } while (p > l);
        return k - 1;
    }

    private double Normal01() => Math.Sqrt(-2 * Math.Log(1 - _rng.NextDouble())) * Math.Cos(2 * Math.PI * _rng.NextDouble());
}
