using System.Text;
using System.Text.RegularExpressions;

namespace Gumshoe.Engine.Rules.Conditions;

/// <summary>
/// A user-supplied regex made safe for the hot path: the non-backtracking engine when the pattern allows it,
/// otherwise a 100 ms match timeout (a timeout counts as no match), and a required-literal prefilter checked
/// with a vectorised <c>IndexOf</c> before the regex runs.
/// </summary>
internal sealed class UserRegex
{
    /// <summary>Match timeout for patterns the non-backtracking engine cannot run.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(100);

    private static long s_timeouts;

    private readonly Regex _regex;
    private readonly string? _required;
    private readonly StringComparison _comparison;
    private readonly bool _requiredHasFoldingLetters;
    private readonly Action<string>? _timedOut;

    public UserRegex(string pattern, RegexOptions extra, bool cased, Action<string>? timedOut)
    {
        Pattern = pattern;
        _timedOut = timedOut;
        var options = extra | RegexOptions.CultureInvariant | (cased ? RegexOptions.None : RegexOptions.IgnoreCase);
        try
        {
            _regex = new Regex(pattern, options | RegexOptions.NonBacktracking);
            IsNonBacktracking = true;
        }
        catch (NotSupportedException)
        {
            // Lookarounds, backreferences, atomic groups and the like need the backtracking engine.
            _regex = new Regex(pattern, options, Timeout);
        }
        _comparison = cased ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        _required = (extra & RegexOptions.IgnorePatternWhitespace) == 0 ? FindRequiredLiteral(pattern, ascii: !cased) : null;
        // Regex case folding under the invariant culture maps 'k' to the Kelvin sign and 's' to the long s, which
        // OrdinalIgnoreCase does not; for such literals a prefilter miss on non-ASCII input still runs the regex.
        _requiredHasFoldingLetters = !cased && _required is not null && _required.AsSpan().IndexOfAny("kKsS") >= 0;
    }

    public string Pattern { get; }

    /// <summary>Whether the pattern runs on the linear-time engine.</summary>
    public bool IsNonBacktracking { get; }

    /// <summary>The literal every match must contain, if one was found.</summary>
    public string? RequiredLiteral => _required;

    /// <summary>Timeouts across all user regexes since start.</summary>
    public static long TotalTimeouts => Interlocked.Read(ref s_timeouts);

    /// <summary>Throws <see cref="ArgumentException"/> when the pattern is not a valid regex.</summary>
    public static void Validate(string pattern) => _ = new Regex(pattern, RegexOptions.None, Timeout);

    public bool IsMatch(string input)
    {
        if (_required is not null && !input.Contains(_required, _comparison)
            && !(_requiredHasFoldingLetters && !Ascii.IsValid(input)))
            return false;
        try
        {
            return _regex.IsMatch(input);
        }
        catch (RegexMatchTimeoutException)
        {
            Interlocked.Increment(ref s_timeouts);
            _timedOut?.Invoke(Pattern);
            return false;
        }
    }

