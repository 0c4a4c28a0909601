using System.Globalization;
using System.Text;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Analytics.Logins;

/// <summary>
/// <c>analytics: logins:</c> learns each user's normal logins online and scores every successful login: impossible
/// travel, first country / network / device after a warm-up, and an isolation forest over a feature vector (per user,
/// with an organisation-wide model for users still warming up), combined into one score with a decision. Causal: a
/// login is scored against the profile of everything before it (failed attempts included), then added to it.
/// </summary>
public sealed partial class LoginAnalyzer : IStatefulAnalyzer
{
    /// <summary>Features of one login, in the order of the forest's columns.</summary>
    public static readonly string[] FeatureNames =
    [
        "x", "y", "z", "distance_from_usual", "country_rarity", "asn_rarity", "device_rarity", "asn_org_rarity",
        "hour_rarity", "time_since_last", "failure_ratio", "speed",
    ];
    private const int F = 12;
    private const int MinOrgRows = 64;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private readonly LoginAnalyzerOptions _o;
    private ProfileStore _store;
    private readonly Dictionary<LoginProfile, (int FittedAt, IsolationForest Model)> _models = [];
    private readonly Queue<LoginProfile> _modelOrder = new();
    private readonly Dictionary<(string, string), int> _cityIds = [];
    private readonly Dictionary<string, int> _deviceIds = new(StringComparer.Ordinal);
    private readonly double[] _row = new double[F];
    private readonly double[] _evidence = new double[E];
    private double[] _orgRows;
    private int _orgRowCount;
    private long _orgSeen, _orgFittedAt;
    private int _orgFits;
    private IsolationForest? _orgModel;

    public LoginAnalyzer(LoginAnalyzerOptions? options = null, ProfileStore? store = null)
    {
        _o = options ?? new LoginAnalyzerOptions();
        _store = store ?? new ProfileStore();
        _orgRows = new double[_o.Forest.OrgReservoir * F];
    }

    /// <summary>Builds the analyzer and restores its state file when there is one.</summary>
    public static LoginAnalyzer Create(LoginAnalyzerOptions options)
    {
        var a = new LoginAnalyzer(options);
        if (options.StateFile is { } path && File.Exists(path))
        {
            using var s = File.OpenRead(path);
            a.LoadState(s);
        }
        return a;
    }

    public string Name => "logins";

    /// <summary>The profiles learnt so far.</summary>
    public ProfileStore Profiles => _store;

    /// <summary>Called with the verdict on every successful login (what <c>--scores-out</c> writes).</summary>
    public event Action<LoginScore>? Scored;

    /// <summary>Logins scored, failures counted, and events skipped for want of a user.</summary>
    public long LoginsScored { get; private set; }
    public long FailuresSeen { get; private set; }
    public long WithoutUser { get; private set; }
    public long Flagged { get; private set; }

    public void Analyze(Event e, Action<Event> finding)
    {
        if (!IsLogin(e, out var success)) return;
        var user = CanonicalUser(e);
        if (user is null) { WithoutUser++; return; }
        var p = _store.Get(user);
        var ticks = e.Timestamp.UtcTicks;
        p.Decay(ticks);
        if (!success)
        {
            FailuresSeen++;
            p.Failures++;
            p.RecentFailures += 1;
            var asn = e.TryGet("source.as.number", out var a) && !a.IsNull ? a.AsLong() : -1;
            if (asn is > 0 and <= int.MaxValue && p.Logins > 0 && LoginProfile.Find(p.Asns, p.AsnCount, (int)asn) < 0) p.RecentForeignFailures += 1;
            return;
        }
        Score(e, p, user, ticks, finding);
    }

    // ---- reading the event ----

