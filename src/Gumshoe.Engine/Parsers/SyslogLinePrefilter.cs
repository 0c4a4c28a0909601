using System.Buffers;
using System.Text;

namespace Gumshoe.Engine.Parsers;

/// <summary>
/// The prefilter of a syslog-based pack: skips a line written in the plain file form
/// (<c>Mmm dd hh:mm:ss host program[pid]: message</c>, ASCII) by the pack's program when its message contains none
/// of the literals every interesting message contains. Lines of any other form are kept for the parser.
/// </summary>
/// <remarks>
/// The header is read exactly as <see cref="SyslogHeader.TryParse"/> reads this form (the event time comes from the
/// same year inference), so a skipped line is one the pack would have matched, with the same event time.
/// </remarks>
public sealed class SyslogLinePrefilter : ILinePrefilter
{
    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    private readonly byte[] _programPrefix;
    private readonly byte[][] _literals;
    private readonly SearchValues<byte>? _firsts;

    /// <param name="programPrefix">The program names the pack accepts start with this (<c>sshd</c>).</param>
    /// <param name="literals">A message that may matter contains at least one of these.</param>
    public SyslogLinePrefilter(string programPrefix, IEnumerable<string> literals)
    {
        _programPrefix = Encoding.ASCII.GetBytes(programPrefix);
        _literals = literals.Distinct(StringComparer.Ordinal).Select(Encoding.UTF8.GetBytes).ToArray();
        var firsts = _literals.Select(l => l[0]).Distinct().ToArray();
        if (_literals.Length > 1 && _literals.All(l => l.Length > 1) && firsts.All(b => char.IsAsciiLetterUpper((char)b)))
            _firsts = SearchValues.Create(firsts);
    }

    public bool CanSkip(ReadOnlySpan<byte> line, ParseContext context, out DateTimeOffset timestamp)
    {
        timestamp = default;
        // the BSD stamp: "Mar  4 00:00:01 " (no PRI, no fraction); anything unusual goes to the parser
        // ASCII without NUL, in one pass
        if (line.Length < 16 || !char.IsAsciiLetterUpper((char)line[0]) || line[3] != ' ' || line.IndexOfAnyExceptInRange((byte)1, (byte)0x7F) >= 0)
            return false;
        var month = MonthOf(line[..3]);
        if (month < 0) return false;
        var i = 4;
        if (line[i] == ' ') i++;
        var day = 0;
        while (i < line.Length && char.IsAsciiDigit((char)line[i]) && day < 100) day = day * 10 + (line[i++] - '0');
        if (day is < 1 or > 31 || i + 9 > line.Length || line[i] != ' ') return false;
        i++;
        if (!TwoDigits(line, i, out var hh) || line[i + 2] != ':' || !TwoDigits(line, i + 3, out var mm) || line[i + 5] != ':' || !TwoDigits(line, i + 6, out var ss)) return false;
        i += 8;
        if (i >= line.Length || line[i] != ' ' || hh > 23 || mm > 59 || ss > 60) return false;
        if (ss == 60) ss = 59; // leap second, as the header parser does

        // host, then "program[pid]: " where the tag ends at the first ": " and holds no space
        var rest = line[(i + 1)..];
        var hostEnd = rest.IndexOf((byte)' ');
        if (hostEnd <= 0) return false;
        rest = rest[(hostEnd + 1)..];
        var colon = rest.IndexOf(": "u8);
        if (colon <= 0) return false;
        var tag = rest[..colon];
        if (tag.Contains((byte)' ')) return false;
        var bracket = tag.IndexOf((byte)'[');
        var program = bracket > 0 && tag[^1] == ']' ? tag[..bracket] : tag;
        if (!program.StartsWith(_programPrefix)) return false;
        if (MayMatter(rest[(colon + 2)..])) return false;
        // the inference remembers the last second it resolved (consecutive lines mostly share it)
        try { timestamp = context.Years.Resolve(month + 1, day, hh, mm, ss, 0, context.TimeZone); }
        catch (ArgumentOutOfRangeException) { return false; } // Feb 31 and the like: the header parser calls the line unmatched; let it
        return true;
    }

    // Whether the message holds one of the literals: one pass for their first bytes when those are rare in messages
    // (capitals: "Failed ", "Invalid user "), else a search per literal.
    private bool MayMatter(ReadOnlySpan<byte> message)
    {
        if (_firsts is null)
        {
            foreach (var literal in _literals)
                if (message.IndexOf(literal) >= 0) return true;
            return false;
        }
        var at = 0;
        while (true)
        {
            var k = message[at..].IndexOfAny(_firsts);
            if (k < 0) return false;
            at += k;
            var rest = message[at..];
            foreach (var literal in _literals)
                if (literal[0] == rest[0] && rest.StartsWith(literal)) return true;
            at++;
        }
    }

    private static int MonthOf(ReadOnlySpan<byte> name)
    {
        for (var m = 0; m < Months.Length; m++)
        {
            var s = Months[m];
            if (name[0] == s[0] && name[1] == s[1] && name[2] == s[2]) return m;
        }
        return -1;
    }

    private static bool TwoDigits(ReadOnlySpan<byte> s, int i, out int value)
    {
        value = 0;
        if (i + 1 >= s.Length || !char.IsAsciiDigit((char)s[i]) || !char.IsAsciiDigit((char)s[i + 1])) return false;
        value = (s[i] - '0') * 10 + (s[i + 1] - '0');
        return true;
    }
}
