using System.Text;
using System.Text.RegularExpressions;

namespace Gumshoe.Engine.Parsers;

/// <summary>
/// A user-supplied regular expression whose named groups are event field names, dotted ECS names included
/// (<c>(?&lt;source.ip&gt;\S+)</c>). Compiled with <see cref="RegexOptions.NonBacktracking"/> when the pattern allows it,
/// otherwise with a match timeout, so no line can stall a parser.
/// </summary>
public sealed class FieldRegex
{
    /// <summary>How long a backtracking match may run before the line is given up as failed.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    private FieldRegex(string pattern, Regex regex, (int Group, string Field)[] fields, string? requiredLiteral)
    {
        Pattern = pattern;
        Regex = regex;
        Fields = fields;
        RequiredLiteral = requiredLiteral;
    }

    /// <summary>The pattern as configured.</summary>
    public string Pattern { get; }

    /// <summary>The compiled expression (group names rewritten where .NET does not allow them).</summary>
    public Regex Regex { get; }

    /// <summary>Group numbers and the fields they fill.</summary>
    public IReadOnlyList<(int Group, string Field)> Fields { get; }

    /// <summary>Whether the linear-time engine is used (no backreferences, lookarounds or atomic groups).</summary>
    public bool IsNonBacktracking => (Regex.Options & RegexOptions.NonBacktracking) != 0;

    /// <summary>A literal every match contains, used to skip lines cheaply; null when none could be derived safely.</summary>
    public string? RequiredLiteral { get; }

