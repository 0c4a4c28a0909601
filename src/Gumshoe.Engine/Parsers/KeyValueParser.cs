using System.Text;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Parsers;

/// <summary>
/// <c>type: kv</c> (and pack <c>kv</c>): <c>key=value</c> pairs, values optionally quoted (<c>msg="a b"</c>, with
/// <c>\"</c> escapes), separated by <c>separator</c> (default a space) with <c>assign</c> between key and value
/// (default <c>=</c>). Field names get <c>prefix</c>; empty values are skipped; tokens without <c>assign</c> are ignored.
/// </summary>
public sealed class KeyValueParser : IParser
{
    private readonly Dictionary<string, FieldType> _types;

    /// <summary>Builds a key=value parser.</summary>
    public KeyValueParser(string name = "kv", string separator = " ", string assign = "=", string prefix = "", string? field = null,
        IReadOnlyDictionary<string, FieldType>? types = null, TimestampField? timestamp = null)
    {
        if (separator.Length == 0) throw new ArgumentException("separator must not be empty", nameof(separator));
        if (assign.Length == 0) throw new ArgumentException("assign must not be empty", nameof(assign));
        Name = name;
        Separator = separator;
        Assign = assign;
        Prefix = prefix;
        Field = field;
        _types = types is null ? new(StringComparer.Ordinal) : new(types, StringComparer.Ordinal);
        Timestamp = timestamp;
    }

    public string Name { get; }
    /// <summary>What separates pairs.</summary>
    public string Separator { get; }
    /// <summary>What separates a key from its value.</summary>
    public string Assign { get; }
    /// <summary>Prepended to every key to form the field name.</summary>
    public string Prefix { get; }
    /// <summary>The field parsed; null for the raw line.</summary>
    public string? Field { get; }
    /// <summary>Where <c>@timestamp</c> comes from.</summary>
    public TimestampField? Timestamp { get; }

    /// <summary>Factory for <c>type: kv</c>.</summary>
    public static IParser Create(ConfigNode node, ComponentContext context)
    {
        var name = node.String("name") ?? "kv";
        var separator = node.Get("separator") is { } s ? NonEmpty(s) : " ";
        var assign = node.Get("assign") is { } a ? NonEmpty(a) : "=";
        return new KeyValueParser(name, separator, assign, node.String("prefix") ?? "", node.String("field"), FieldTypes.FromConfig(node), TimestampField.FromConfig(node));
    }

    private static string NonEmpty(ConfigNode n)
    {
        var text = n.AsString();
        return text.Length > 0 ? text : throw n.Error("must not be empty");
    }

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        var input = line;
        if (Field is not null)
        {
            input = e.GetString(Field)!;
            if (input is null) return ParseOutcome.Unmatched($"no field {Field}");
        }
        var pairs = 0;
        string? failure = null;
        Scan(input, Separator, Assign, (key, value) =>
        {
            if (failure is not null) return;
            pairs++;
            if (value.Length == 0) return;
            var field = Prefix.Length == 0 ? key : Prefix + key;
            if (!FieldTypes.SetTyped(e, field, value, _types)) failure = $"bad {FieldTypes.Describe(_types[field])} in {field}: {value}";
        });
        if (failure is not null) return ParseOutcome.Failed(failure);
        if (pairs == 0) return ParseOutcome.Unmatched("no key=value pairs");
        return Timestamp?.Apply(e, context) ?? ParseOutcome.Matched;
    }

    /// <summary>
    /// Calls <paramref name="pair"/> for every <c>key{assign}value</c> in the text. A value starting with a double or
    /// single quote runs to the matching unescaped quote; otherwise it runs to the next separator.
    /// </summary>
    public static void Scan(string text, string separator, string assign, Action<string, string> pair)
    {
        var i = 0;
        var n = text.Length;
        var spaceSeparated = separator == " ";
        while (i < n)
        {
            // skip separators (runs of blanks count as one when the separator is a space)
            if (spaceSeparated) { while (i < n && char.IsWhiteSpace(text[i])) i++; }
            else
            {
                while (i < n && (text.AsSpan(i).StartsWith(separator, StringComparison.Ordinal) || text[i] == ' '))
                    i += text.AsSpan(i).StartsWith(separator, StringComparison.Ordinal) ? separator.Length : 1;
            }
            if (i >= n) break;
            var rest = text.AsSpan(i);
            var sepAt = spaceSeparated ? rest.IndexOfAny(' ', '\t') : rest.IndexOf(separator, StringComparison.Ordinal);
            var assignAt = rest.IndexOf(assign, StringComparison.Ordinal);
            if (assignAt <= 0 || (sepAt >= 0 && sepAt < assignAt))
            {
                // a token without a value ("SYN", "DF"): skip it
                i = sepAt < 0 ? n : i + sepAt;
                continue;
            }
            var key = text.Substring(i, assignAt).Trim();
            i += assignAt + assign.Length;
            string value;
            if (i < n && text[i] is '"' or '\'')
            {
                var quote = text[i];
                var sb = new StringBuilder();
                var j = i + 1;
                while (j < n && text[j] != quote)
                {
                    if (text[j] == '\\' && j + 1 < n && (text[j + 1] == quote || text[j + 1] == '\\')) j++;
                    sb.Append(text[j]);
                    j++;
                }
                value = sb.ToString();
                i = Math.Min(j + 1, n);
            }
            else
            {
                var end = spaceSeparated ? text.AsSpan(i).IndexOfAny(' ', '\t') : text.AsSpan(i).IndexOf(separator, StringComparison.Ordinal);
                var len = end < 0 ? n - i : end;
                value = text.Substring(i, len).Trim();
                i += len;
            }
            if (key.Length > 0) pair(key, value);
        }
    }
}
