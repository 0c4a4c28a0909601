using System.Net;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Pipeline;
using MaxMind.Db;
using MaxMind.GeoIP2;
using MaxMind.GeoIP2.Exceptions;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Enrich;

/// <summary>
/// <c>geoip:</c> adds location (<c>&lt;target&gt;.geo.*</c>) and network owner (<c>&lt;target&gt;.as.*</c>) to each
/// configured IP field from MaxMind-format City/Country and ASN databases, reloading a database when its file changes.
/// </summary>
/// <remarks>
/// Fields (ECS names): <c>geo.continent_code</c>, <c>geo.continent_name</c>, <c>geo.country_iso_code</c>,
/// <c>geo.country_name</c>, <c>geo.region_iso_code</c> (country + most specific subdivision, e.g. <c>GB-ENG</c>),
/// <c>geo.region_name</c>, <c>geo.city_name</c>, <c>geo.postal_code</c>, <c>geo.location</c> (<c>{lat, lon}</c>),
/// <c>geo.timezone</c>, <c>as.number</c>, <c>as.organization.name</c>; and two that ECS lacks:
/// <c>geo.accuracy_radius</c> (kilometres, MaxMind's radius around the location) and <c>address_class</c>, set only
/// for addresses that are not public (<c>private</c>, <c>loopback</c>, <c>link_local</c>, <c>shared</c>,
/// <c>documentation</c>, <c>multicast</c>, <c>unspecified</c>, <c>reserved</c>): those are never looked up.
/// Results are cached per address (bounded LRU), so a repeated address costs one dictionary probe and a few field sets.
/// </remarks>
public sealed class GeoIpEnricher : IEnricher, IDisposable
{
    // Slot order of a cached result; the names per target are built once.
    private static readonly string[] Suffixes =
    [
        "geo.continent_code", "geo.continent_name", "geo.country_iso_code", "geo.country_name", "geo.region_iso_code",
        "geo.region_name", "geo.city_name", "geo.postal_code", "geo.location", "geo.timezone", "geo.accuracy_radius",
        "as.number", "as.organization.name", "address_class",
    ];
    private const int SlotAsNumber = 11, SlotAsOrg = 12, SlotClass = 13;

    private readonly (string Field, string[] Names)[] _targets;
    private readonly WatchedDatabase? _city, _asn;
    private readonly BoundedCache<IPAddress, GeoResult> _byAddress;
    private readonly BoundedCache<string, GeoResult> _byText;
    private readonly long _checkEveryMs;
    private readonly Func<long> _clock;
    private long _nextCheck;
    private readonly EnricherCounters _counters = new("geoip");
    private Counters _c;
    private ILogger _logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public string Name => "geoip";

    /// <param name="fields">IP fields and the prefix their results go under (<c>source.ip</c> → <c>source</c>).</param>
    public GeoIpEnricher(string? cityDb, string? asnDb, IReadOnlyList<(string Field, string Target)> fields,
        int cacheSize = 100_000, TimeSpan? reloadCheck = null, Func<long>? clock = null)
    {
        if (cityDb is null && asnDb is null) throw new ArgumentException("geoip needs city_db, asn_db or both");
        _city = cityDb is null ? null : new WatchedDatabase(cityDb, DatabaseKind.Location);
        try { _asn = asnDb is null ? null : new WatchedDatabase(asnDb, DatabaseKind.Network); }
        catch { _city?.Dispose(); throw; }
        _targets = fields.Select(f => (f.Field, Suffixes.Select(s => f.Target + "." + s).ToArray())).ToArray();
        _byAddress = new BoundedCache<IPAddress, GeoResult>(cacheSize);
        _byText = new BoundedCache<string, GeoResult>(cacheSize, StringComparer.Ordinal);
        _checkEveryMs = (long)(reloadCheck ?? TimeSpan.FromSeconds(5)).TotalMilliseconds;
        _clock = clock ?? (static () => Environment.TickCount64);
        _nextCheck = _clock() + _checkEveryMs;
        _c = new Counters(_counters);
    }

