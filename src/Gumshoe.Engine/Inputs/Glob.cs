using System.Text;
using System.Text.RegularExpressions;

namespace Gumshoe.Engine.Inputs;

/// <summary>Expands file globs: <c>*</c> and <c>?</c> within a name, <c>[abc]</c>, and <c>**</c> for any depth.</summary>
public static class Glob
{
    public static bool HasWildcards(string path) => path.AsSpan().IndexOfAny("*?[") >= 0;

    /// <summary>Existing paths matching any of the patterns, sorted, each once.</summary>
    public static IEnumerable<string> Expand(IEnumerable<string> patterns)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var pattern in patterns)
        {
            if (!HasWildcards(pattern))
            {
                if (File.Exists(pattern) || Directory.Exists(pattern)) result.Add(pattern);
                continue;
            }
            // the longest leading folder without wildcards is where enumeration starts
            var parts = pattern.Split('/');
            var fixedParts = parts.TakeWhile(p => !HasWildcards(p)).ToArray();
            var root = string.Join('/', fixedParts);
            if (root.Length == 0) root = "/";
            if (!Directory.Exists(root)) continue;
            var recursive = pattern.Contains("**", StringComparison.Ordinal);
            var rx = ToRegex(pattern);
            IEnumerable<string> entries;
            try
            {
                entries = Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions
                {
                    RecurseSubdirectories = recursive || parts.Length - fixedParts.Length > 1,
                    IgnoreInaccessible = true,
                    AttributesToSkip = 0,
                    MaxRecursionDepth = recursive ? 32 : parts.Length - fixedParts.Length,
                });
                foreach (var e in entries) if (rx.IsMatch(e)) result.Add(e);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
        return result;
    }

    /// <summary>The regex a glob stands for, anchored, matching whole paths.</summary>
    public static Regex ToRegex(string pattern)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    sb.Append(".*");
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/') i++;
                    break;
                case '*': sb.Append("[^/]*"); break;
                case '?': sb.Append("[^/]"); break;
                case '[':
                    var close = pattern.IndexOf(']', i + 1);
                    if (close < 0) { sb.Append(@"\["); break; }
                    var set = pattern[(i + 1)..close];
                    if (set.StartsWith('!')) set = "^" + set[1..];
                    sb.Append('[').Append(set.Replace("\\", "\\\\")).Append(']');
                    i = close;
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