    private bool IsLogin(Event e, out bool success)
    {
        success = false;
        if (_o.Logins is { } when)
        {
            if (!when(e)) return false;
        }
        else
        {
            var kind = e.GetString(Ecs.EventKind);
            if (kind is not null && kind != "event") return false;
            var type = e.Get("event.type");
            if (type.IsNull)
            {
                if (!Has(e.Get(Ecs.EventCategory), "authentication")) return false;
            }
            else if (!Has(type, "start")) return false;
        }
        switch (e.GetString(Ecs.EventOutcome))
        {
            case "success": success = true; return true;
            case "failure": return true;
            default: return false;
        }
    }

    private static bool Has(FieldValue v, string value)
    {
        if (v.Kind == FieldKind.Array)
        {
            foreach (var item in v.AsArray()) if (item.Kind == FieldKind.String && item.AsString() == value) return true;
            return false;
        }
        return v.Kind == FieldKind.String && v.AsString() == value;
    }

    private string? CanonicalUser(Event e)
    {
        foreach (var f in _o.UserFields)
        {
            var s = e.GetString(f);
            if (!string.IsNullOrWhiteSpace(s)) return s.Trim().ToLowerInvariant();
        }
        return null;
    }

    private static double Number(Event e, string name)
    {
        if (!e.TryGet(name, out var v) || v.IsNull) return double.NaN;
        return v.AsDouble();
    }

    private int DeviceId(Event e)
    {
        string key;
        if (EnrichedDeviceName(e) is { } enriched) key = enriched;
        else if (e.GetString("user_agent.original") is { Length: > 0 } ua)
        {
            if (_deviceIds.TryGetValue(ua, out var cached)) return cached;
            key = UaWithoutVersions(ua);
            var id = _store.Intern(key);
            if (_deviceIds.Count > 100_000) _deviceIds.Clear();
            _deviceIds[ua] = id;
            return id;
        }
        else return -1;
        return _store.Intern(key);
    }

    /// <summary>The device of a login as profiles name it: "Browser on OS (device)", else the user agent without versions.</summary>
    public static string? DeviceName(Event e) =>
        EnrichedDeviceName(e) ?? (e.GetString("user_agent.original") is { Length: > 0 } ua ? UaWithoutVersions(ua) : null);

    private static string? EnrichedDeviceName(Event e)
    {
        var name = e.GetString("user_agent.name");
        var os = e.GetString("user_agent.os.name");
        if (name is null && os is null) return null;
        var device = e.GetString("user_agent.device.name");
        return (name ?? "Other") + " on " + (os ?? "Other") + (device is null or "Other" ? "" : " (" + device + ")");
    }

    /// <summary>Without a user-agent enricher: the raw string's words without version tokens (the seed's cleaning).</summary>
    public static string UaWithoutVersions(string ua)
    {
        var sb = new StringBuilder(ua.Length);
        foreach (var token in ua.Split([' ', '(', ')', ';', ','], StringSplitOptions.RemoveEmptyEntries))
        {
            if (token.Any(char.IsAsciiDigit) || token is "Mozilla" or "KHTML" or "like" or "Gecko" or "compatible") continue;
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(token);
        }
        return sb.Length == 0 ? ua : sb.ToString();
    }

    private int CityId(string country, string city)
    {
        if (_cityIds.TryGetValue((country, city), out var id)) return id;
        id = _store.Intern(city.Length == 0 ? country : city + ", " + country);
        _cityIds[(country, city)] = id;
        return id;
    }

    // ---- scoring ----

    private readonly struct Login
    {
        public required bool Located { get; init; }
        public required double Lat { get; init; }
        public required double Lon { get; init; }
        public required double RadiusKm { get; init; }
        public required int Country { get; init; }
        public required int City { get; init; }
        public required int Asn { get; init; }
        public required int Device { get; init; }
        public required int Minute { get; init; }
        public required int HourOfWeek { get; init; }
    }

