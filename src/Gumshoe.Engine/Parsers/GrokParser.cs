using System.Text;
using System.Text.RegularExpressions;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Parsers;

/// <summary>
/// <c>type: grok</c>: Logstash-style patterns (<c>%{IP:source.ip}</c>, <c>%{INT:source.port:int}</c>, <c>%{DATA}</c>)
/// expanded from <see cref="GrokPatterns.Library"/> and <c>pattern_definitions</c> into a regular expression, then run
/// by the <see cref="RegexParser"/> machinery (same engine choice, timeout, prefilters and options).
/// </summary>
public static class GrokParser
{
    private const int MaxDepth = 64;

    /// <summary>Factory for <c>type: grok</c>.</summary>
    public static IParser Create(ConfigNode node, ComponentContext context)
    {
        var name = node.String("name") ?? "grok";
        var definitions = new Dictionary<string, (string Text, ConfigNode? At)>(StringComparer.Ordinal);
        foreach (var (k, v) in GrokPatterns.Library) definitions[k] = (v, null);
        if (node.Get("pattern_definitions") is { IsNull: false } defs)
        {
            foreach (var (key, value) in defs.Entries)
            {
                if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                    throw value.Error($"grok pattern name '{key}' may only use letters, digits and '_'");
                definitions[key] = (value.AsString(), value);
            }
        }
        var types = new Dictionary<string, FieldType>(StringComparer.Ordinal);
        var patterns = new List<FieldRegex>();
        foreach (var p in RegexParser.PatternNodes(node))
        {
            var regex = Expand(p.AsString(), definitions, types, p);
            patterns.Add(RegexParser.CompileAt(regex, p, RegexOptions.ExplicitCapture));
        }
        return RegexParser.FromOptions(name, node, patterns, types);
    }

    /// <summary>
    /// Expands a grok expression with the built-in library only; unknown names throw <see cref="ArgumentException"/>.
    /// Inline field types (<c>%{INT:port:int}</c>) are added to <paramref name="types"/>.
    /// </summary>
    public static string Expand(string grok, Dictionary<string, FieldType> types)
    {
        var definitions = GrokPatterns.Library.ToDictionary(kv => kv.Key, kv => (kv.Value, (ConfigNode?)null), StringComparer.Ordinal);
        return Expand(grok, definitions, types, null);
    }

    private static string Expand(string grok, Dictionary<string, (string Text, ConfigNode? At)> definitions, Dictionary<string, FieldType> types, ConfigNode? at)
    {
        var sb = new StringBuilder(grok.Length * 4);
        ExpandInto(sb, grok, definitions, types, at, [], 0);
        return sb.ToString();
    }

    private static void ExpandInto(StringBuilder sb, string grok, Dictionary<string, (string Text, ConfigNode? At)> definitions,
        Dictionary<string, FieldType> types, ConfigNode? at, List<string> stack, int depth)
    {
        Exception Fail(string problem) => at is not null ? at.Error(problem) : new ArgumentException(problem);
        if (depth > MaxDepth) throw Fail($"grok patterns nest deeper than {MaxDepth} levels");
        var i = 0;
        while (i < grok.Length)
        {
            var open = grok.IndexOf("%{", i, StringComparison.Ordinal);
            if (open < 0) { sb.Append(grok, i, grok.Length - i); break; }
            sb.Append(grok, i, open - i);
            var close = grok.IndexOf('}', open + 2);
            if (close < 0) throw Fail($"unclosed '%{{' in grok pattern at character {open + 1}");
            var parts = grok[(open + 2)..close].Split(':');
            var patternName = parts[0];
            if (parts.Length > 3 || patternName.Length == 0) throw Fail($"bad grok reference '%{{{grok[(open + 2)..close]}}}' (use %{{NAME}}, %{{NAME:field}} or %{{NAME:field:type}})");
            if (!definitions.TryGetValue(patternName, out var def))
                throw Fail($"unknown grok pattern '{patternName}'");
            if (stack.Contains(patternName)) throw Fail($"grok pattern '{patternName}' refers to itself ({string.Join(" -> ", stack)} -> {patternName})");
            var field = parts.Length > 1 && parts[1].Length > 0 ? parts[1] : null;
            if (parts.Length == 3)
            {
                if (field is null) throw Fail($"grok reference '%{{{grok[(open + 2)..close]}}}' has a type but no field");
                if (!FieldTypes.TryParseName(parts[2], out var type)) throw Fail($"unknown field type '{parts[2]}' in '%{{{grok[(open + 2)..close]}}}' (known: int, long, double, bool, ip, string)");
                types[field] = type;
            }
            sb.Append(field is null ? "(?:" : "(?<" + field + ">");
            stack.Add(patternName);
            // Unknown names inside a user definition are reported at that definition; inside the library, at the pattern.
            ExpandInto(sb, def.Text, definitions, types, def.At ?? at, stack, depth + 1);
            stack.RemoveAt(stack.Count - 1);
            sb.Append(')');
            i = close + 1;
        }
    }
}
