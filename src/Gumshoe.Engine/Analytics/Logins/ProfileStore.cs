using System.Text;

namespace Gumshoe.Engine.Analytics.Logins;

/// <summary>
/// All login profiles, the interned names they refer to (countries, cities, devices) and organisation-wide prevalence
/// (how many users have used a country, a network, a device). Saved and restored as one compact binary snapshot.
/// </summary>
public sealed class ProfileStore
{
    private const uint Magic = 0x4C505332; // "LPS2"; "LPS1" snapshots (without the alert and foreign-failure fields) still load
    private const uint MagicV1 = 0x4C505331;
    private readonly Dictionary<string, LoginProfile> _profiles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];

    /// <summary>Users with at least one login in the profile table, by the country / ASN / device they used.</summary>
    public Dictionary<int, int> CountryUsers { get; } = [];
    public Dictionary<int, int> AsnUsers { get; } = [];
    public Dictionary<int, int> DeviceUsers { get; } = [];
    /// <summary>ASN organisation names, by number, as last seen.</summary>
    public Dictionary<int, int> AsnNames { get; } = [];

    public int Count => _profiles.Count;

    public IEnumerable<LoginProfile> Profiles => _profiles.Values;

    /// <summary>The profile of a user, created empty on first use.</summary>
    public LoginProfile Get(string user)
    {
        if (!_profiles.TryGetValue(user, out var p)) _profiles[user] = p = new LoginProfile(user);
        return p;
    }

    public bool TryGet(string user, out LoginProfile profile) => _profiles.TryGetValue(user, out profile!);

    /// <summary>The id of a name (country code, city, device), interned on first use.</summary>
    public int Intern(string name)
    {
        if (_ids.TryGetValue(name, out var id)) return id;
        id = _names.Count;
        _names.Add(name);
        _ids[name] = id;
        return id;
    }

    public string Name(int id) => id >= 0 && id < _names.Count ? _names[id] : "?";

    /// <summary>Writes every profile and the organisation-wide tables.</summary>
    public void Save(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(_names.Count);
        foreach (var n in _names) w.Write(n);
        WriteMap(w, CountryUsers);
        WriteMap(w, AsnUsers);
        WriteMap(w, DeviceUsers);
        WriteMap(w, AsnNames);
        w.Write(_profiles.Count);
        foreach (var p in _profiles.Values)
        {
            w.Write(p.User);
            w.Write(p.Logins); w.Write(p.Failures);
            WriteSeen(w, p.Countries, p.CountryCount);
            w.Write(p.CityCount);
            for (var i = 0; i < p.CityCount; i++)
            {
                ref var c = ref p.Cities[i];
                w.Write(c.Key); w.Write(c.Country); w.Write(c.Count); w.Write(c.FirstMinute); w.Write(c.LastMinute); w.Write(c.Lat); w.Write(c.Lon);
            }
            WriteSeen(w, p.Asns, p.AsnCount);
            WriteSeen(w, p.Devices, p.DeviceCount);
            w.Write(p.HourOfWeek);
            w.Write(p.LastLocatedTicks); w.Write(p.LastLat); w.Write(p.LastLon); w.Write(p.LastRadiusKm);
            w.Write(p.LastCity); w.Write(p.LastCountry); w.Write(p.LastAsn); w.Write(p.LastIp ?? "");
            w.Write(p.LastLoginTicks);
            w.Write(p.LoginRate); w.Write(p.RecentFailures); w.Write(p.RecentSuccesses); w.Write(p.RatesTicks);
            w.Write(p.Rows?.Length ?? 0);
            if (p.Rows is not null) w.Write(p.Rows);
            w.Write(p.FittedAt); w.Write(p.FittedTicks);
            w.Write(p.RecentForeignFailures); w.Write(p.LastAlertTicks); w.Write(p.LastAlertKey);
        }
    }

    /// <summary>Reads a snapshot written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Not a profile snapshot, or cut short.</exception>
    public static ProfileStore Load(Stream stream)
    {
        try
        {
            using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            var magic = r.ReadUInt32();
            if (magic != Magic && magic != MagicV1) throw new InvalidDataException("not a login profile snapshot");
            var s = new ProfileStore();
            var names = r.ReadInt32();
            for (var i = 0; i < names; i++) s.Intern(r.ReadString());
            ReadMap(r, s.CountryUsers);
            ReadMap(r, s.AsnUsers);
            ReadMap(r, s.DeviceUsers);
            ReadMap(r, s.AsnNames);
            var n = r.ReadInt32();
            for (var k = 0; k < n; k++)
            {
                var p = s.Get(r.ReadString());
                p.Logins = r.ReadInt32(); p.Failures = r.ReadInt32();
                (p.Countries, p.CountryCount) = ReadSeen(r);
                p.CityCount = r.ReadInt32();
                p.Cities = new PlaceEntry[p.CityCount];
                for (var i = 0; i < p.CityCount; i++)
                    p.Cities[i] = new PlaceEntry { Key = r.ReadInt32(), Country = r.ReadInt32(), Count = r.ReadInt32(), FirstMinute = r.ReadInt32(), LastMinute = r.ReadInt32(), Lat = r.ReadSingle(), Lon = r.ReadSingle() };
                (p.Asns, p.AsnCount) = ReadSeen(r);
                (p.Devices, p.DeviceCount) = ReadSeen(r);
                p.HourOfWeek = r.ReadBytes(168);
                if (p.HourOfWeek.Length != 168) throw new EndOfStreamException();
                p.HourTotal = p.HourOfWeek.Sum(b => b);
                p.LastLocatedTicks = r.ReadInt64(); p.LastLat = r.ReadSingle(); p.LastLon = r.ReadSingle(); p.LastRadiusKm = r.ReadSingle();
                p.LastCity = r.ReadInt32(); p.LastCountry = r.ReadInt32(); p.LastAsn = r.ReadInt32();
                var ip = r.ReadString();
                p.LastIp = ip.Length == 0 ? null : ip;
                p.LastLoginTicks = r.ReadInt64();
                p.LoginRate = r.ReadSingle(); p.RecentFailures = r.ReadSingle(); p.RecentSuccesses = r.ReadSingle(); p.RatesTicks = r.ReadInt64();
                var rows = r.ReadInt32();
                p.Rows = rows == 0 ? null : r.ReadBytes(rows);
                p.FittedAt = r.ReadInt32(); p.FittedTicks = r.ReadInt64();
                if (magic == Magic) { p.RecentForeignFailures = r.ReadSingle(); p.LastAlertTicks = r.ReadInt64(); p.LastAlertKey = r.ReadInt32(); }
            }
            return s;
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("login profile snapshot is cut short");
        }
    }

    private static void WriteMap(BinaryWriter w, Dictionary<int, int> map)
    {
        w.Write(map.Count);
        foreach (var (k, v) in map) { w.Write(k); w.Write(v); }
    }

    private static void ReadMap(BinaryReader r, Dictionary<int, int> map)
    {
        var n = r.ReadInt32();
        for (var i = 0; i < n; i++) map[r.ReadInt32()] = r.ReadInt32();
    }

    private static void WriteSeen(BinaryWriter w, SeenEntry[] table, int count)
    {
        w.Write(count);
        for (var i = 0; i < count; i++) { w.Write(table[i].Key); w.Write(table[i].Count); w.Write(table[i].FirstMinute); w.Write(table[i].LastMinute); }
    }

    private static (SeenEntry[], int) ReadSeen(BinaryReader r)
    {
        var n = r.ReadInt32();
        if (n < 0 || n > 1024) throw new InvalidDataException($"bad table size {n} in login profile snapshot");
        var t = new SeenEntry[n];
        for (var i = 0; i < n; i++) t[i] = new SeenEntry { Key = r.ReadInt32(), Count = r.ReadInt32(), FirstMinute = r.ReadInt32(), LastMinute = r.ReadInt32() };
        return (t, n);
    }
}