    private void Score(Event e, LoginProfile p, string user, long ticks, Action<Event> finding)
    {
        var lat = Number(e, "source.geo.location.lat");
        var lon = Number(e, "source.geo.location.lon");
        var located = !double.IsNaN(lat) && !double.IsNaN(lon) && Math.Abs(lat) <= 90 && Math.Abs(lon) <= 180;
        var radius = Number(e, "source.geo.accuracy_radius");
        var countryCode = e.GetString("source.geo.country_iso_code");
        var asnValue = e.TryGet("source.as.number", out var asnField) && !asnField.IsNull ? asnField.AsLong() : -1;
        var asn = asnValue is > 0 and <= int.MaxValue ? (int)asnValue : -1;
        var asOrg = e.GetString("source.as.organization.name");
        if (asn > 0 && asOrg is not null && !_store.AsnNames.ContainsKey(asn)) _store.AsnNames[asn] = _store.Intern(asOrg);
        var ts = e.Timestamp.UtcDateTime;
        var login = new Login
        {
            Located = located,
            Lat = located ? lat : 0,
            Lon = located ? lon : 0,
            RadiusKm = double.IsNaN(radius) || radius < 0 ? 0 : radius,
            Country = countryCode is null ? -1 : _store.Intern(countryCode),
            City = countryCode is null ? -1 : CityId(countryCode, e.GetString("source.geo.city_name") ?? ""),
            Asn = asn,
            Device = DeviceId(e),
            Minute = (int)(ticks / TimeSpan.TicksPerMinute - DateTime.UnixEpoch.Ticks / TimeSpan.TicksPerMinute),
            HourOfWeek = ((int)ts.DayOfWeek + 6) % 7 * 24 + ts.Hour,
        };
        var n = p.Logins;
        var conf = _o.Warmup == 0 ? 1.0 : Math.Min(1.0, (double)n / _o.Warmup);
        var warm = n >= _o.Warmup;

        // impossible travel against the last located login
        double travel = 0, travelKm = 0, travelKmh = 0;
        var nearestKm = NearestKm(p, login, out var nearestCity);
        if (_o.Travel.Enabled && located && p.LastLocatedTicks != 0 && !Allowed(asn, asOrg) && !Allowed(p.LastAsn, null) && !BackHome(p, login, nearestKm))
        {
            travelKm = GeoDistance.Km(p.LastLat, p.LastLon, lat, lon);
            var effective = _o.Travel.UseAccuracyRadius ? Math.Max(0, travelKm - p.LastRadiusKm - login.RadiusKm) : travelKm;
            var hours = Math.Max(0, (ticks - p.LastLocatedTicks) / (double)TimeSpan.TicksPerHour);
            travelKmh = hours > 0 ? travelKm / hours : double.PositiveInfinity;
            var effectiveKmh = hours > 0 ? effective / hours : double.PositiveInfinity;
            if (effective >= _o.Travel.MinDistanceKm && effectiveKmh > _o.Travel.MaxSpeedKmh)
                travel = Math.Min(1, 0.6 + 0.2 * Math.Log10(Math.Min(effectiveKmh, 1e9) / _o.Travel.MaxSpeedKmh));
        }

        var countryIdx = login.Country < 0 ? -2 : LoginProfile.Find(p.Countries, p.CountryCount, login.Country);
        var asnIdx = login.Asn < 0 ? -2 : LoginProfile.Find(p.Asns, p.AsnCount, login.Asn);
        var deviceIdx = login.Device < 0 ? -2 : LoginProfile.Find(p.Devices, p.DeviceCount, login.Device);
        var users = Math.Max(1, _store.Count);
        var countryOrg = login.Country < 0 ? 0 : OrgRarity(_store.CountryUsers, login.Country, users);
        var asnOrg = login.Asn < 0 ? 0 : OrgRarity(_store.AsnUsers, login.Asn, users);
        var deviceOrg = login.Device < 0 ? 0 : OrgRarity(_store.DeviceUsers, login.Device, users);
        var newCountry = _o.NewCountry && warm && countryIdx == -1 ? 0.5 + 0.5 * countryOrg : 0;
        var newAsn = _o.NewAsn && warm && asnIdx == -1 ? 0.4 + 0.6 * asnOrg : 0;
        var newDevice = _o.NewDevice && warm && deviceIdx == -1 ? 0.5 + 0.5 * deviceOrg : 0;

        // the feature vector, every value in 0..1
        var row = _row;
        var (sx, sy, sz) = located ? GeoDistance.UnitSphere(lat, lon) : p.LastLocatedTicks != 0 ? GeoDistance.UnitSphere(p.LastLat, p.LastLon) : (0, 0, 0);
        row[0] = (sx + 1) / 2; row[1] = (sy + 1) / 2; row[2] = (sz + 1) / 2;
        row[3] = double.IsNaN(nearestKm) ? 0 : Math.Log(1 + nearestKm) / Math.Log(20_001);
        row[4] = login.Country < 0 || n == 0 ? 0 : Rarity(countryIdx < 0 ? 0 : p.Countries[countryIdx].Count, n);
        row[5] = login.Asn < 0 || n == 0 ? 0 : Rarity(asnIdx < 0 ? 0 : p.Asns[asnIdx].Count, n);
        row[6] = login.Device < 0 || n == 0 ? 0 : Rarity(deviceIdx < 0 ? 0 : p.Devices[deviceIdx].Count, n);
        row[7] = asnOrg;
        var hourRarity = HourRarity(p, login.HourOfWeek);
        row[8] = hourRarity;
        row[9] = p.LastLoginTicks == 0 ? 1 : Math.Min(1, Math.Log(1 + Math.Max(0, ticks - p.LastLoginTicks) / (double)TimeSpan.TicksPerHour) / Math.Log(1 + 24 * 90));
        var failureRatio = p.RecentFailures / (p.RecentFailures + p.RecentSuccesses + 1);
        row[10] = failureRatio;
        row[11] = travelKmh is 0 || double.IsNaN(travelKmh) ? 0 : Math.Min(1, Math.Log(1 + Math.Min(travelKmh, 1e6)) / Math.Log(1 + 1e6));
        for (var i = 0; i < F; i++) row[i] = Math.Round(Math.Clamp(row[i], 0, 1) * 255) / 255; // what the models are fitted on

        var (forest, perUser) = _o.Forest.Enabled ? ForestScore(p, row) : (0, false);

        // the combined score: evidence weighed on a logit scale
        var hourConf = Math.Min(1.0, p.HourTotal / 30.0);
        // a value first seen less than a day ago still counts as new: an intruder's second and third logins
        var countryNovel = Novelty(p.Countries, countryIdx, login.Minute);
        var asnNovel = Novelty(p.Asns, asnIdx, login.Minute);
        var deviceNovel = Novelty(p.Devices, deviceIdx, login.Minute);
        var cityNovel = CityNovelty(p, login, nearestKm);
        var beyondKm = double.IsNaN(nearestKm) ? 0 : nearestKm - login.RadiusKm;
        var ev = _evidence;
        ev[0] = 1;
        ev[1] = travel;
        ev[2] = countryNovel * conf * Surprise(p.CountryCount, n);
        ev[3] = countryNovel * conf * countryOrg;
        ev[4] = asnNovel * conf * Surprise(p.AsnCount, n);
        ev[5] = asnNovel * conf * asnOrg;
        ev[6] = asnNovel * conf * Math.Pow(asnOrg, 4);
        // without an ASN database a login is neither helped nor hurt by its network: a common residential network's rarity stands in
        ev[7] = login.Asn < 0 ? TypicalAsnOrgRarity : asnOrg;
        ev[8] = deviceNovel * conf * Surprise(p.DeviceCount, n);
        ev[9] = deviceNovel * conf * deviceOrg;
        ev[10] = cityNovel * conf * Surprise(p.CityCount, n);
        ev[11] = conf * Math.Clamp(Math.Log10(Math.Max(beyondKm, 1) / 30) / 2.5, 0, 1);
        ev[12] = hourRarity * hourConf;
        ev[13] = Math.Min(1, Math.Log(1 + p.RecentFailures) / Math.Log(6));
        ev[14] = Math.Min(1, Math.Log(1 + p.RecentForeignFailures) / Math.Log(6));
        ev[15] = forest > 0 ? Math.Max(0, forest - 0.5) * 2 : 0;
        ev[16] = 1 - conf;
        ev[17] = (1 - conf) * asnOrg;
        ev[18] = (1 - conf) * deviceOrg;
        ev[19] = (1 - conf) * countryOrg;
        var z = 0.0;
        var w = EvidenceWeights;
        for (var i = 0; i < E; i++) z += w[i] * ev[i];
        var score = 1 / (1 + Math.Exp(-z));
        // one alert per user and new thing a day: a second login from the same new network, country and device
        // within 24 h of a flagged one is scored but not flagged again
        // a fixed hash (not HashCode, which is seeded per process): the key is saved in the profile snapshot
        var alertKey = unchecked(((countryNovel > 0 ? login.Country : -1) * 486187739 + (asnNovel > 0 ? login.Asn : -1)) * 486187739 + (deviceNovel > 0 ? login.Device : -1));
        var repeat = p.LastAlertTicks != 0 && ticks - p.LastAlertTicks < TimeSpan.TicksPerDay && alertKey == p.LastAlertKey;
        var flagged = score >= _o.Threshold && !repeat || (travel > 0 && _o.Travel.Findings == FindingMode.Always);
        if (flagged && score >= _o.Threshold) { p.LastAlertTicks = ticks; p.LastAlertKey = alertKey; }

        // explanations, strongest first, written only when something fired
        List<string>? reasons = null;
        string? travelText = null, countryText = null, asnText = null, deviceText = null, forestText = null;
        if (travel > 0) (reasons ??= []).Add(travelText = TravelText(p, ticks, travelKm, travelKmh));
        if (newCountry > 0) (reasons ??= []).Add(countryText = CountryText(p, user, login.Country, countryCode!));
        if (newAsn > 0) (reasons ??= []).Add(asnText = AsnText(p, user, login.Asn, asOrg, users));
        if (newDevice > 0) (reasons ??= []).Add(deviceText = DeviceText(p, user, login.Device));
        // evidence that weighs at least 1.5 on the logit scale gets a reason of its own when the ones above do not cover it
        if (asnIdx >= 0 && asnNovel > 0 && Weighs(4)) (reasons ??= []).Add(RecentText(p.Asns, p.AsnCount, asnIdx, user, "network", AsnName, login.Minute));
        if (deviceIdx >= 0 && deviceNovel > 0 && Weighs(8)) (reasons ??= []).Add(RecentText(p.Devices, p.DeviceCount, deviceIdx, user, "device", _store.Name, login.Minute));
        if (newAsn == 0 && login.Asn >= 0 && asnOrg >= 0.9 && Weighs(7)) (reasons ??= []).Add(string.Create(Inv, $"network {AsnName(login.Asn)} is used by {_store.AsnUsers.GetValueOrDefault(login.Asn)} of {users} users"));
        if (cityNovel > 0 && Weighs(10) && nearestCity >= 0) (reasons ??= []).Add(PlaceText(user, login.City, nearestCity, nearestKm));
        if (ev[13] >= 0.3 || failureRatio >= 0.3) (reasons ??= []).Add(FailureText(p));
        if (hourRarity >= 0.8 && hourConf >= 1) (reasons ??= []).Add(HourText(p, login.HourOfWeek, ts));
        if (forest >= 0.6) (reasons ??= []).Add(forestText = ForestText(user, forest, perUser, row));

        LoginsScored++;
        if (flagged) Flagged++;
        if (flagged || _o.Travel.Findings == FindingMode.Always && travel > 0)
        {
            var all = reasons is null ? "unusual login for " + user : string.Join("; ", reasons);
            if (travel > 0 && Reports(_o.Travel.Findings, flagged)) finding(Finding(e, user, "impossible_travel", travel, travelText!, p, travelKm, travelKmh));
            if (newCountry > 0 && Reports(_o.NewCountryFindings, flagged)) finding(Finding(e, user, "new_country", newCountry, countryText!, null, 0, 0));
            if (newAsn > 0 && Reports(_o.NewAsnFindings, flagged)) finding(Finding(e, user, "new_asn", newAsn, asnText!, null, 0, 0));
            if (newDevice > 0 && Reports(_o.NewDeviceFindings, flagged)) finding(Finding(e, user, "new_device", newDevice, deviceText!, null, 0, 0));
            if (forestText is not null && Reports(_o.Forest.Findings, flagged)) finding(Finding(e, user, "isolation_forest", forest, forestText, null, 0, 0));
            if (flagged) finding(Finding(e, user, "login_anomaly", score, all, travel > 0 ? p : null, travelKm, travelKmh));
        }
        Scored?.Invoke(new LoginScore
        {
            EventId = e.GetString(Ecs.EventId),
            User = user,
            Timestamp = e.Timestamp,
            Score = score,
            Flagged = flagged,
            Reasons = reasons ?? (IReadOnlyList<string>)[],
            ImpossibleTravel = travel,
            NewCountry = newCountry,
            NewAsn = newAsn,
            NewDevice = newDevice,
            Forest = forest,
            Evidence = _o.RecordEvidence ? (double[])ev.Clone() : null,
        });

        Learn(p, login, ticks, asOrg, e.GetString(Ecs.SourceIp), row);
    }