    /// <summary>
    /// The longest run of plain characters that every match must contain: scanned at the top level only, giving
    /// up on top-level alternation or inline options, and cutting runs at groups, classes, anchors and quantifiers.
    /// </summary>
    internal static string? FindRequiredLiteral(string pattern, bool ascii)
    {
        if (pattern.Contains("(?", StringComparison.Ordinal) && InlineOptions(pattern)) return null;
        string? best = null;
        var run = new StringBuilder();
        void Cut()
        {
            if (run.Length > (best?.Length ?? 1)) best = run.ToString();
            run.Clear();
        }
        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            char? literal = null;
            switch (c)
            {
                case '|': return null;
                case '(':
                {
                    Cut();
                    var depth = 0;
                    for (; i < pattern.Length; i++)
                    {
                        if (pattern[i] == '\\') { i++; continue; }
                        if (pattern[i] == '[') { i = SkipClass(pattern, i); continue; }
                        if (pattern[i] == '(') depth++;
                        else if (pattern[i] == ')' && --depth == 0) break;
                    }
                    i++;
                    SkipQuantifier(pattern, ref i);
                    continue;
                }
                case '[':
                    Cut();
                    i = SkipClass(pattern, i) + 1;
                    SkipQuantifier(pattern, ref i);
                    continue;
                case '.' or '^' or '$' or ')':
                    Cut();
                    i++;
                    continue;
                case '*' or '+' or '?' or '{':
                    // A quantifier with nothing quantifiable before it in this run: nothing to keep.
                    Cut();
                    SkipQuantifier(pattern, ref i);
                    continue;
                case '\\':
                    if (i + 1 >= pattern.Length) return best;
                    var e = pattern[i + 1];
                    if (char.IsAsciiLetterOrDigit(e))
                    {
                        literal = e switch { 't' => '\t', 'n' => '\n', 'r' => '\r', 'f' => '\f', 'e' => '\u001b', 'a' => '\a', _ => null };
                        if (literal is null)
                        {
                            // \d, \w, \b, \p{..}, \x41, backreferences...: not a plain character.
                            Cut();
                            i += 2;
                            SkipEscapeArgument(pattern, e, ref i);
                            SkipQuantifier(pattern, ref i);
                            continue;
                        }
                    }
                    else literal = e;
                    i += 2;
                    break;
                default:
                    literal = c;
                    i++;
                    break;
            }
            if (ascii && literal > '\u007f')
            {
                Cut();
                SkipQuantifier(pattern, ref i);
                continue;
            }
            // A quantifier applies to the last character only: optional ones leave the run, "+" keeps one copy.
            if (i < pattern.Length && pattern[i] is '*' or '?' or '{' or '+')
            {
                var q = pattern[i];
                var atLeastOne = q == '+' || (q == '{' && i + 1 < pattern.Length && pattern[i + 1] is >= '1' and <= '9');
                if (atLeastOne) run.Append(literal!.Value);
                Cut();
                SkipQuantifier(pattern, ref i);
                continue;
            }
            run.Append(literal!.Value);
        }
        Cut();
        return best;
    }

    // The characters an escape consumes after its letter: \xHH, \uHHHH, \cX, \12 backreferences, \p{..}, \k<..>.
    private static void SkipEscapeArgument(string p, char escape, ref int i)
    {
        switch (escape)
        {
            case 'x': for (var n = 0; n < 2 && i < p.Length && char.IsAsciiHexDigit(p[i]); n++) i++; break;
            case 'u': for (var n = 0; n < 4 && i < p.Length && char.IsAsciiHexDigit(p[i]); n++) i++; break;
            case 'c': if (i < p.Length) i++; break;
            case >= '0' and <= '9': while (i < p.Length && char.IsAsciiDigit(p[i])) i++; break;
            case 'p' or 'P' or 'k':
                if (i < p.Length && p[i] is '{' or '<' or '\'')
                {
                    var close = p[i] switch { '{' => '}', '<' => '>', _ => '\'' };
                    var end = p.IndexOf(close, i + 1);
                    i = end < 0 ? p.Length : end + 1;
                }
                break;
        }
    }

    private static bool InlineOptions(string pattern)
    {
        for (var at = pattern.IndexOf("(?", StringComparison.Ordinal); at >= 0; at = pattern.IndexOf("(?", at + 2, StringComparison.Ordinal))
            if (at + 2 < pattern.Length && (char.IsAsciiLetter(pattern[at + 2]) || pattern[at + 2] == '-') && pattern[at + 2] is not 'P') return true;
        return false;
    }

    private static int SkipClass(string p, int i)
    {
        i++;
        if (i < p.Length && p[i] == '^') i++;
        if (i < p.Length && p[i] == ']') i++;
        for (; i < p.Length; i++)
        {
            if (p[i] == '\\') { i++; continue; }
            if (p[i] == ']') return i;
        }
        return p.Length;
    }

    private static void SkipQuantifier(string p, ref int i)
    {
        while (i < p.Length)
        {
            if (p[i] is '*' or '+' or '?') { i++; continue; }
            if (p[i] == '{')
            {
                var close = p.IndexOf('}', i);
                if (close < 0) return;
                i = close + 1;
                continue;
            }
            return;
        }
    }
}
