using System.Globalization;

namespace Gumshoe.Engine.Parsers;

/// <summary>
/// The RFC 5424 header after the PRI: <c>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]</c>,
/// with <c>-</c> for absent values and an optional UTF-8 BOM before the message. Parsed on spans, no regex.
/// </summary>
public static class Syslog5424
{
    /// <summary>
    /// Parses from <paramref name="start"/> (just past <c>&lt;PRI&gt;</c>); APP-NAME becomes the program, a numeric
    /// PROCID the pid. A missing timestamp leaves <see cref="SyslogHeader.Timestamp"/> at its default.
    /// </summary>
    public static bool TryParse(string line, int start, int pri, ParseContext context, out SyslogHeader header)
    {
        header = default;
        var s = line.AsSpan();
        var pos = start;
        if (!Token(s, ref pos, out _)) return false; // VERSION, checked by the caller

        if (!Token(s, ref pos, out var stamp)) return false;
        DateTimeOffset ts = default;
        if (!IsNil(stamp))
        {
            if (stamp.IndexOf('T') < 0 || !DateTimeOffset.TryParse(stamp, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out ts)) return false;
            if (!HasOffset(stamp)) ts = YearInference.ToOffset(ts.UtcDateTime, context.TimeZone);
        }

        if (!Token(s, ref pos, out var host)) return false;
        var hostStart = pos - host.Length - 1;
        if (!Token(s, ref pos, out var app)) return false;
        var appStart = pos - app.Length - 1;
        if (!Token(s, ref pos, out var procId)) return false;
        // MSGID may end the line: no structured data, no message
        var msgIdStart = pos;
        if (!Token(s, ref pos, out var msgId) && msgId.IsEmpty) return false;

        string? sd = null;
        if (pos < s.Length)
        {
            if (s[pos] == '-') pos++;
            else if (s[pos] == '[')
            {
                var sdStart = pos;
                if (!SkipStructuredData(s, ref pos)) return false;
                sd = line[sdStart..pos];
            }
            else return false;
            if (pos < s.Length)
            {
                if (s[pos] != ' ') return false;
                pos++;
            }
        }
        if (pos < s.Length && s[pos] == '\uFEFF') pos++; // the BOM announcing a UTF-8 message

        long pid = -1;
        if (!IsNil(procId) && !long.TryParse(procId, NumberStyles.None, CultureInfo.InvariantCulture, out pid)) pid = -1;
        header = new SyslogHeader(ts,
            IsNil(host) ? "" : line.Substring(hostStart, host.Length),
            IsNil(app) ? "" : line.Substring(appStart, app.Length),
            pid, pos)
        {
            Facility = pri / 8,
            Severity = pri % 8,
            MsgId = IsNil(msgId) ? null : line.Substring(msgIdStart, msgId.Length),
            StructuredData = sd,
        };
        return true;
    }

    private static bool IsNil(ReadOnlySpan<char> token) => token is "-";

    // A header field and the single space after it; false when the line ends before the space (the field is still given).
    private static bool Token(ReadOnlySpan<char> s, ref int pos, out ReadOnlySpan<char> token)
    {
        var rest = s[pos..];
        var sp = rest.IndexOf(' ');
        if (sp < 0)
        {
            token = rest;
            pos = s.Length;
            return false;
        }
        token = rest[..sp];
        pos += sp + 1;
        return sp > 0;
    }

    // One or more [SD-ID param="value" …] elements; inside quotes \" \\ and \] are escapes and ] does not close.
    private static bool SkipStructuredData(ReadOnlySpan<char> s, ref int pos)
    {
        while (pos < s.Length && s[pos] == '[')
        {
            pos++;
            var quoted = false;
            while (pos < s.Length)
            {
                var c = s[pos];
                if (quoted)
                {
                    if (c == '\\') pos++;
                    else if (c == '"') quoted = false;
                }
                else if (c == '"') quoted = true;
                else if (c == ']') break;
                pos++;
            }
            if (pos >= s.Length) return false; // unterminated element
            pos++;
        }
        return true;
    }

    private static bool HasOffset(ReadOnlySpan<char> stamp)
    {
        if (stamp[^1] is 'Z' or 'z') return true;
        var t = stamp.IndexOf('T');
        return t > 0 && stamp[t..].IndexOfAny('+', '-') > 0;
    }
}