    // Back on a network the user has used at least three times, at a place they have been before: the jump is the
    // previous login's (a VPN exit, a roaming phone), and that one was already judged when it happened.
    private static bool BackHome(LoginProfile p, in Login l, double nearestKm)
    {
        if (l.Asn < 0 || double.IsNaN(nearestKm) || nearestKm > 100 + l.RadiusKm) return false;
        var i = LoginProfile.Find(p.Asns, p.AsnCount, l.Asn);
        return i >= 0 && p.Asns[i].Count >= 3;
    }

    private static double Novelty(SeenEntry[] table, int index, int minute) =>
        index == -1 ? 1 : index < 0 ? 0 : table[index].Count <= 2 && minute - table[index].FirstMinute < 24 * 60 ? 0.7 : 0;

    // A place is new when no remembered city lies within the login's accuracy radius plus 50 km (a city's spread); a city
    // first seen less than a day ago counts as 0.7 new, like the other novelties.
    private static double CityNovelty(LoginProfile p, in Login l, double nearestKm)
    {
        if (!l.Located || double.IsNaN(nearestKm)) return 0;
        var i = l.City < 0 ? -1 : LoginProfile.Find(p.Cities, p.CityCount, l.City);
        if (i >= 0) return p.Cities[i].Count <= 2 && l.Minute - p.Cities[i].FirstMinute < 24 * 60 ? 0.7 : 0;
        return nearestKm > 50 + l.RadiusKm ? 1 : 0;
    }

