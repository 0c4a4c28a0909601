using System.Text;
using System.Text.RegularExpressions;
using Gumshoe.Engine.Config;
using YamlDotNet.RepresentationModel;

namespace Gumshoe.Engine.Rules.Conditions;

/// <summary>
/// Reads conditions written in YAML: an expression string, Sigma-style field matchers, lists of them, or named
/// selections combined by a Sigma condition.
/// </summary>
/// <remarks>
/// A matcher key is <c>field|modifier|modifier...</c>; its value is one value or a list (any of them, or all of
/// them with <c>|all</c>). Modifiers:
/// <list type="bullet">
/// <item>none (equals, case-insensitive). As in Sigma, <c>*</c> matches any run of characters and <c>?</c> one
/// character; write <c>\*</c>, <c>\?</c>, <c>\\</c> for the characters themselves. <c>field: null</c> means the
/// field is absent. A value that reads as a number also matches number fields numerically.</item>
/// <item><c>contains</c>, <c>startswith</c>, <c>endswith</c> (wildcards allowed too).</item>
/// <item><c>re</c> / <c>regex</c>, with optional <c>i</c> (already the default), <c>m</c> (multi-line), <c>s</c> (dot
/// matches newline).</item>
/// <item><c>cidr</c>: IPv4 or IPv6 networks such as <c>10.0.0.0/8</c>, <c>2001:db8::/32</c>.</item>
/// <item><c>lt</c>, <c>lte</c>, <c>gt</c>, <c>gte</c>: numbers or RFC 3339 timestamps.</item>
/// <item><c>exists</c>: <c>true</c> or <c>false</c>.</item>
/// <item><c>neq</c>: equal to none of the values.</item>
/// <item><c>all</c>: every listed value must match (default: any); <c>cased</c>: compare case-sensitively.</item>
/// </list>
/// <code>
/// event.outcome: failure
/// user.name|startswith: adm
/// source.ip|cidr: [10.0.0.0/8, "fd00::/8"]
/// message|contains|all: [Failed, password]
/// url.path|endswith: [.php, .asp]
/// message|re: 'user \w+ from'
/// user.name|exists: true
/// http.response.status_code|gte: 400
/// </code>
/// </remarks>
internal static partial class SigmaMatcher
{
    private static readonly string[] Primary = ["equals", "eq", "contains", "startswith", "endswith", "re", "regex", "cidr", "lt", "lte", "gt", "gte", "exists", "neq"];
    private static readonly string[] Flags = ["all", "cased", "i", "m", "s"];

    /// <summary>Parses any of the accepted YAML shapes; errors are located at the offending node.</summary>
    public static ConditionNode Parse(ConfigNode node)
    {
        if (node.IsNull) throw node.Error("empty condition: expected an expression, field matchers or selections");
        if (node.IsScalar) return Expression(node, node.AsString(), null);
        if (node.IsSequence)
        {
            var items = node.Items.Select(Parse).ToList();
            if (items.Count == 0) throw node.Error("empty list of conditions");
            return items.Count == 1 ? items[0] : new OrNode(items);
        }
        if (node.Has("selections")) return Selections(node, node.Required("selections"));
        if (node.Has("condition") && IsDetection(node)) return Selections(node, node);
        return Matchers(node);
    }

    // A Sigma detection block: "condition" plus selections, each a mapping or a list of mappings.
    private static bool IsDetection(ConfigNode node)
    {
        var map = (YamlMappingNode)node.Node;
        return map.Children.Count > 1 && map.Children.All(kv =>
            ((YamlScalarNode)kv.Key).Value == "condition"
            || kv.Value is YamlMappingNode
            || (kv.Value is YamlSequenceNode seq && seq.Children.Count > 0 && seq.Children.All(c => c is YamlMappingNode)));
    }

    private static ConditionNode Selections(ConfigNode block, ConfigNode selectionsNode)
    {
        var selections = new Dictionary<string, ConditionNode>(StringComparer.Ordinal);
        var map = selectionsNode.Node as YamlMappingNode ?? throw selectionsNode.Error("expected a mapping of selection names to field matchers");
        foreach (var (keyNode, _) in map.Children)
        {
            var name = ((YamlScalarNode)keyNode).Value ?? "";
            if (name == "condition" && ReferenceEquals(block, selectionsNode)) continue;
            if (!ValidName().IsMatch(name))
                throw Located(block, keyNode, $"selection name '{name}' must start with a letter or '_' and use only letters, digits, '_' and '.'");
            var value = selectionsNode.Required(name);
            if (value.IsScalar) throw value.Error($"selection '{name}' must be field matchers (a mapping) or a list of them, not a single value");
            selections[name] = value.IsSequence
                ? Any(value.Items.Select(item => item.IsMapping ? Matchers(item) : throw item.Error($"items of selection '{name}' must be field-matcher mappings")).ToList())
                : Matchers(value);
        }
        if (selections.Count == 0) throw selectionsNode.Error("no selections defined");
        var conditionNode = block.Required("condition");
        if (!ReferenceEquals(block, selectionsNode)) block.EnsureNoUnknownKeys("condition block (expected 'selections' and 'condition')");
        return Expression(conditionNode, conditionNode.AsString(), selections);
    }

