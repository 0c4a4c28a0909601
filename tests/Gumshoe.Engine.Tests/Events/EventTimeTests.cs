using System.Globalization;
using System.Text;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Tests.Events;

public sealed class EventTimeTests
{
    // what EventTime wrote before its fast path: the pattern is the definition
    private static string ByPattern(DateTimeOffset t) =>
        t.UtcDateTime.ToString(t.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("2026-03-01T00:00:07Z", "2026-03-01T00:00:07Z")]
    [InlineData("2026-03-01T00:00:07.250Z", "2026-03-01T00:00:07.25Z")]
    [InlineData("2026-03-01T01:00:07.0000001+01:00", "2026-03-01T00:00:07.0000001Z")]
    [InlineData("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59.9999999Z")]
    public void Times_are_RFC_3339_in_UTC_with_the_fraction_they_have(string input, string expected)
    {
        var t = DateTimeOffset.Parse(input, CultureInfo.InvariantCulture);
        Assert.Equal(expected, EventTime.Format(t));
        Span<byte> utf8 = stackalloc byte[EventTime.MaxLength];
        Assert.True(EventTime.TryFormat(t, utf8, out var n));
        Assert.Equal(expected, Encoding.UTF8.GetString(utf8[..n]));
    }

    [Fact]
    public void The_fast_path_writes_what_the_pattern_writes()
    {
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var ticks = random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks);
            if (i % 3 == 0) ticks -= ticks % TimeSpan.TicksPerSecond;
            else if (i % 3 == 1) ticks -= ticks % TimeSpan.TicksPerMillisecond;
            var t = new DateTimeOffset(ticks, TimeSpan.Zero);
            Assert.Equal(ByPattern(t), EventTime.Format(t));
        }
    }

    [Fact]
    public void A_short_destination_is_refused()
    {
        Span<byte> small = stackalloc byte[10];
        Assert.False(EventTime.TryFormat(DateTimeOffset.UnixEpoch, small, out _));
    }
}