    /// <summary>Reads <c>geoip: {city_db, asn_db, field, cache_size, reload_check}</c>.</summary>
    public static IEnricher Create(ConfigNode node, ComponentContext context)
    {
        var city = node.Get("city_db") is { IsNull: false } c ? c.AsPath() : null;
        var asn = node.Get("asn_db") is { IsNull: false } a ? a.AsPath() : null;
        if (city is null && asn is null) throw node.Error("geoip needs city_db, asn_db or both");
        var fields = new List<(string, string)>();
        if (node.Get("field") is { IsNull: false } f)
        {
            foreach (var item in f.Items)
            {
                if (item.IsMapping)
                {
                    var field = item.Required("field").AsString();
                    var target = item.String("target") ?? DefaultTarget(field) ?? throw item.Error($"say where results for '{field}' go with target: (e.g. target: client)");
                    item.EnsureNoUnknownKeys("geoip field");
                    fields.Add((field, target));
                }
                else
                {
                    var field = item.AsString();
                    fields.Add((field, DefaultTarget(field) ?? throw item.Error($"'{field}' does not end in .ip; use {{field: {field}, target: …}} to say where results go")));
                }
            }
        }
        else fields.Add((Ecs.SourceIp, "source"));
        var cacheSize = node.Int("cache_size", 1, 10_000_000) ?? 100_000;
        var reload = node.DurationAt("reload_check");
        try { return new GeoIpEnricher(city, asn, fields, cacheSize, reload); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDatabaseException or InvalidOperationException)
        {
            throw node.Error(ex.Message);
        }
    }

    private static string? DefaultTarget(string field) => field.EndsWith(".ip", StringComparison.Ordinal) && field.Length > 3 ? field[..^3] : null;

    public void Attach(MetricsRegistry metrics, ILogger logger)
    {
        _counters.Attach(metrics);
        _c = new Counters(_counters);
        _logger = logger;
    }

    public void Enrich(Event e)
    {
        if (_clock() >= _nextCheck) CheckForUpdates();
        foreach (var (field, names) in _targets)
        {
            if (!e.TryGet(field, out var value) || value.IsNull) { _c.NoAddress.Add(); continue; }
            var result = Lookup(value);
            if (result is null) { _c.Invalid.Add(); continue; }
            result.Count(_c);
            var values = result.Values;
            for (var i = 0; i < values.Length; i++)
                if (!values[i].IsNull) e.Set(names[i], values[i]);
        }
    }

    private GeoResult? Lookup(FieldValue value)
    {
        if (value.Kind == FieldKind.Ip)
        {
            var ip = (IPAddress)value.AsIp()!;
            if (_byAddress.TryGet(ip, out var hit)) return hit;
            var r = Resolve(ip);
            _byAddress.Set(ip, r);
            return r;
        }
        var text = value.AsString();
        if (_byText.TryGet(text, out var cached)) return cached;
        if (!IPAddress.TryParse(text.AsSpan().Trim(), out var parsed)) return null;   // not cached: rare, and bounded by the input
        var result = Resolve(parsed);
        _byText.Set(text, result);
        return result;
    }

    private GeoResult Resolve(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        var values = new FieldValue[Suffixes.Length];
        var cls = IpAddressClass.Of(ip);
        if (cls != IpAddressClass.Public)
        {
            values[SlotClass] = FieldValue.String(cls);
            return new GeoResult(values, GeoOutcome.NonPublic);
        }
        var found = false;
        try
        {
            found |= _city?.Current.FillLocation(ip, values) == true;
            found |= _asn?.Current.FillNetwork(ip, values) == true;
        }
        catch (Exception ex) when (ex is InvalidDatabaseException or GeoIP2Exception or InvalidOperationException or IndexOutOfRangeException or ArgumentException)
        {
            _c.LookupFailed.Add();
            _logger.LogWarning("geoip: lookup of {Address} failed: {Error}", ip, ex.Message);
            return new GeoResult(values, GeoOutcome.NotFound);
        }
        return new GeoResult(values, found ? GeoOutcome.Found : GeoOutcome.NotFound);
    }