    private static ConditionNode Expression(ConfigNode node, string text, IReadOnlyDictionary<string, ConditionNode>? selections)
    {
        try
        {
            return ConditionParser.Parse(text, selections);
        }
        catch (ConditionSyntaxException ex)
        {
            throw node.Error($"condition column {ex.Column}: {ex.Problem}");
        }
    }

    private static ConditionNode Matchers(ConfigNode node)
    {
        var map = (YamlMappingNode)node.Node;
        if (map.Children.Count == 0) throw node.Error("empty field-matcher mapping");
        var terms = new List<ConditionNode>();
        foreach (var (keyNode, _) in map.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            terms.Add(Matcher(node, keyNode, key, node.Required(key)));
        }
        return terms.Count == 1 ? terms[0] : new AndNode(terms);
    }

    private static ConfigException Located(ConfigNode at, YamlNode yaml, string problem) => new(at.File, yaml.Start.Line, yaml.Start.Column, problem);

    private static ConditionNode Matcher(ConfigNode parent, YamlNode keyNode, string key, ConfigNode value)
    {
        var parts = key.Split('|');
        var field = parts[0].Trim();
        if (field.Length == 0) throw Located(parent, keyNode, $"matcher '{key}' has no field name");
        var mods = parts.Skip(1).Select(m => m.Trim().ToLowerInvariant()).ToList();
        foreach (var m in mods)
            if (!Primary.Contains(m) && !Flags.Contains(m))
                throw Located(parent, keyNode, $"unknown modifier '{m}' in '{key}' (known: {string.Join(", ", Primary.Concat(Flags))})");
        var primaries = mods.Where(Primary.Contains).ToList();
        if (primaries.Count > 1) throw Located(parent, keyNode, $"'{key}' combines {string.Join(" and ", primaries)}; use one of them");
        var op = primaries.Count == 0 ? "equals" : primaries[0] == "eq" ? "equals" : primaries[0] == "regex" ? "re" : primaries[0];
        var all = mods.Contains("all");
        var cased = mods.Contains("cased");
        var reFlags = (mods.Contains("m") ? RegexOptions.Multiline : 0) | (mods.Contains("s") ? RegexOptions.Singleline : 0);
        if (op != "re" && mods.Any(m => m is "i" or "m" or "s"))
            throw Located(parent, keyNode, $"'{key}': the i, m and s modifiers go with re");

        var values = value.IsSequence ? value.Items.ToList() : [value];
        if (values.Count == 0) throw value.Error($"'{key}' has an empty list of values");
        foreach (var v in values)
            if (!v.IsScalar) throw v.Error($"values of '{key}' must be single values, not mappings or nested lists");

        if (op == "exists")
        {
            if (values.Count != 1) throw value.Error($"'{key}' takes true or false");
            return values[0].AsBool() ? new ExistsNode(field) : new NotNode(new ExistsNode(field));
        }

        var terms = new List<ConditionNode>();
        var plain = new List<Literal>();
        foreach (var v in values)
        {
            if (v.IsNull)
            {
                if (op is not ("equals" or "neq")) throw v.Error($"'{key}' needs a value, not null");
                terms.Add(new NotNode(new ExistsNode(field)));
                continue;
            }
            var text = v.AsString();
            switch (op)
            {
                case "equals" or "neq":
                    if (HasWildcard(text)) terms.Add(Glob(field, text, cased));
                    else plain.Add(Literal.String(Unescape(text)));
                    break;
                case "contains": terms.Add(Glob(field, "*" + text + "*", cased)); break;
                case "startswith": terms.Add(Glob(field, text + "*", cased)); break;
                case "endswith": terms.Add(Glob(field, "*" + text, cased)); break;
                case "re":
                    try { UserRegex.Validate(text); }
                    catch (ArgumentException ex) { throw v.Error($"invalid regex: {ex.Message}"); }
                    terms.Add(new RegexNode(field, text, reFlags, cased));
                    break;
                case "cidr":
                    if (!Cidr.TryParse(text, out var net)) throw v.Error($"'{text}' is not a CIDR network like 10.0.0.0/8 or 2001:db8::/32");
                    terms.Add(new CidrNode(field, [net]));
                    break;
                default:
                {
                    var lit = Literal.String(text);
                    if (lit.Number is null && lit.Time is null) throw v.Error($"'{key}' needs a number or an RFC 3339 timestamp, got '{text}'");
                    var cop = op switch { "lt" => CompareOp.Lt, "lte" => CompareOp.Le, "gt" => CompareOp.Gt, _ => CompareOp.Ge };
                    terms.Add(new CompareNode(field, cop, lit, cased));
                    break;
                }
            }
        }

        if (op == "neq")
        {
            // Equal to none of the values.
            terms.AddRange(plain.Select(l => (ConditionNode)new CompareNode(field, CompareOp.Eq, l, cased)));
            return new NotNode(Any(terms));
        }
        if (all)
        {
            terms.AddRange(plain.Select(l => (ConditionNode)new CompareNode(field, CompareOp.Eq, l, cased)));
            return terms.Count == 1 ? terms[0] : new AndNode(terms);
        }
        if (plain.Count == 1) terms.Add(new CompareNode(field, CompareOp.Eq, plain[0], cased));
        else if (plain.Count > 1) terms.Add(new InListNode(field, plain, cased));
        // Several networks share one test.
        var cidrs = terms.OfType<CidrNode>().ToList();
        if (cidrs.Count > 1)
        {
            terms.RemoveAll(t => t is CidrNode);
            terms.Add(new CidrNode(field, cidrs.SelectMany(c => c.Networks).ToList()));
        }
        return Any(terms);
    }

