namespace Gumshoe.Engine.Parsers;

/// <summary>
/// Picks the year of a year-less syslog stamp (<c>Mar  4 00:00:01</c>): the latest year that does not put the
/// stamp more than <see cref="FutureTolerance"/> after the reference time. The reference is the wall clock when a
/// line is read live and the file's last-write time in a replay, so a file tailed as it is written and the same
/// file replayed later place every line in the same year, also across New Year.
/// </summary>
public sealed class YearInference
{
    /// <summary>How far ahead of the reference a stamp may be before it is taken as last year's (clock skew).</summary>
    public static readonly TimeSpan FutureTolerance = TimeSpan.FromDays(2);

    /// <summary>Supplies the reference time (UTC); the wall clock unless set.</summary>
    public Func<DateTimeOffset> Reference { get; set; } = () => DateTimeOffset.UtcNow;

    /// <summary>Where the year search starts for a reference and zone (the same for every line of a replayed file).</summary>
    private sealed record StartYear(DateTimeOffset Reference, TimeZoneInfo Zone, int Year);

    // replaced, never changed: parsers on several threads may share one inference
    private StartYear? _start;

    // Consecutive lines mostly share their second: the last one resolved, per thread (parsers run on several).
    private struct LastResolved
    {
        public YearInference? Owner;
        public TimeZoneInfo? Zone;
        public DateTimeOffset Reference, Time;
        public long Stamp, Fraction;
    }

    [ThreadStatic] private static LastResolved _last;

    /// <summary>Builds the full timestamp for a stamp given in <paramref name="zone"/>.</summary>
    public DateTimeOffset Resolve(int month, int day, int hour, int minute, int second, long fractionTicks, TimeZoneInfo zone)
    {
        var reference = Reference();
        var stamp = ((((long)month * 32 + day) * 24 + hour) * 60 + minute) * 61 + second;
        ref var last = ref _last;
        if (ReferenceEquals(last.Owner, this) && last.Stamp == stamp && last.Fraction == fractionTicks && last.Reference == reference
            && ReferenceEquals(last.Zone, zone))
            return last.Time;
        var time = ResolveAgainst(reference, month, day, hour, minute, second, fractionTicks, zone);
        last = new LastResolved { Owner = this, Zone = zone, Reference = reference, Time = time, Stamp = stamp, Fraction = fractionTicks };
        return time;
    }

    private DateTimeOffset ResolveAgainst(DateTimeOffset reference, int month, int day, int hour, int minute, int second, long fractionTicks, TimeZoneInfo zone)
    {
        var start = _start;
        if (start is null || start.Reference != reference || !ReferenceEquals(start.Zone, zone))
        {
            var referenceLocal = TimeZoneInfo.ConvertTime(reference, zone);
            var first = referenceLocal.Year;
            // Near New Year a stamp slightly ahead of the clock (skew) may belong to next year: start the search there.
            if ((referenceLocal + FutureTolerance).Year > first) first++;
            _start = start = new StartYear(reference, zone, first);
        }
        var year = start.Year;
        for (var attempt = 0; attempt < 8; attempt++, year--)
        {
            // Feb 29 exists only in leap years: step back until it does.
            if (month == 2 && day == 29 && !DateTime.IsLeapYear(year)) continue;
            var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fractionTicks);
            var t = ToOffset(local, zone);
            if (t <= reference + FutureTolerance) return t;
        }
        return ToOffset(new DateTime(year, month, Math.Min(day, 28), hour, minute, second), zone);
    }

    internal static DateTimeOffset ToOffset(DateTime local, TimeZoneInfo zone)
    {
        // The digits are a wall-clock reading in the zone, whatever Kind the caller's DateTime carries
        // (DateTimeOffset.UtcDateTime of a zone-less stamp is Kind=Utc, which the constructor below rejects).
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone == TimeZoneInfo.Utc) return new DateTimeOffset(local, TimeSpan.Zero);
        // A stamp inside a DST gap does not exist: move it past the gap rather than fail.
        if (zone.IsInvalidTime(local)) local = local.AddHours(1);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}