    /// <summary>Checks the database files now (normally done every <c>reload_check</c> while enriching).</summary>
    public void CheckForUpdates()
    {
        _nextCheck = _clock() + _checkEveryMs;
        var reloaded = false;
        foreach (var db in new[] { _city, _asn })
        {
            if (db is null) continue;
            try
            {
                if (db.ReloadIfChanged())
                {
                    reloaded = true;
                    _c.Reloaded.Add();
                    _logger.LogInformation("geoip: reloaded {Path} ({Type}, built {Built:u})", db.Path, db.Current.Type, db.Current.BuildDate);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDatabaseException or InvalidOperationException)
            {
                // keep answering from the database we have; try again at the next check
                _c.ReloadFailed.Add();
                _logger.LogWarning("geoip: cannot reload {Path}: {Error}", db.Path, ex.Message);
            }
        }
        if (reloaded)
        {
            _byAddress.Clear();
            _byText.Clear();
        }
    }

    public void Dispose()
    {
        _city?.Dispose();
        _asn?.Dispose();
    }

    private enum GeoOutcome : byte { Found, NotFound, NonPublic }

    private sealed class GeoResult(FieldValue[] values, GeoOutcome outcome)
    {
        public FieldValue[] Values { get; } = values;
        public void Count(Counters c) =>
            (outcome switch { GeoOutcome.Found => c.Enriched, GeoOutcome.NotFound => c.NotFound, _ => c.NonPublic }).Add();
    }

    private sealed class Counters(EnricherCounters c)
    {
        public readonly Counter Enriched = c.Outcome("enriched");
        public readonly Counter NotFound = c.Outcome("not_found");
        public readonly Counter NonPublic = c.Outcome("non_public_address");
        public readonly Counter Invalid = c.Outcome("invalid_address");
        public readonly Counter NoAddress = c.Outcome("no_address");
        public readonly Counter Reloaded = c.Outcome("database_reloaded");
        public readonly Counter ReloadFailed = c.Error("reload_failed");
        public readonly Counter LookupFailed = c.Error("lookup_failed");
    }

    private enum DatabaseKind { Location, Network }

    /// <summary>One open database file plus the stamp (write time, length) it was opened at.</summary>
    private sealed class WatchedDatabase : IDisposable
    {
        private readonly DatabaseKind _kind;
        private (DateTime, long) _stamp;
        private OpenDatabase _current;

        public WatchedDatabase(string path, DatabaseKind kind)
        {
            Path = path;
            _kind = kind;
            if (!File.Exists(path)) throw new FileNotFoundException($"GeoIP database '{path}' does not exist");
            _stamp = Stamp(path);
            _current = OpenDatabase.Open(path, kind);
        }

        public string Path { get; }
        public OpenDatabase Current => Volatile.Read(ref _current);

        private static (DateTime, long) Stamp(string path)
        {
            var info = new FileInfo(path);
            return (info.LastWriteTimeUtc, info.Length);
        }

        /// <summary>Opens the file again when it changed and has been quiet for a second (not caught mid-copy).</summary>
        public bool ReloadIfChanged()
        {
            if (!File.Exists(Path)) return false;   // being replaced, or removed: keep the old one
            var stamp = Stamp(Path);
            if (stamp == _stamp || DateTime.UtcNow - stamp.Item1 < TimeSpan.FromSeconds(1)) return false;
            var next = OpenDatabase.Open(Path, _kind);
            var old = Interlocked.Exchange(ref _current, next);
            _stamp = stamp;
            old.Dispose();
            return true;
        }

        public void Dispose() => Current.Dispose();
    }

    /// <summary>A database read fully into memory (so a file rewritten in place cannot fault a mapped page).</summary>
    private sealed class OpenDatabase : IDisposable
    {
        private readonly DatabaseReader _reader;
        private readonly bool _isCity, _isIsp;

        private OpenDatabase(DatabaseReader reader, bool isCity, bool isIsp)
        {
            _reader = reader;
            _isCity = isCity;
            _isIsp = isIsp;
        }

        public string Type => _reader.Metadata.DatabaseType;
        public DateTime BuildDate => _reader.Metadata.BuildDate;

        public static OpenDatabase Open(string path, DatabaseKind kind)
        {
            var reader = new DatabaseReader(path, FileAccessMode.Memory);
            var type = reader.Metadata.DatabaseType;
            bool Has(string word) => type.Contains(word, StringComparison.OrdinalIgnoreCase);
            if (kind == DatabaseKind.Location && !(Has("City") || Has("Country")))
            {
                reader.Dispose();
                throw new InvalidOperationException($"'{path}' is a {type} database; city_db needs a City or Country database");
            }
            if (kind == DatabaseKind.Network && !(Has("ASN") || Has("ISP")))
            {
                reader.Dispose();
                throw new InvalidOperationException($"'{path}' is a {type} database; asn_db needs an ASN or ISP database");
            }
            return new OpenDatabase(reader, Has("City"), Has("ISP"));
        }

        public bool FillLocation(IPAddress ip, FieldValue[] v)
        {
            MaxMind.GeoIP2.Responses.CityResponse? city = null;
            MaxMind.GeoIP2.Model.Continent continent;
            MaxMind.GeoIP2.Model.Country country;
            if (_isCity)
            {
                if (!_reader.TryCity(ip, out city) || city is null) return false;
                (continent, country) = (city.Continent, city.Country);
            }
            else
            {
                if (!_reader.TryCountry(ip, out var r) || r is null) return false;
                (continent, country) = (r.Continent, r.Country);
            }
            var any = false;
            void Put(int slot, string? s) { if (!string.IsNullOrEmpty(s)) { v[slot] = FieldValue.String(s); any = true; } }
            Put(0, continent.Code);
            Put(1, continent.Name);
            Put(2, country.IsoCode);
            Put(3, country.Name);
            if (city is not null)
            {
                var sub = city.MostSpecificSubdivision;
                if (!string.IsNullOrEmpty(sub.IsoCode) && !string.IsNullOrEmpty(country.IsoCode)) Put(4, country.IsoCode + "-" + sub.IsoCode);
                Put(5, sub.Name);
                Put(6, city.City.Name);
                Put(7, city.Postal.Code);
                var loc = city.Location;
                if (loc.Latitude is { } lat && loc.Longitude is { } lon)
                {
                    v[8] = FieldValue.Object(new Dictionary<string, FieldValue>(StringComparer.Ordinal)
                    {
                        ["lat"] = FieldValue.Double(lat), ["lon"] = FieldValue.Double(lon),
                    });
                    any = true;
                }
                Put(9, loc.TimeZone);
                if (loc.AccuracyRadius is { } radius) v[10] = FieldValue.Long(radius);
            }
            return any;
        }

        public bool FillNetwork(IPAddress ip, FieldValue[] v)
        {
            long? number;
            string? org;
            if (_isIsp)
            {
                if (!_reader.TryIsp(ip, out var isp) || isp is null) return false;
                (number, org) = (isp.AutonomousSystemNumber, isp.AutonomousSystemOrganization);
            }
            else
            {
                if (!_reader.TryAsn(ip, out var asn) || asn is null) return false;
                (number, org) = (asn.AutonomousSystemNumber, asn.AutonomousSystemOrganization);
            }
            if (number is { } n) v[SlotAsNumber] = FieldValue.Long(n);
            if (!string.IsNullOrEmpty(org)) v[SlotAsOrg] = FieldValue.String(org);
            return number is not null || !string.IsNullOrEmpty(org);
        }

        public void Dispose() => _reader.Dispose();
    }
}
