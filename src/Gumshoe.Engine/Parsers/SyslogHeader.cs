using System.Globalization;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers;

/// <summary>
/// The header of a syslog line as files hold it: a BSD stamp (<c>Mar  4 00:00:01</c>, year inferred) or an
/// RFC 3339 stamp (Debian's rsyslog default), then host, then <c>program[pid]:</c>. Parsed on spans, no regex.
/// </summary>
public readonly record struct SyslogHeader(DateTimeOffset Timestamp, string Host, string Program, long Pid, int MessageStart)
{
    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    /// <summary>Parses the header; false when the line does not start like a syslog line.</summary>
    public static bool TryParse(string line, ParseContext context, out SyslogHeader header)
    {
        header = default;
        var span = line.AsSpan();
        int pos;
        DateTimeOffset ts;
        if (span.Length >= 16 && char.IsAsciiLetterUpper(span[0]) && span[3] == ' ')
        {
            if (!TryBsdStamp(span, context, out ts, out pos)) return false;
        }
        else if (span.Length >= 20 && char.IsAsciiDigit(span[0]) && span[4] == '-')
        {
            var sp = span.IndexOf(' ');
            if (sp < 0 || !DateTimeOffset.TryParse(span[..sp], CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out ts)) return false;
            if (!HasOffset(span[..sp])) ts = YearInference.ToOffset(ts.UtcDateTime, context.TimeZone);
            pos = sp + 1;
        }
        else return false;

        // host
        var rest = span[pos..];
        var hostEnd = rest.IndexOf(' ');
        if (hostEnd <= 0) return false;
        var host = line.Substring(pos, hostEnd);
        pos += hostEnd + 1;
        rest = span[pos..];

        // program[pid]: — the tag ends at the first ':' followed by a space (or end of line)
        var colon = rest.IndexOf(": ");
        if (colon < 0) colon = rest.Length > 0 && rest[^1] == ':' ? rest.Length - 1 : -1;
        if (colon <= 0) return false;
        var tag = rest[..colon];
        if (tag.IndexOf(' ') >= 0) return false;
        long pid = -1;
        string program;
        var br = tag.IndexOf('[');
        if (br > 0 && tag[^1] == ']')
        {
            program = line.Substring(pos, br);
            if (!long.TryParse(tag[(br + 1)..^1], NumberStyles.None, CultureInfo.InvariantCulture, out pid)) pid = -1;
        }
        else program = line.Substring(pos, colon);
        var msgStart = pos + colon + 1;
        if (msgStart < line.Length && line[msgStart] == ' ') msgStart++;
        header = new SyslogHeader(ts, host, program, pid, msgStart);
        return true;
    }

    private static bool HasOffset(ReadOnlySpan<char> stamp)
    {
        if (stamp[^1] is 'Z' or 'z') return true;
        var t = stamp.IndexOf('T');
        return t > 0 && stamp[t..].IndexOfAny('+', '-') > 0;
    }

    private static bool TryBsdStamp(ReadOnlySpan<char> s, ParseContext context, out DateTimeOffset ts, out int pos)
    {
        ts = default;
        pos = 0;
        var month = Array.IndexOf(Months, s[..3].ToString());
        if (month < 0) return false;
        // "Mar  4" or "Mar 14"
        var i = 4;
        if (s[i] == ' ') i++;
        var day = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) day = day * 10 + (s[i++] - '0');
        if (day is < 1 or > 31 || i + 9 > s.Length || s[i] != ' ') return false;
        i++;
        if (!TwoDigits(s, i, out var hh) || s[i + 2] != ':' || !TwoDigits(s, i + 3, out var mm) || s[i + 5] != ':' || !TwoDigits(s, i + 6, out var ss)) return false;
        i += 8;
        long frac = 0;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            var scale = TimeSpan.TicksPerSecond;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { scale /= 10; frac += (s[i++] - '0') * scale; }
        }
        if (i >= s.Length || s[i] != ' ' || hh > 23 || mm > 59 || ss > 60) return false;
        if (ss == 60) ss = 59; // leap second
        try { ts = context.Years.Resolve(month + 1, day, hh, mm, ss, frac, context.TimeZone); }
        catch (ArgumentOutOfRangeException) { return false; } // Feb 31 and the like
        pos = i + 1;
        return true;
    }

    private static bool TwoDigits(ReadOnlySpan<char> s, int i, out int value)
    {
        value = 0;
        if (i + 1 >= s.Length || !char.IsAsciiDigit(s[i]) || !char.IsAsciiDigit(s[i + 1])) return false;
        value = (s[i] - '0') * 10 + (s[i + 1] - '0');
        return true;
    }

    /// <summary>Sets <c>@timestamp</c>, <c>host.name</c>, <c>process.name</c>, <c>process.pid</c> and <c>message</c>.</summary>
    public void Apply(Event e, string line)
    {
        e.Timestamp = Timestamp;
        e.Set(Ecs.HostName, FieldValue.String(Host));
        e.Set(Ecs.ProcessName, FieldValue.String(Program));
        if (Pid >= 0) e.Set(Ecs.ProcessPid, FieldValue.Long(Pid));
        e.Set(Ecs.Message, FieldValue.String(line[MessageStart..]));
    }
}
