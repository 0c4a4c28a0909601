using System.Globalization;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers;

/// <summary>The timestamp notations <see cref="TimestampParser"/> reads.</summary>
public enum TimestampFormat : byte
{
    /// <summary>RFC 3339 / ISO 8601: <c>2024-03-04T05:06:07.123+01:00</c>; zone-less stamps are in the input's zone.</summary>
    Rfc3339,
    /// <summary>Seconds since 1970 (UTC), fractions allowed: <c>1709528767.25</c>.</summary>
    Epoch,
    /// <summary>Milliseconds since 1970 (UTC), fractions allowed: <c>1709528767250</c>.</summary>
    EpochMilliseconds,
    /// <summary>BSD syslog without a year: <c>Mar  4 00:00:01</c>; the year is inferred.</summary>
    Bsd,
    /// <summary>Apache/Nginx access logs: <c>10/Oct/2000:13:55:36 -0700</c> (brackets allowed).</summary>
    Apache,
    /// <summary>An explicit .NET format string.</summary>
    Custom,
}

/// <summary>
/// Reads one timestamp notation into a UTC-comparable <see cref="DateTimeOffset"/>. The fixed notations are parsed on
/// spans by hand (no culture lookups, no allocation); custom .NET formats go through <c>TryParseExact</c>.
/// </summary>
public sealed class TimestampParser
{
    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    private readonly string? _custom;
    private readonly bool _customHasZone;
    private readonly bool _customHasYear;

    private TimestampParser(TimestampFormat format, string? custom)
    {
        Format = format;
        _custom = custom;
        if (custom is not null)
        {
            var letters = FormatLetters(custom);
            _customHasZone = letters.Contains('z') || letters.Contains('K');
            _customHasYear = letters.Contains('y');
        }
    }

    /// <summary>The notation read.</summary>
    public TimestampFormat Format { get; }

    /// <summary>The .NET format string of a <see cref="TimestampFormat.Custom"/> parser.</summary>
    public string? CustomFormat => _custom;

    public static readonly TimestampParser Rfc3339 = new(TimestampFormat.Rfc3339, null);
    public static readonly TimestampParser Epoch = new(TimestampFormat.Epoch, null);
    public static readonly TimestampParser EpochMilliseconds = new(TimestampFormat.EpochMilliseconds, null);
    public static readonly TimestampParser Bsd = new(TimestampFormat.Bsd, null);
    public static readonly TimestampParser Apache = new(TimestampFormat.Apache, null);

    /// <summary>
    /// The parser for a configured format name: <c>rfc3339</c> (also <c>iso8601</c>), <c>epoch</c>, <c>epoch_ms</c>,
    /// <c>bsd</c> (also <c>syslog</c>), <c>apache</c>; anything else is taken as a .NET custom format string.
    /// </summary>
    public static TimestampParser For(string format) => format.ToLowerInvariant() switch
    {
        "rfc3339" or "iso8601" => Rfc3339,
        "epoch" or "unix" => Epoch,
        "epoch_ms" or "unix_ms" => EpochMilliseconds,
        "bsd" or "syslog" => Bsd,
        "apache" or "httpdate" => Apache,
        _ => Custom(format),
    };

    /// <summary>A parser for an explicit .NET format; throws <see cref="FormatException"/> when the format is unusable.</summary>
    public static TimestampParser Custom(string format)
    {
        if (string.IsNullOrWhiteSpace(format)) throw new FormatException("empty timestamp format");
        // A format .NET rejects outright ("%") throws here, at configuration time, rather than on every line.
        _ = new DateTime(2000, 1, 2, 3, 4, 5, DateTimeKind.Utc).ToString(format, CultureInfo.InvariantCulture);
        return new TimestampParser(TimestampFormat.Custom, format);
    }

