using System.Globalization;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers;

/// <summary>
/// The header of a syslog line as files hold it: a BSD stamp (<c>Mar  4 00:00:01</c>, year inferred) or an
/// RFC 3339 stamp (Debian's rsyslog default), then host, then <c>program[pid]:</c>. Parsed on spans, no regex.
/// Messages as sent over the network are understood too: an optional leading <c>&lt;PRI&gt;</c> (facility and
/// severity), the RFC 3164 form (host or tag may be missing) and RFC 5424 (see <see cref="Syslog5424"/>).
/// </summary>
public readonly record struct SyslogHeader(DateTimeOffset Timestamp, string Host, string Program, long Pid, int MessageStart)
{
    // ECS and syslog field names Apply sets beyond the common ones: the instances rules use too (see FieldNames)
    public static readonly string FacilityCodeField = FieldNames.Intern("log.syslog.facility.code");
    public static readonly string FacilityNameField = FieldNames.Intern("log.syslog.facility.name");
    public static readonly string SeverityCodeField = FieldNames.Intern("log.syslog.severity.code");
    public static readonly string SeverityNameField = FieldNames.Intern("log.syslog.severity.name");
    public static readonly string PriorityField = FieldNames.Intern("log.syslog.priority");
    public static readonly string MsgIdField = FieldNames.Intern("log.syslog.msgid");
    public static readonly string StructuredDataField = FieldNames.Intern("log.syslog.structured_data");

    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    private static readonly string[] Facilities =
        ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
         "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"];
    private static readonly string[] Severities = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

    /// <summary>Facility from a leading <c>&lt;PRI&gt;</c> (0–23), or -1 without one.</summary>
    public int Facility { get; init; } = -1;

    /// <summary>Severity from a leading <c>&lt;PRI&gt;</c> (0 emergency – 7 debug), or -1 without one.</summary>
    public int Severity { get; init; } = -1;

    /// <summary>RFC 5424 MSGID, null when absent or <c>-</c>.</summary>
    public string? MsgId { get; init; }

    /// <summary>RFC 5424 STRUCTURED-DATA as sent (<c>[id k="v"][id2 …]</c>), null when absent or <c>-</c>.</summary>
    public string? StructuredData { get; init; }

    /// <summary>Parses the header; false when the line does not start like a syslog line.</summary>
    public static bool TryParse(string line, ParseContext context, out SyslogHeader header)
    {
        header = default;
        var span = line.AsSpan();
        var start = 0;
        var pri = -1;
        if (span.Length > 3 && span[0] == '<')
        {
            if (!TryPri(span, out pri, out start)) return false;
            // RFC 5424 has a VERSION (1, perhaps 2 digits) right after the PRI; RFC 3164 goes on with the stamp
            var v = start;
            while (v < span.Length && v - start < 2 && char.IsAsciiDigit(span[v])) v++;
            if (v > start && v < span.Length && span[v] == ' ' && span[start] != '0')
                return Syslog5424.TryParse(line, start, pri, context, out header);
        }
        var body = span[start..];
        int pos;
        DateTimeOffset ts;
        if (body.Length >= 16 && char.IsAsciiLetterUpper(body[0]) && body[3] == ' ')
        {
            if (!TryBsdStamp(body, context, out ts, out pos)) return false;
        }
        else if (body.Length >= 20 && char.IsAsciiDigit(body[0]) && body[4] == '-')
        {
            var sp = body.IndexOf(' ');
            if (sp < 0 || !DateTimeOffset.TryParse(body[..sp], CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out ts)) return false;
            if (!HasOffset(body[..sp])) ts = YearInference.ToOffset(ts.UtcDateTime, context.TimeZone);
            pos = sp + 1;
        }
        else return false;
        pos += start;
        var hasPri = pri >= 0;

        // host — a sender may leave it out and go on with the tag (only trusted when a PRI marks a network message)
        var rest = span[pos..];
        var hostEnd = rest.IndexOf(' ');
        string host;
        if (hasPri && (hostEnd < 0 ? rest : rest[..hostEnd]) is { Length: > 1 } first && first[^1] == ':')
        {
            host = "";
        }
        else
        {
            if (hostEnd <= 0) return false;
            host = Reused(rest[..hostEnd], ref _lastHost);
            pos += hostEnd + 1;
            rest = span[pos..];
        }

        // program[pid]: — the tag ends at the first ':' followed by a space (or end of line)
        var colon = rest.IndexOf(": ");
        if (colon < 0) colon = rest.Length > 0 && rest[^1] == ':' ? rest.Length - 1 : -1;
        if (colon <= 0 || rest[..colon].IndexOf(' ') >= 0)
        {
            if (!hasPri) return false;
            // a network message without a tag: all of it is message
            header = new SyslogHeader(ts, host, "", -1, pos) { Facility = pri / 8, Severity = pri % 8 };
            return true;
        }
        var tag = rest[..colon];
        long pid = -1;
        string program;
        var br = tag.IndexOf('[');
        if (br > 0 && tag[^1] == ']')
        {
            program = Reused(tag[..br], ref _lastProgram);
            if (!long.TryParse(tag[(br + 1)..^1], NumberStyles.None, CultureInfo.InvariantCulture, out pid)) pid = -1;
        }
        else program = Reused(tag, ref _lastProgram);
        var msgStart = pos + colon + 1;
        if (msgStart < line.Length && line[msgStart] == ' ') msgStart++;
        header = new SyslogHeader(ts, host, program, pid, msgStart);
        if (hasPri) header = header with { Facility = pri / 8, Severity = pri % 8 };
        return true;
    }

    // Lines of a log mostly repeat the host and program of the line before: the same string is handed out again
    // rather than a new one per line (per thread, as parsers run on several).
    [ThreadStatic] private static string? _lastHost, _lastProgram;

    private static string Reused(ReadOnlySpan<char> text, ref string? last)
    {
        if (last is not null && text.SequenceEqual(last)) return last;
        return last = text.ToString();
    }

    // <PRI>: one to three digits, at most 191 (facility 23, severity 7), no leading zero but "<0>".
    private static bool TryPri(ReadOnlySpan<char> s, out int pri, out int end)
    {
        pri = 0;
        end = 0;
        var i = 1;
        while (i < s.Length && i <= 4 && char.IsAsciiDigit(s[i])) pri = pri * 10 + (s[i++] - '0');
        if (i == 1 || i > 4 || i >= s.Length || s[i] != '>' || pri > 191 || (s[1] == '0' && i > 2)) return false;
        end = i + 1;
        return true;
    }

    private static bool HasOffset(ReadOnlySpan<char> stamp)
    {
        if (stamp[^1] is 'Z' or 'z') return true;
        var t = stamp.IndexOf('T');
        return t > 0 && stamp[t..].IndexOfAny('+', '-') > 0;
    }

    internal static bool TryBsdStamp(ReadOnlySpan<char> s, ParseContext context, out DateTimeOffset ts, out int pos)
    {
        ts = default;
        pos = 0;
        var month = 0;
        while (month < Months.Length && !s[..3].SequenceEqual(Months[month])) month++;
        if (month == Months.Length) return false;
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

    /// <summary>
    /// Sets <c>@timestamp</c> (when the line has one), <c>host.name</c>, <c>process.name</c>, <c>process.pid</c> and
    /// <c>message</c>, and the <c>log.syslog.*</c> fields a network message carries (facility, severity, priority,
    /// msgid, structured data).
    /// </summary>
    public void Apply(Event e, string line)
    {
        if (Timestamp != default) e.Timestamp = Timestamp;
        if (Host.Length > 0) e.Set(Ecs.HostName, FieldValue.String(Host));
        if (Program.Length > 0) e.Set(Ecs.ProcessName, FieldValue.String(Program));
        if (Pid >= 0) e.Set(Ecs.ProcessPid, FieldValue.Long(Pid));
        e.Set(Ecs.Message, FieldValue.String(line[MessageStart..]));
        if (Facility >= 0)
        {
            e.Set(FacilityCodeField, FieldValue.Long(Facility));
            e.Set(FacilityNameField, FieldValue.String(Facilities[Facility]));
        }
        if (Severity >= 0)
        {
            e.Set(SeverityCodeField, FieldValue.Long(Severity));
            e.Set(SeverityNameField, FieldValue.String(Severities[Severity]));
            if (Facility >= 0) e.Set(PriorityField, FieldValue.Long(Facility * 8 + Severity));
        }
        if (MsgId is not null) e.Set(MsgIdField, FieldValue.String(MsgId));
        if (StructuredData is not null) e.Set(StructuredDataField, FieldValue.String(StructuredData));
    }
}
