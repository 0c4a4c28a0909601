using Gumshoe.Engine.Parsers;
using static Gumshoe.Engine.Tests.Parsers.ParserTestKit;

namespace Gumshoe.Engine.Tests.Parsers.Time;

public class TimestampParserTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static DateTimeOffset Parse(string format, string text, TimeZoneInfo? zone = null)
    {
        Assert.True(TimestampParser.For(format).TryParse(text, Context(zone), out var t), $"{format} should read '{text}'");
        return t;
    }

    private static DateTimeOffset Utc(int y, int mo, int d, int h, int mi, int s, int ms = 0) => new DateTimeOffset(y, mo, d, h, mi, s, TimeSpan.Zero).AddMilliseconds(ms);

    [Theory]
    [InlineData("2024-03-04T05:06:07Z")]
    [InlineData("2024-03-04T06:06:07+01:00")]
    [InlineData("2024-03-04T06:06:07+0100")]
    [InlineData("2024-03-04T06:06:07+01")]
    [InlineData("2024-03-04 00:06:07-05:00")]
    [InlineData("2024-03-04t05:06:07z")]
    public void Rfc3339StampsWithAnOffsetAreExact(string text) => Assert.Equal(Utc(2024, 3, 4, 5, 6, 7), Parse("rfc3339", text, Berlin));

    [Fact]
    public void FractionsAreKeptToTheTick()
    {
        Assert.Equal(Utc(2024, 3, 4, 5, 6, 7).AddTicks(1234567), Parse("rfc3339", "2024-03-04T05:06:07.123456789Z"));
        Assert.Equal(Utc(2024, 3, 4, 5, 6, 7, 500), Parse("iso8601", "2024-03-04T05:06:07,5Z"));
    }

    [Fact]
    public void ZoneLessStampsAreReadInTheInputsTimeZone()
    {
        Assert.Equal(Utc(2024, 1, 15, 11, 0, 0), Parse("rfc3339", "2024-01-15T12:00:00", Berlin)); // CET, +1
        Assert.Equal(Utc(2024, 7, 15, 10, 0, 0), Parse("rfc3339", "2024-07-15 12:00:00", Berlin)); // CEST, +2
        Assert.Equal(Utc(2024, 7, 15, 12, 0, 0), Parse("rfc3339", "2024-07-15T12:00:00"));
    }

    [Theory]
    [InlineData("2024-13-01T00:00:00Z")]
    [InlineData("2023-02-29T00:00:00Z")]
    [InlineData("2024-03-04T25:00:00Z")]
    [InlineData("2024-03-04T05:06:07+01:00 trailing")]
    [InlineData("yesterday")]
    [InlineData("")]
    public void MalformedRfc3339StampsAreRejected(string text) =>
        Assert.False(TimestampParser.Rfc3339.TryParse(text, Context(), out _));

    [Fact]
    public void EpochSecondsAndMillisecondsKeepTheirFractions()
    {
        Assert.Equal(Utc(2024, 3, 4, 5, 6, 7), Parse("epoch", "1709528767"));
        Assert.Equal(Utc(2024, 3, 4, 5, 6, 7, 250), Parse("epoch", "1709528767.25"));
        Assert.Equal(Utc(2024, 3, 4, 5, 6, 7, 250), Parse("epoch_ms", "1709528767250"));
        Assert.Equal(Utc(2024, 3, 4, 5, 6, 7, 250).AddTicks(5000), Parse("epoch_ms", "1709528767250.5"));
        Assert.False(TimestampParser.Epoch.TryParse("17095x", Context(), out _));
        Assert.False(TimestampParser.Epoch.TryParse("99999999999999999", Context(), out _));
    }

    [Fact]
    public void BsdStampsGetTheirYearFromTheReference()
    {
        Assert.Equal(Utc(2024, 3, 4, 0, 0, 1), Parse("bsd", "Mar  4 00:00:01"));
        Assert.Equal(Utc(2024, 3, 14, 0, 0, 1, 123), Parse("bsd", "Mar 14 00:00:01.123"));
        // December is more than two days after the June reference: last year's
        Assert.Equal(Utc(2023, 12, 31, 23, 59, 59), Parse("bsd", "Dec 31 23:59:59"));
        Assert.False(TimestampParser.Bsd.TryParse("Foo  4 00:00:01", Context(), out _));
    }

    [Fact]
    public void ApacheStampsCarryTheirOffset()
    {
        Assert.Equal(Utc(2000, 10, 10, 20, 55, 36), Parse("apache", "10/Oct/2000:13:55:36 -0700"));
        Assert.Equal(Utc(2000, 10, 10, 20, 55, 36), Parse("apache", "[10/Oct/2000:13:55:36 -0700]"));
        Assert.False(TimestampParser.Apache.TryParse("10/Foo/2000:13:55:36 -0700", Context(), out _));
        Assert.False(TimestampParser.Apache.TryParse("31/Feb/2000:13:55:36 -0700", Context(), out _));
    }

    [Fact]
    public void CustomFormatsUseTheZoneWhenTheyHaveNone()
    {
        Assert.Equal(Utc(2024, 3, 4, 4, 6, 7), Parse("dd.MM.yyyy HH:mm:ss", "04.03.2024 05:06:07", Berlin));
        Assert.Equal(Utc(2024, 3, 4, 3, 6, 7), Parse("dd.MM.yyyy HH:mm:ss zzz", "04.03.2024 05:06:07 +02:00", Berlin));
        // a year-less custom format is placed like a syslog stamp
        Assert.Equal(Utc(2023, 12, 30, 10, 0, 0), Parse("MMM d HH:mm:ss", "Dec 30 10:00:00"));
        Assert.False(TimestampParser.For("yyyy/MM/dd").TryParse("2024-03-04", Context(), out _));
    }

    [Fact]
    public void ATimestampOptionSetsTheEventTimeAndABadStampFailsTheLine()
    {
        var parser = Build("""
            name: app
            type: regex
            pattern: '^(?<ts>\S+) (?<message>.*)$'
            timestamp: {field: ts, format: epoch}
            """);
        var (ok, e) = Run(parser, "1709528767.5 hello");
        Assert.Equal(ParseStatus.Matched, ok.Status);
        Assert.Equal(Utc(2024, 3, 4, 5, 6, 7, 500), e.Timestamp);

        var (bad, _) = Run(parser, "notatime hello");
        Assert.Equal(ParseOutcome.Failed("bad timestamp in ts: notatime"), bad);
    }

    [Fact]
    public void AnUnusableCustomFormatIsAConfigError()
    {
        var ex = Assert.Throws<Gumshoe.Engine.Config.ConfigException>(() => Build("""
            name: app
            type: regex
            pattern: '(?<ts>\S+)'
            timestamp: {field: ts, format: "%"}
            """));
        Assert.Contains("bad timestamp format", ex.Message);
    }
}