    /// <summary>Parses a stamp; zone-less stamps are placed in <see cref="ParseContext.TimeZone"/>.</summary>
    public bool TryParse(ReadOnlySpan<char> text, ParseContext context, out DateTimeOffset value)
    {
        text = text.Trim();
        return Format switch
        {
            TimestampFormat.Rfc3339 => TryParseRfc3339(text, context.TimeZone, out value),
            TimestampFormat.Epoch => TryParseEpoch(text, TimeSpan.TicksPerSecond, out value),
            TimestampFormat.EpochMilliseconds => TryParseEpoch(text, TimeSpan.TicksPerMillisecond, out value),
            TimestampFormat.Bsd => TryParseBsd(text, context, out value),
            TimestampFormat.Apache => TryParseApache(text, out value),
            _ => TryParseCustom(text, context, out value),
        };
    }

    /// <summary>
    /// RFC 3339 and the common ISO 8601 extended forms: <c>T</c> or a space between date and time, optional seconds
    /// and fraction (<c>.</c> or <c>,</c>), and <c>Z</c>, <c>±HH:MM</c>, <c>±HHMM</c> or <c>±HH</c> as offset.
    /// </summary>
    public static bool TryParseRfc3339(ReadOnlySpan<char> s, TimeZoneInfo zone, out DateTimeOffset value)
    {
        value = default;
        if (s.Length < 10 || s[4] != '-' || s[7] != '-') return false;
        if (!Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day)) return false;
        int hour = 0, minute = 0, second = 0;
        long frac = 0;
        var i = 10;
        if (i < s.Length)
        {
            if (s[i] is not ('T' or 't' or ' ')) return false;
            i++;
            if (!Digits(s, i, 2, out hour) || i + 2 >= s.Length || s[i + 2] != ':' || !Digits(s, i + 3, 2, out minute)) return false;
            i += 5;
            if (i < s.Length && s[i] == ':')
            {
                if (!Digits(s, i + 1, 2, out second)) return false;
                i += 3;
                if (i < s.Length && s[i] is '.' or ',')
                {
                    i++;
                    if (!Fraction(s, ref i, TimeSpan.TicksPerSecond, out frac)) return false;
                }
            }
        }
        TimeSpan? offset = null;
        if (i < s.Length)
        {
            if (s[i] is 'Z' or 'z') { offset = TimeSpan.Zero; i++; }
            else if (s[i] is '+' or '-')
            {
                var sign = s[i] == '-' ? -1 : 1;
                i++;
                if (!Digits(s, i, 2, out var oh)) return false;
                i += 2;
                var om = 0;
                if (i < s.Length && s[i] == ':') i++;
                if (i < s.Length)
                {
                    if (!Digits(s, i, 2, out om)) return false;
                    i += 2;
                }
                if (oh > 14 || om > 59) return false;
                offset = sign * new TimeSpan(oh, om, 0);
            }
            if (i != s.Length) return false;
        }
        if (second == 60) second = 59; // leap second
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), month) || hour > 23 || minute > 59 || second > 59 || year < 1) return false;
        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(frac);
        try
        {
            value = offset is { } o ? new DateTimeOffset(local, o) : YearInference.ToOffset(local, zone);
        }
        catch (ArgumentOutOfRangeException) { return false; } // beyond year 9999 once the offset is applied
        return true;
    }

    private static bool TryParseEpoch(ReadOnlySpan<char> s, long ticksPerUnit, out DateTimeOffset value)
    {
        value = default;
        if (s.IsEmpty) return false;
        var negative = s[0] == '-';
        if (negative) s = s[1..];
        var dot = s.IndexOf('.');
        var whole = dot < 0 ? s : s[..dot];
        if (whole.IsEmpty || whole.Length > 18 || !long.TryParse(whole, NumberStyles.None, CultureInfo.InvariantCulture, out var units)) return false;
        long frac = 0;
        if (dot >= 0)
        {
            var i = dot + 1;
            if (!Fraction(s, ref i, ticksPerUnit, out frac) || i != s.Length) return false;
        }
        // Overflow of units * ticksPerUnit is caught by the range check: no real stamp is that far out.
        if (units > DateTimeOffset.MaxValue.UtcTicks / ticksPerUnit) return false;
        var ticks = units * ticksPerUnit + frac;
        if (negative) ticks = -ticks;
        var t = DateTimeOffset.UnixEpoch.UtcTicks + ticks;
        if (t < DateTimeOffset.MinValue.UtcTicks || t > DateTimeOffset.MaxValue.UtcTicks) return false;
        value = new DateTimeOffset(t, TimeSpan.Zero);
        return true;
    }

    // "Mar  4 00:00:01", "Mar 14 00:00:01.123"
    private static bool TryParseBsd(ReadOnlySpan<char> s, ParseContext context, out DateTimeOffset value)
    {
        value = default;
        if (s.Length < 14 || s[3] != ' ') return false;
        var month = MonthIndex(s[..3]);
        if (month < 0) return false;
        var i = 4;
        while (i < s.Length && s[i] == ' ') i++;
        var day = 0;
        var start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]) && i - start < 2) day = day * 10 + (s[i++] - '0');
        if (i == start || i >= s.Length || s[i] != ' ') return false;
        i++;
        if (!Clock(s, ref i, out var hh, out var mm, out var ss, out var frac) || i != s.Length) return false;
        if (day is < 1 or > 31) return false;
        try
        {
            value = context.Years.Resolve(month + 1, day, hh, mm, ss, frac, context.TimeZone);
        }
        catch (ArgumentOutOfRangeException) { return false; } // Feb 31 and the like
        return true;
    }

    // "10/Oct/2000:13:55:36 -0700", optionally in brackets
    private static bool TryParseApache(ReadOnlySpan<char> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length > 0 && s[0] == '[' && s[^1] == ']') s = s[1..^1];
        if (s.Length < 26 || s[2] != '/' || s[6] != '/' || s[11] != ':') return false;
        var month = MonthIndex(s[3..6]);
        if (month < 0 || !Digits(s, 0, 2, out var day) || !Digits(s, 7, 4, out var year)) return false;
        var i = 12;
        if (!Clock(s, ref i, out var hh, out var mm, out var ss, out var frac)) return false;
        if (i + 6 != s.Length || s[i] != ' ' || s[i + 1] is not ('+' or '-')) return false;
        if (!Digits(s, i + 2, 2, out var oh) || !Digits(s, i + 4, 2, out var om) || oh > 14 || om > 59) return false;
        if (day < 1 || day > DateTime.DaysInMonth(year, month + 1) || year < 1) return false;
        var offset = new TimeSpan(oh, om, 0);
        if (s[i + 1] == '-') offset = -offset;
        try
        {
            value = new DateTimeOffset(new DateTime(year, month + 1, day, hh, mm, ss).AddTicks(frac), offset);
        }
        catch (ArgumentOutOfRangeException) { return false; }
        return true;
    }

    private bool TryParseCustom(ReadOnlySpan<char> s, ParseContext context, out DateTimeOffset value)
    {
        value = default;
        if (_customHasZone)
            return DateTimeOffset.TryParseExact(s, _custom, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out value);
        if (!DateTime.TryParseExact(s, _custom, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var local)) return false;
        if (!_customHasYear)
        {
            // A year-less format: place it like a BSD syslog stamp rather than in the current year.
            try
            {
                value = context.Years.Resolve(local.Month, local.Day, local.Hour, local.Minute, local.Second, local.Ticks % TimeSpan.TicksPerSecond, context.TimeZone);
            }
            catch (ArgumentOutOfRangeException) { return false; }
            return true;
        }
        value = YearInference.ToOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), context.TimeZone);
        return true;
    }

    // The pattern letters of a .NET custom format, without quoted or escaped literal text.
    private static string FormatLetters(string format)
    {
        var letters = new System.Text.StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c == '\\') { i++; continue; }
            if (c is '\'' or '"')
            {
                var end = format.IndexOf(c, i + 1);
                i = end < 0 ? format.Length : end;
                continue;
            }
            letters.Append(c);
        }
        return letters.ToString();
    }

    private static int MonthIndex(ReadOnlySpan<char> name)
    {
        for (var m = 0; m < Months.Length; m++)
            if (name.Equals(Months[m], StringComparison.OrdinalIgnoreCase)) return m;
        return -1;
    }

    // "HH:mm:ss[.fff]"
    private static bool Clock(ReadOnlySpan<char> s, ref int i, out int hh, out int mm, out int ss, out long frac)
    {
        frac = 0;
        mm = ss = 0;
        if (!Digits(s, i, 2, out hh) || i + 2 >= s.Length || s[i + 2] != ':' || !Digits(s, i + 3, 2, out mm)
            || i + 5 >= s.Length || s[i + 5] != ':' || !Digits(s, i + 6, 2, out ss)) return false;
        i += 8;
        if (i < s.Length && s[i] is '.' or ',')
        {
            i++;
            if (!Fraction(s, ref i, TimeSpan.TicksPerSecond, out frac)) return false;
        }
        if (ss == 60) ss = 59; // leap second
        return hh <= 23 && mm <= 59 && ss <= 59;
    }

    // Decimal digits after a point, as ticks of a unit that lasts ticksPerUnit; digits beyond tick precision are ignored.
    private static bool Fraction(ReadOnlySpan<char> s, ref int i, long ticksPerUnit, out long ticks)
    {
        ticks = 0;
        var start = i;
        decimal scale = ticksPerUnit;
        decimal sum = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            scale /= 10;
            if (i - start < 20) sum += (s[i] - '0') * scale;
            i++;
        }
        ticks = (long)sum;
        return i > start;
    }

    private static bool Digits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        if (start < 0 || start + count > s.Length) return false;
        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(s[i])) return false;
            value = value * 10 + (s[i] - '0');
        }
        return true;
    }
}