    private bool Weighs(int evidence) => EvidenceWeights[evidence] * _evidence[evidence] >= 1.5;

    private static bool Reports(FindingMode mode, bool flagged) => mode == FindingMode.Always || mode == FindingMode.Flagged && flagged;

    private bool Allowed(int asn, string? org)
    {
        if (asn <= 0) return false;
        if (_o.Travel.AllowAsns.Contains(asn)) return true;
        if (_o.Travel.AllowAsOrganizations.Count == 0) return false;
        org ??= _store.AsnNames.TryGetValue(asn, out var id) ? _store.Name(id) : null;
        if (org is null) return false;
        foreach (var a in _o.Travel.AllowAsOrganizations)
            if (org.Contains(a, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>1 for never seen, falling towards 0 as a value makes up all of the user's logins.</summary>
    private static double Rarity(int count, int total) => 1 - Math.Log(1 + count) / Math.Log(1 + Math.Max(total, 1));

    private static double OrgRarity(Dictionary<int, int> users, int key, int total) =>
        1 - Math.Log(1 + users.GetValueOrDefault(key)) / Math.Log(2 + total);

    private static double NearestKm(LoginProfile p, in Login l, out int nearest)
    {
        nearest = -1;
        if (!l.Located || p.CityCount == 0) return double.NaN;
        var best = double.MaxValue;
        for (var i = 0; i < p.CityCount; i++)
        {
            ref var c = ref p.Cities[i];
            var km = GeoDistance.Km(c.Lat, c.Lon, l.Lat, l.Lon);
            if (km < best) { best = km; nearest = c.Key; }
        }
        return best;
    }

    private static double HourRarity(LoginProfile p, int how)
    {
        if (p.HourTotal == 0) return 0;
        var h = p.HourOfWeek;
        // neighbouring hours and the same hour on other days count too: a 09:10 Tuesday login is normal for a user seen at 09:00 on Mondays
        double sameHour = 0;
        for (var d = 0; d < 7; d++) sameHour += h[(d * 24 + how % 24)];
        sameHour -= h[how];
        var smoothed = h[how] + 0.5 * (h[(how + 167) % 168] + h[(how + 1) % 168]) + 0.3 * sameHour / 6;
        var share = smoothed / (p.HourTotal * (1 + 1 + 0.3 / 6 * 6)) * 168;
        return Math.Clamp(-Math.Log10(Math.Max(share, 1e-3)) / 3, 0, 1);
    }

    private void Learn(LoginProfile p, in Login l, long ticks, string? asOrg, string? ip, double[] row)
    {
        var index = p.Logins;
        p.Logins++;
        p.LoginRate += 1;
        p.RecentSuccesses += 1;
        p.LastLoginTicks = ticks;
        p.AddHour(l.HourOfWeek);
        if (l.Country >= 0)
        {
            if (LoginProfile.Find(p.Countries, p.CountryCount, l.Country) < 0) Bump(_store.CountryUsers, l.Country);
            LoginProfile.Add(ref p.Countries, ref p.CountryCount, LoginProfile.MaxCountries, l.Country, l.Minute);
        }
        if (l.Asn >= 0)
        {
            if (LoginProfile.Find(p.Asns, p.AsnCount, l.Asn) < 0) Bump(_store.AsnUsers, l.Asn);
            LoginProfile.Add(ref p.Asns, ref p.AsnCount, LoginProfile.MaxAsns, l.Asn, l.Minute);
        }
        if (l.Device >= 0)
        {
            if (LoginProfile.Find(p.Devices, p.DeviceCount, l.Device) < 0) Bump(_store.DeviceUsers, l.Device);
            LoginProfile.Add(ref p.Devices, ref p.DeviceCount, LoginProfile.MaxDevices, l.Device, l.Minute);
        }
        if (l.Located)
        {
            if (l.City >= 0) LoginProfile.Add(ref p.Cities, ref p.CityCount, LoginProfile.MaxCities, l.City, l.Country, (float)l.Lat, (float)l.Lon, l.Minute);
            p.LastLocatedTicks = ticks;
            p.LastLat = (float)l.Lat;
            p.LastLon = (float)l.Lon;
            p.LastRadiusKm = (float)l.RadiusKm;
            p.LastCity = l.City;
            p.LastCountry = l.Country;
            p.LastAsn = l.Asn;
            p.LastIp = ip;
        }
        if (!_o.Forest.Enabled) return;
        var ring = _o.Forest.Window + _o.Forest.RefitEvery;
        p.Rows ??= new byte[ring * F];
        var slot = index % ring * F;
        for (var i = 0; i < F; i++) p.Rows[slot + i] = (byte)Math.Round(row[i] * 255);
        if (p.Logins >= _o.Forest.MinRows
            && (p.FittedAt == 0 || p.Logins - p.FittedAt >= _o.Forest.RefitEvery || ticks - p.FittedTicks >= _o.Forest.RefitInterval.Ticks))
        {
            p.FittedAt = p.Logins;
            p.FittedTicks = ticks;
        }
        AddOrgRow(row, ticks);
    }

    private static void Bump(Dictionary<int, int> map, int key) => map[key] = map.GetValueOrDefault(key) + 1;
}
