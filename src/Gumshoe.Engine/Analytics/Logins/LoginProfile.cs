namespace Gumshoe.Engine.Analytics.Logins;

/// <summary>One remembered value of a profile (a country, an ASN, a device): how often and when it was seen.</summary>
public struct SeenEntry
{
    /// <summary>Interned value id (an ASN is its own number).</summary>
    public int Key;
    public int Count;
    /// <summary>First and last seen, minutes since the Unix epoch.</summary>
    public int FirstMinute, LastMinute;
}

/// <summary>A remembered city (or country centroid): a <see cref="SeenEntry"/> with a location.</summary>
public struct PlaceEntry
{
    public int Key;
    public int Country;
    public int Count;
    public int FirstMinute, LastMinute;
    public float Lat, Lon;
}

/// <summary>
/// What is normal for one user, updated online with every login: countries, cities, networks and devices seen (bounded
/// top-K tables), an hour-of-week histogram, the last location and time, decayed login and failure rates, and the
/// recent feature rows the per-user isolation forest is fitted on. Small structs in small arrays: about 1 KB a user.
/// </summary>
public sealed class LoginProfile
{
    public const int MaxCountries = 8, MaxCities = 10, MaxAsns = 10, MaxDevices = 8;

    public LoginProfile(string user) => User = user;

    /// <summary>Canonical user identity.</summary>
    public string User { get; }

    /// <summary>Successful logins and failed attempts seen.</summary>
    public int Logins, Failures;

    public SeenEntry[] Countries = [];
    public PlaceEntry[] Cities = [];
    public SeenEntry[] Asns = [];
    public SeenEntry[] Devices = [];
    public int CountryCount, CityCount, AsnCount, DeviceCount;

    /// <summary>Logins per hour of the week (Monday 00:00 UTC = 0), halved when a cell reaches 255.</summary>
    public byte[] HourOfWeek = new byte[168];
    /// <summary>Sum of <see cref="HourOfWeek"/>.</summary>
    public int HourTotal;

    /// <summary>The last successful login with a location.</summary>
    public long LastLocatedTicks;
    public float LastLat, LastLon, LastRadiusKm;
    public int LastCity = -1, LastCountry = -1, LastAsn = -1;
    public string? LastIp;

    /// <summary>The last successful login of any kind (UTC ticks), 0 before the first.</summary>
    public long LastLoginTicks;

    /// <summary>Exponentially decayed counts: logins (half-life 7 days), recent failures and successes (half-life 1 h).</summary>
    public float LoginRate, RecentFailures, RecentSuccesses;
    public long RatesTicks;
    /// <summary>Recent failed attempts (half-life 1 h) from networks the user had not used: an intruder guessing from elsewhere.</summary>
    public float RecentForeignFailures;

    /// <summary>The last flagged login (UTC ticks) and what was new about it, so a repeat within a day is not a second alert.</summary>
    public long LastAlertTicks;
    public int LastAlertKey;

    /// <summary>Feature rows of the last logins (quantised to bytes), a ring indexed by login number.</summary>
    public byte[]? Rows;
    /// <summary>Login count at the last per-user fit (0 = never).</summary>
    public int FittedAt;
    public long FittedTicks;

    private static readonly long RateHalfLifeTicks = TimeSpan.FromDays(7).Ticks;
    private static readonly long RecentHalfLifeTicks = TimeSpan.FromHours(1).Ticks;

    /// <summary>Brings the decayed counters to <paramref name="ticks"/> (never backwards).</summary>
    public void Decay(long ticks)
    {
        if (ticks <= RatesTicks) return;
        if (RatesTicks != 0)
        {
            var dt = ticks - RatesTicks;
            LoginRate *= (float)double.Exp2(-(double)dt / RateHalfLifeTicks);
            var f = (float)double.Exp2(-(double)dt / RecentHalfLifeTicks);
            RecentFailures *= f;
            RecentSuccesses *= f;
            RecentForeignFailures *= f;
        }
        RatesTicks = ticks;
    }

    /// <summary>Counts one login at an hour of the week.</summary>
    public void AddHour(int hourOfWeek)
    {
        if (HourOfWeek[hourOfWeek] == 255)
        {
            HourTotal = 0;
            for (var i = 0; i < 168; i++) { HourOfWeek[i] = (byte)(HourOfWeek[i] >> 1); HourTotal += HourOfWeek[i]; }
        }
        HourOfWeek[hourOfWeek]++;
        HourTotal++;
    }

    /// <summary>Index of <paramref name="key"/> in a table, or -1.</summary>
    public static int Find(SeenEntry[] table, int count, int key)
    {
        for (var i = 0; i < count; i++) if (table[i].Key == key) return i;
        return -1;
    }

    public static int Find(PlaceEntry[] table, int count, int key)
    {
        for (var i = 0; i < count; i++) if (table[i].Key == key) return i;
        return -1;
    }

    /// <summary>Counts a value in a bounded table; when full, the entry least worth keeping (rare and old) makes room.</summary>
    public static void Add(ref SeenEntry[] table, ref int count, int max, int key, int minute)
    {
        var i = Find(table, count, key);
        if (i < 0)
        {
            i = Slot(ref table, ref count, max, minute, static (in SeenEntry e) => (e.Count, e.LastMinute));
            table[i] = new SeenEntry { Key = key, FirstMinute = minute };
        }
        table[i].Count++;
        table[i].LastMinute = minute;
    }

    public static void Add(ref PlaceEntry[] table, ref int count, int max, int key, int country, float lat, float lon, int minute)
    {
        var i = Find(table, count, key);
        if (i < 0)
        {
            i = Slot(ref table, ref count, max, minute, static (in PlaceEntry e) => (e.Count, e.LastMinute));
            table[i] = new PlaceEntry { Key = key, Country = country, Lat = lat, Lon = lon, FirstMinute = minute };
        }
        table[i].Count++;
        table[i].LastMinute = minute;
    }

    private delegate (int Count, int Last) Weight<T>(in T entry);

    private static int Slot<T>(ref T[] table, ref int count, int max, int minute, Weight<T> weight)
    {
        if (count < table.Length) return count++;
        if (count < max)
        {
            Array.Resize(ref table, Math.Min(max, Math.Max(2, table.Length * 2)));
            return count++;
        }
        // keep what is frequent and recent: the count halves for every 30 days since it was last seen
        var victim = 0;
        var least = double.MaxValue;
        for (var i = 0; i < count; i++)
        {
            var (c, last) = weight(table[i]);
            var w = c * double.Exp2(-(minute - last) / (30.0 * 24 * 60));
            if (w < least) { least = w; victim = i; }
        }
        return victim;
    }

    /// <summary>Total count over a table's entries.</summary>
    public static int Total(SeenEntry[] table, int count)
    {
        var n = 0;
        for (var i = 0; i < count; i++) n += table[i].Count;
        return n;
    }
}
