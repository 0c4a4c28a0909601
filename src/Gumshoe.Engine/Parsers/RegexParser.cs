using System.Buffers;
using System.Text.RegularExpressions;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Parsers;

/// <summary>
/// <c>type: regex</c>: one or more regular expressions (first match wins) whose named groups become fields, with
/// optional literal prefilters, typed conversions and a timestamp field.
/// </summary>
/// <example>
/// <code>
/// - name: app
///   type: regex
///   pattern: 'login failed for (?&lt;user.name&gt;\S+) from (?&lt;source.ip&gt;\S+)'
///   types: {source.port: int}
///   timestamp: {field: ts, format: rfc3339}
/// </code>
/// </example>
public sealed class RegexParser : IParser
{
    private readonly FieldRegex[] _patterns;
    private readonly SearchValues<string>? _prefilter;
    private readonly Dictionary<string, FieldType> _types;

    /// <summary>Builds a parser from compiled patterns.</summary>
    /// <param name="name">Parser name.</param>
    /// <param name="patterns">Tried in order; the first match wins.</param>
    /// <param name="field">The field matched; null for the raw line.</param>
    /// <param name="prefilter">Literals one of which a line must contain before any pattern runs; empty for none.</param>
    /// <param name="types">Conversions of extracted fields.</param>
    /// <param name="timestamp">Where <c>@timestamp</c> comes from, if anywhere.</param>
    public RegexParser(string name, IEnumerable<FieldRegex> patterns, string? field = null, IReadOnlyCollection<string>? prefilter = null,
        IReadOnlyDictionary<string, FieldType>? types = null, TimestampField? timestamp = null)
    {
        Name = name;
        _patterns = [.. patterns];
        if (_patterns.Length == 0) throw new ArgumentException("at least one pattern is needed", nameof(patterns));
        Field = field;
        Prefilter = prefilter is { Count: > 0 } ? [.. prefilter] : [];
        _prefilter = Prefilter.Count > 0 ? SearchValues.Create([.. Prefilter], StringComparison.Ordinal) : null;
        _types = types is null ? new(StringComparer.Ordinal) : new(types, StringComparer.Ordinal);
        Timestamp = timestamp;
    }

    public string Name { get; }

    /// <summary>The patterns, in the order they are tried.</summary>
    public IReadOnlyList<FieldRegex> Patterns => _patterns;

    /// <summary>The field matched; null for the raw line.</summary>
    public string? Field { get; }

    /// <summary>Configured prefilter literals.</summary>
    public IReadOnlyList<string> Prefilter { get; }

    /// <summary>Where <c>@timestamp</c> comes from.</summary>
    public TimestampField? Timestamp { get; }

    /// <summary>Factory for <c>type: regex</c>.</summary>
    public static IParser Create(ConfigNode node, ComponentContext context)
    {
        var name = node.String("name") ?? "regex";
        var patternNodes = PatternNodes(node);
        var patterns = patternNodes.Select(p => CompileAt(p.AsString(), p)).ToList();
        return FromOptions(name, node, patterns, new Dictionary<string, FieldType>(StringComparer.Ordinal));
    }

    /// <summary>The <c>pattern:</c> or <c>patterns:</c> nodes of a parser's options (exactly one of the two).</summary>
    internal static List<ConfigNode> PatternNodes(ConfigNode node)
    {
        var single = node.Get("pattern");
        var many = node.Get("patterns");
        if (single is not null && many is not null) throw many.Error("use either 'pattern' or 'patterns', not both");
        var list = single is not null ? [single] : many?.Items.ToList() ?? throw node.Error("missing required key 'pattern' (or 'patterns')");
        if (list.Count == 0) throw (many ?? node).Error("'patterns' needs at least one pattern");
        return list;
    }

    /// <summary>Compiles a pattern, turning a regex syntax error into a located configuration error.</summary>
    internal static FieldRegex CompileAt(string pattern, ConfigNode at, RegexOptions options = RegexOptions.None)
    {
        try { return FieldRegex.Compile(pattern, options); }
        catch (ArgumentException ex) { throw at.Error("bad regex: " + ex.Message); }
    }

    /// <summary>Reads the options shared by regex and grok (<c>field</c>, <c>prefilter</c>, <c>types</c>, <c>timestamp</c>).</summary>
    internal static RegexParser FromOptions(string name, ConfigNode node, List<FieldRegex> patterns, Dictionary<string, FieldType> inlineTypes)
    {
        var field = node.String("field");
        var prefilter = node.StringList("prefilter");
        if (prefilter is not null && prefilter.Any(string.IsNullOrEmpty)) throw node.Get("prefilter")!.Error("prefilter literals must not be empty");
        var types = FieldTypes.FromConfig(node);
        foreach (var (k, v) in inlineTypes) types.TryAdd(k, v);
        var timestamp = TimestampField.FromConfig(node);
        return new RegexParser(name, patterns, field, prefilter, types, timestamp);
    }

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        var input = line;
        if (Field is not null)
        {
            input = e.GetString(Field)!;
            if (input is null) return ParseOutcome.Unmatched($"no field {Field}");
        }
        if (_prefilter is not null && input.AsSpan().IndexOfAny(_prefilter) < 0) return ParseOutcome.Unmatched("prefilter");
        foreach (var p in _patterns)
        {
            Match? m;
            try { m = p.Match(input); }
            catch (RegexMatchTimeoutException) { return ParseOutcome.Failed("regex timeout"); }
            if (m is null) continue;
            return Apply(m, p, e, context);
        }
        return ParseOutcome.Unmatched();
    }

    private ParseOutcome Apply(Match m, FieldRegex p, Event e, ParseContext context)
    {
        foreach (var (group, field) in p.Fields)
        {
            var g = m.Groups[group];
            if (!g.Success || g.Length == 0) continue;
            var text = g.Value;
            if (!FieldTypes.SetTyped(e, field, text, _types))
                return ParseOutcome.Failed($"bad {FieldTypes.Describe(_types[field])} in {field}: {text}");
        }
        return Timestamp?.Apply(e, context) ?? ParseOutcome.Matched;
    }
}