    private static ConditionNode Any(List<ConditionNode> terms) => terms.Count == 1 ? terms[0] : new OrNode(terms);

    private static bool HasWildcard(string s)
    {
        for (var k = 0; k < s.Length; k++)
        {
            if (s[k] == '\\' && k + 1 < s.Length && s[k + 1] is '*' or '?' or '\\') { k++; continue; }
            if (s[k] is '*' or '?') return true;
        }
        return false;
    }

    // Sigma escapes: \* \? \\ stand for the characters; any other backslash is literal.
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder(s.Length);
        for (var k = 0; k < s.Length; k++)
        {
            if (s[k] == '\\' && k + 1 < s.Length && s[k + 1] is '*' or '?' or '\\') { sb.Append(s[k + 1]); k++; continue; }
            sb.Append(s[k]);
        }
        return sb.ToString();
    }

    /// <summary>
    /// A Sigma wildcard value: plain text becomes equals, <c>*x*</c>/<c>x*</c>/<c>*x</c> become contains, startswith
    /// and endswith, a lone <c>*</c> means the field exists, anything else an anchored regex.
    /// </summary>
    private static ConditionNode Glob(string field, string pattern, bool cased)
    {
        var parts = new List<(bool Wild, string Text)>();
        var lit = new StringBuilder();
        for (var k = 0; k < pattern.Length; k++)
        {
            var c = pattern[k];
            if (c == '\\' && k + 1 < pattern.Length && pattern[k + 1] is '*' or '?' or '\\') { lit.Append(pattern[++k]); continue; }
            if (c is '*' or '?')
            {
                if (lit.Length > 0) { parts.Add((false, lit.ToString())); lit.Clear(); }
                if (c == '*' && parts.Count > 0 && parts[^1] == (true, "*")) continue;
                parts.Add((true, c.ToString()));
                continue;
            }
            lit.Append(c);
        }
        if (lit.Length > 0) parts.Add((false, lit.ToString()));

        var star = (true, "*");
        switch (parts.Count)
        {
            case 0: return new CompareNode(field, CompareOp.Eq, Literal.String(""), cased);
            case 1 when !parts[0].Wild: return new CompareNode(field, CompareOp.Eq, Literal.String(parts[0].Text), cased);
            case 1 when parts[0] == star: return new ExistsNode(field);
            case 2 when parts[0] == star && !parts[1].Wild: return new TextNode(field, TextOp.EndsWith, parts[1].Text, cased);
            case 2 when parts[1] == star && !parts[0].Wild: return new TextNode(field, TextOp.StartsWith, parts[0].Text, cased);
            case 3 when parts[0] == star && parts[2] == star && !parts[1].Wild: return new TextNode(field, TextOp.Contains, parts[1].Text, cased);
        }
        var re = new StringBuilder("^");
        foreach (var (wild, text) in parts) re.Append(wild ? (text == "*" ? ".*" : ".") : Regex.Escape(text));
        re.Append('$');
        return new RegexNode(field, re.ToString(), RegexOptions.Singleline, cased);
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.]*$")]
    private static partial Regex ValidName();
}
