using Gumshoe.Engine.Parsers;
using static Gumshoe.Engine.Tests.Parsers.ParserTestKit;

namespace Gumshoe.Engine.Tests.Parsers.Time;

public class YearInferenceTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static DateTimeOffset Bsd(string stamp, DateTimeOffset reference, TimeZoneInfo? zone = null)
    {
        Assert.True(TimestampParser.Bsd.TryParse(stamp, Context(zone, reference), out var t));
        return t;
    }

    [Fact]
    public void LinesAcrossNewYearGetConsecutiveYears()
    {
        var reference = new DateTimeOffset(2025, 1, 1, 0, 30, 0, TimeSpan.Zero);
        var before = Bsd("Dec 31 23:59:58", reference);
        var after = Bsd("Jan  1 00:00:03", reference);
        Assert.Equal(2024, before.Year);
        Assert.Equal(2025, after.Year);
        Assert.Equal(TimeSpan.FromSeconds(5), after - before);
    }

    [Fact]
    public void ASyslogHeaderAcrossNewYearAlsoGetsConsecutiveYears()
    {
        var context = Context(reference: new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero));
        Assert.True(SyslogHeader.TryParse("Dec 31 23:59:59 host sshd[1]: a", context, out var dec));
        Assert.True(SyslogHeader.TryParse("Jan  1 00:00:00 host sshd[1]: b", context, out var jan));
        Assert.Equal(TimeSpan.FromSeconds(1), jan.Timestamp - dec.Timestamp);
    }

    [Fact]
    public void AStampSlightlyAheadOfTheClockStaysInTheCurrentYear()
    {
        // clock skew: Jan 2 logged while the reference still says Dec 31
        var reference = new DateTimeOffset(2024, 12, 31, 23, 0, 0, TimeSpan.Zero);
        Assert.Equal(2025, Bsd("Jan  1 10:00:00", reference).Year);
        Assert.Equal(2024, Bsd("Jan  5 10:00:00", reference).Year);
    }

    [Fact]
    public void Feb29LandsInTheLatestLeapYear()
    {
        Assert.Equal(new DateTimeOffset(2024, 2, 29, 12, 0, 0, TimeSpan.Zero), Bsd("Feb 29 12:00:00", new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateTimeOffset(2024, 2, 29, 12, 0, 0, TimeSpan.Zero), Bsd("Feb 29 12:00:00", new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateTimeOffset(2020, 2, 29, 12, 0, 0, TimeSpan.Zero), Bsd("Feb 29 12:00:00", new DateTimeOffset(2024, 2, 1, 0, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void EuropeBerlinStampsFollowDaylightSavingTime()
    {
        var reference = new DateTimeOffset(2024, 12, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromHours(1), Bsd("Jan 15 12:00:00", reference, Berlin).Offset);
        Assert.Equal(TimeSpan.FromHours(2), Bsd("Jul 15 12:00:00", reference, Berlin).Offset);
        Assert.Equal(new DateTimeOffset(2024, 7, 15, 10, 0, 0, TimeSpan.Zero), Bsd("Jul 15 12:00:00", reference, Berlin).ToUniversalTime());
        // 02:30 on the last Sunday of March does not exist in Berlin: moved past the gap, not rejected
        var gap = Bsd("Mar 31 02:30:00", reference, Berlin);
        Assert.Equal(new DateTimeOffset(2024, 3, 31, 1, 30, 0, TimeSpan.Zero), gap.ToUniversalTime());
    }

    [Fact]
    public void TheYearIsTakenInTheInputsZoneNotInUtc()
    {
        // 23:30 UTC on Dec 31 is already Jan 1 in Berlin: a Jan 1 stamp belongs to the new year
        var reference = new DateTimeOffset(2024, 12, 31, 23, 30, 0, TimeSpan.Zero);
        Assert.Equal(2025, Bsd("Jan  1 00:15:00", reference, Berlin).Year);
    }

    [Fact]
    public void Rfc3339StampsWithOffsetsIgnoreTheInputZoneAndTheReference()
    {
        var context = Context(Berlin, new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.True(TimestampParser.Rfc3339.TryParse("2024-12-31T23:59:59-08:00", context, out var t));
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 7, 59, 59, TimeSpan.Zero), t.ToUniversalTime());
        Assert.True(SyslogHeader.TryParse("2024-07-01T10:00:00+05:30 host app: x", context, out var h));
        Assert.Equal(new DateTimeOffset(2024, 7, 1, 4, 30, 0, TimeSpan.Zero), h.Timestamp.ToUniversalTime());
        Assert.True(SyslogHeader.TryParse("2024-07-01T10:00:00 host app: x", context, out var zoneless));
        Assert.Equal(new DateTimeOffset(2024, 7, 1, 8, 0, 0, TimeSpan.Zero), zoneless.Timestamp.ToUniversalTime());
    }
}