/// <summary>
/// The <c>timestamp: {field: NAME, format: …}</c> option of the generic parsers: which field holds the event time and
/// how it is written.
/// </summary>
public sealed class TimestampField(string field, TimestampParser parser)
{
    /// <summary>The field read.</summary>
    public string Field { get; } = field;

    /// <summary>How the field is parsed.</summary>
    public TimestampParser Parser { get; } = parser;

    /// <summary>Reads the <c>timestamp</c> key of a parser's options, or null when absent.</summary>
    public static TimestampField? FromConfig(ConfigNode parent, string defaultFormat = "rfc3339")
    {
        if (parent.Get("timestamp") is not { IsNull: false } node) return null;
        var field = node.Required("field").AsString();
        var formatNode = node.Get("format");
        var format = formatNode is { IsNull: false } ? formatNode.AsString() : defaultFormat;
        TimestampParser parser;
        try { parser = TimestampParser.For(format); }
        catch (FormatException ex) { throw (formatNode ?? node).Error($"bad timestamp format '{format}': {ex.Message}"); }
        node.EnsureNoUnknownKeys("timestamp");
        return new TimestampField(field, parser);
    }

    /// <summary>
    /// Sets <see cref="Event.Timestamp"/> from the field; a missing field keeps the event's fallback time, an
    /// unreadable one is a failure.
    /// </summary>
    public ParseOutcome Apply(Event e, ParseContext context)
    {
        if (!e.TryGet(Field, out var v) || v.IsNull) return ParseOutcome.Matched;
        if (v.Kind == FieldKind.Timestamp) { e.Timestamp = v.AsTimestamp(); return ParseOutcome.Matched; }
        if (v.IsNumber && Parser.Format is TimestampFormat.Epoch or TimestampFormat.EpochMilliseconds && v.Kind == FieldKind.Long)
        {
            var unit = Parser.Format == TimestampFormat.Epoch ? TimeSpan.TicksPerSecond : TimeSpan.TicksPerMillisecond;
            var units = v.AsLong();
            if (Math.Abs(units) <= DateTimeOffset.MaxValue.UtcTicks / unit)
            {
                var t = DateTimeOffset.UnixEpoch.UtcTicks + units * unit;
                if (t >= 0 && t <= DateTimeOffset.MaxValue.UtcTicks) { e.Timestamp = new DateTimeOffset(t, TimeSpan.Zero); return ParseOutcome.Matched; }
            }
        }
        var text = v.ToString();
        if (!Parser.TryParse(text, context, out var ts)) return ParseOutcome.Failed($"bad timestamp in {Field}: {text}");
        e.Timestamp = ts;
        return ParseOutcome.Matched;
    }
}