    /// <summary>Compiles a pattern; throws <see cref="ArgumentException"/> with .NET's message when it is not a valid regex.</summary>
    public static FieldRegex Compile(string pattern, RegexOptions options = RegexOptions.None)
    {
        var (rewritten, names) = RewriteGroupNames(pattern);
        options |= RegexOptions.CultureInvariant;
        Regex regex;
        try
        {
            // Linear in the input, so no timeout: one would only fire spuriously while the engine builds its
            // automaton lazily on a busy machine.
            regex = new Regex(rewritten, options | RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException)
        {
            // Backreferences, lookarounds, atomic groups or conditionals: the backtracking engine, bounded by the timeout.
            regex = new Regex(rewritten, options, MatchTimeout);
        }
        var fields = new List<(int, string)>();
        foreach (var name in regex.GetGroupNames())
        {
            var number = regex.GroupNumberFromName(name);
            if (number == 0 || name.All(char.IsAsciiDigit)) continue;
            fields.Add((number, names.TryGetValue(name, out var field) ? field : name));
        }
        var literal = (options & (RegexOptions.IgnoreCase | RegexOptions.IgnorePatternWhitespace | RegexOptions.RightToLeft)) == 0
            ? LongestRequiredLiteral(pattern) : null;
        return new FieldRegex(pattern, regex, [.. fields], literal);
    }

    /// <summary>
    /// Matches the input; null when it does not match or the literal prefilter rules it out.
    /// Throws <see cref="RegexMatchTimeoutException"/> when a backtracking match runs too long.
    /// </summary>
    public Match? Match(string input)
    {
        if (RequiredLiteral is not null && !input.Contains(RequiredLiteral, StringComparison.Ordinal)) return null;
        var m = Regex.Match(input);
        return m.Success ? m : null;
    }

    // .NET group names are word characters only: names such as "source.ip" or "@timestamp" get a stand-in name,
    // mapped back to the field name after compiling. Backreferences to them (\k<source.ip>) are rewritten too.
    private static (string Pattern, Dictionary<string, string> Names) RewriteGroupNames(string pattern)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var byField = new Dictionary<string, string>(StringComparer.Ordinal);
        var sb = new StringBuilder(pattern.Length + 16);
        string StandIn(string field)
        {
            if (byField.TryGetValue(field, out var s)) return s;
            s = "gumshoe_f" + byField.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            byField[field] = s;
            names[s] = field;
            return s;
        }
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                if (pattern[i + 1] == 'k' && i + 2 < pattern.Length && pattern[i + 2] is '<' or '\'' && TryName(pattern, i + 3, pattern[i + 2] == '<' ? '>' : '\'', out var refName, out var refEnd))
                {
                    sb.Append(@"\k<").Append(NeedsStandIn(refName) ? StandIn(refName) : refName).Append('>');
                    i = refEnd;
                    continue;
                }
                sb.Append(c).Append(pattern[i + 1]);
                i++;
                continue;
            }
            if (c == '[')
            {
                var end = ClassEnd(pattern, i);
                sb.Append(pattern, i, end - i + 1);
                i = end;
                continue;
            }
            if (c == '(' && i + 2 < pattern.Length && pattern[i + 1] == '?' && pattern[i + 2] is '<' or '\''
                && i + 3 < pattern.Length && pattern[i + 3] is not ('=' or '!')
                && TryName(pattern, i + 3, pattern[i + 2] == '<' ? '>' : '\'', out var name, out var nameEnd))
            {
                sb.Append("(?<").Append(NeedsStandIn(name) ? StandIn(name) : name).Append('>');
                i = nameEnd;
                continue;
            }
            sb.Append(c);
        }
        return (sb.ToString(), names);
    }

    private static bool NeedsStandIn(string name) => !name.All(ch => char.IsLetterOrDigit(ch) || ch == '_') || (name.Length > 0 && char.IsAsciiDigit(name[0]) && !name.All(char.IsAsciiDigit));

    // A group name up to its closing delimiter; balancing-group names ("a-b") are left to .NET.
    private static bool TryName(string p, int start, char close, out string name, out int end)
    {
        name = "";
        end = p.IndexOf(close, start);
        if (end <= start) return false;
        name = p[start..end];
        return !name.Contains('-') && !name.Contains('(') && !name.Contains(')');
    }

    // Index of the ']' closing the class that opens at i (or the pattern's end when it never closes).
    internal static int ClassEnd(string p, int i)
    {
        var j = i + 1;
        if (j < p.Length && p[j] == '^') j++;
        if (j < p.Length && p[j] == ']') j++; // a leading ']' is literal
        for (; j < p.Length; j++)
        {
            if (p[j] == '\\') { j++; continue; }
            if (p[j] == '[' && j + 1 < p.Length && p[j + 1] == ':')
            {
                // POSIX-like "[:alpha:]" inside a class is literal text in .NET but still ends at its own ']'
                var close = p.IndexOf(":]", j + 2, StringComparison.Ordinal);
                if (close > 0) { j = close + 1; continue; }
            }
            if (p[j] == ']') return j;
        }
        return p.Length - 1;
    }

    /// <summary>
    /// The longest literal (3+ characters) that every match of the pattern contains: literal text at the top level of
    /// a pattern without top-level alternation or option switches. Groups, classes and quantified characters break a
    /// run; a character made optional by <c>?</c>, <c>*</c> or <c>{0,…}</c> is dropped from it.
    /// </summary>
    public static string? LongestRequiredLiteral(string pattern)
    {
        var best = "";
        var run = new StringBuilder();
        void Flush()
        {
            if (run.Length > best.Length) best = run.ToString();
            run.Clear();
        }
        var depth = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                if (i + 1 >= pattern.Length) return null;
                var next = pattern[++i];
                if (char.IsAsciiLetterOrDigit(next))
                {
                    // \d, \w, \b, \1, \x41, \p{L} … classes, anchors and escapes: stop the run and skip their arguments
                    if (depth == 0) Flush();
                    i = EscapeEnd(pattern, i);
                    continue;
                }
                if (depth == 0) run.Append(next);
                continue;
            }
            if (c == '[')
            {
                i = ClassEnd(pattern, i);
                if (depth == 0) Flush();
                continue;
            }
            if (c == '(')
            {
                // option switches such as (?i) change how the rest matches: give up rather than reason about them
                if (i + 2 < pattern.Length && pattern[i + 1] == '?' && "imnsx-".Contains(pattern[i + 2])) return null;
                if (depth == 0) Flush();
                depth++;
                continue;
            }
            if (c == ')')
            {
                depth--;
                if (depth < 0) return null;
                continue;
            }
            if (depth > 0) continue;
            switch (c)
            {
                case '|': return null;
                case '.' or '^' or '$': Flush(); break;
                case '*' or '?':
                    if (run.Length > 0) run.Length--;
                    Flush();
                    break;
                case '+': Flush(); break;
                case '{':
                    var close = pattern.IndexOf('}', i);
                    if (close > i && IsQuantifier(pattern.AsSpan(i + 1, close - i - 1), out var min))
                    {
                        if (min == 0 && run.Length > 0) run.Length--;
                        Flush();
                        i = close;
                    }
                    else run.Append(c);
                    break;
                default: run.Append(c); break;
            }
        }
        if (depth != 0) return null;
        Flush();
        return best.Length >= 3 ? best : null;
    }

    // The last index of an escape whose letter or digit is at i.
    private static int EscapeEnd(string p, int i)
    {
        int Skip(int count) => Math.Min(i + count, p.Length - 1);
        switch (p[i])
        {
            case 'x': return Skip(2);
            case 'u': return Skip(4);
            case 'c': return Skip(1);
            case 'p' or 'P' or 'k':
                var close = p.IndexOfAny(['}', '>', '\''], i + 2);
                return close < 0 ? p.Length - 1 : close;
            default:
                if (char.IsAsciiDigit(p[i])) while (i + 1 < p.Length && char.IsAsciiDigit(p[i + 1])) i++;
                return i;
        }
    }

    private static bool IsQuantifier(ReadOnlySpan<char> body, out int min)
    {
        min = 0;
        var comma = body.IndexOf(',');
        var first = comma < 0 ? body : body[..comma];
        if (first.IsEmpty || !int.TryParse(first, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out min)) return false;
        if (comma < 0) return true;
        var second = body[(comma + 1)..];
        return second.IsEmpty || int.TryParse(second, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _);
    }
}
