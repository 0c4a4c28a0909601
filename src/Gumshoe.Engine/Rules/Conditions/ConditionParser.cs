using System.Globalization;
using System.Net;
using System.Text;

namespace Gumshoe.Engine.Rules.Conditions;

/// <summary>
/// Parses the condition expression syntax into a <see cref="ConditionNode"/> tree; see <see cref="ConditionCompiler"/>
/// for the language. When given Sigma selections, bare names and <c>1 of x*</c> / <c>all of them</c> refer to them.
/// </summary>
internal sealed class ConditionParser
{
    private enum T { End, Ident, Quoted, String, Number, LParen, RParen, LBracket, RBracket, Comma, Eq, Ne, Lt, Le, Gt, Ge, And, Or, Bang }

    private readonly record struct Token(T Type, string Text, int Pos);

    private readonly List<Token> _tokens;
    private readonly IReadOnlyDictionary<string, ConditionNode>? _selections;
    private int _i;
    private bool _cased;

    private ConditionParser(string text, IReadOnlyDictionary<string, ConditionNode>? selections)
    {
        _tokens = Lex(text);
        _selections = selections;
    }

    /// <summary>Parses an expression; <paramref name="selections"/> enables Sigma selection references.</summary>
    public static ConditionNode Parse(string text, IReadOnlyDictionary<string, ConditionNode>? selections = null)
    {
        var p = new ConditionParser(text, selections);
        if (p.Peek.Type == T.End) throw new ConditionSyntaxException("empty condition", 1);
        var node = p.ParseOr();
        if (p.Peek.Type != T.End) throw Error(p.Peek, $"unexpected '{p.Peek.Text}' after a complete condition (missing 'and'/'or'?)");
        return node;
    }

    private Token Peek => _tokens[_i];
    private Token PeekAt(int k) => _tokens[Math.Min(_i + k, _tokens.Count - 1)];
    private Token Next()
    {
        var t = _tokens[_i];
        if (_i < _tokens.Count - 1) _i++;
        return t;
    }

    private static ConditionSyntaxException Error(Token t, string problem) => new(problem, t.Pos + 1);

    private bool IsWord(Token t, string word) => t.Type == T.Ident && t.Text.Equals(word, StringComparison.OrdinalIgnoreCase);

    private Token Expect(T type, string what)
    {
        var t = Peek;
        if (t.Type != type) throw Error(t, $"expected {what}, got {Describe(t)}");
        return Next();
    }

    private static string Describe(Token t) => t.Type == T.End ? "end of condition" : $"'{t.Text}'";

    private ConditionNode ParseOr()
    {
        var terms = new List<ConditionNode> { ParseAnd() };
        while (Peek.Type == T.Or || IsWord(Peek, "or"))
        {
            Next();
            terms.Add(ParseAnd());
        }
        return terms.Count == 1 ? terms[0] : new OrNode(terms);
    }

    private ConditionNode ParseAnd()
    {
        var terms = new List<ConditionNode> { ParseUnary() };
        while (Peek.Type == T.And || IsWord(Peek, "and"))
        {
            Next();
            terms.Add(ParseUnary());
        }
        return terms.Count == 1 ? terms[0] : new AndNode(terms);
    }

    private ConditionNode ParseUnary()
    {
        if (Peek.Type == T.Bang || IsWord(Peek, "not"))
        {
            Next();
            return new NotNode(ParseUnary());
        }
        return ParsePrimary();
    }

    private ConditionNode ParsePrimary()
    {
        var t = Peek;
        switch (t.Type)
        {
            case T.LParen:
            {
                Next();
                var inner = ParseOr();
                Expect(T.RParen, "')'");
                return inner;
            }
            case T.Number when IsWord(PeekAt(1), "of"):
                return ParseOf();
            case T.Quoted:
                return ParseFieldTest();
            case T.Ident:
                if (IsWord(t, "exists") && PeekAt(1).Type == T.LParen)
                {
                    Next(); Next();
                    var field = ParseFieldName();
                    Expect(T.RParen, "')' after the field name");
                    return new ExistsNode(field);
                }
                if (IsWord(t, "cased") && PeekAt(1).Type == T.LParen)
                {
                    Next(); Next();
                    var outer = _cased;
                    _cased = true;
                    var inner = ParseOr();
                    _cased = outer;
                    Expect(T.RParen, "')' closing cased(...)");
                    return inner;
                }
                if (IsWord(t, "all") && IsWord(PeekAt(1), "of")) return ParseOf();
                if (!StartsOperator(PeekAt(1)))
                {
                    if (IsWord(t, "true")) { Next(); return new ConstantNode(true); }
                    if (IsWord(t, "false")) { Next(); return new ConstantNode(false); }
                    if (_selections is not null && _selections.TryGetValue(t.Text, out var sel)) { Next(); return sel; }
                }
                return ParseFieldTest();
            default:
                throw Error(t, $"expected a field test, '(' or 'not', got {Describe(t)}");
        }
    }

    private bool StartsOperator(Token t) => t.Type is T.Eq or T.Ne or T.Lt or T.Le or T.Gt or T.Ge
        || (t.Type == T.Ident && t.Text.ToLowerInvariant() is "in" or "not" or "contains" or "startswith" or "endswith" or "matches" or "exists");

    // "1 of sel_*", "all of them": Sigma selection quantifiers.
    private ConditionNode ParseOf()
    {
        var q = Next();
        if (_selections is null) throw Error(q, "'of' refers to selections, which exist only in a { selections:, condition: } block");
        Next(); // "of"
        var pt = Peek;
        if (pt.Type != T.Ident) throw Error(pt, $"expected a selection name pattern or 'them' after 'of', got {Describe(pt)}");
        Next();
        var pattern = pt.Text;
        var matched = _selections
            .Where(kv => pattern.Equals("them", StringComparison.OrdinalIgnoreCase) ? !kv.Key.StartsWith('_') : GlobMatches(pattern, kv.Key))
            .Select(kv => kv.Value)
            .ToList();
        if (matched.Count == 0) throw Error(pt, $"no selection matches '{pattern}' (selections: {string.Join(", ", _selections.Keys)})");
        if (q.Type == T.Ident) return matched.Count == 1 ? matched[0] : new AndNode(matched);
        if (!int.TryParse(q.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            throw Error(q, $"expected a positive whole number before 'of', got '{q.Text}'");
        if (n == 1) return matched.Count == 1 ? matched[0] : new OrNode(matched);
        if (n > matched.Count) return new ConstantNode(false);
        return new AtLeastNode(matched, n);
    }

    private static bool GlobMatches(string pattern, string name)
    {
        var star = pattern.IndexOf('*');
        if (star < 0) return pattern.Equals(name, StringComparison.Ordinal);
        var parts = pattern.Split('*');
        if (!name.StartsWith(parts[0], StringComparison.Ordinal)) return false;
        var pos = parts[0].Length;
        for (var k = 1; k < parts.Length - 1; k++)
        {
            var at = name.IndexOf(parts[k], pos, StringComparison.Ordinal);
            if (at < 0) return false;
            pos = at + parts[k].Length;
        }
        var last = parts[^1];
        return name.Length - pos >= last.Length && name.EndsWith(last, StringComparison.Ordinal);
    }

    private string ParseFieldName()
    {
        var t = Peek;
        if (t.Type == T.Quoted) { Next(); return t.Text; }
        if (t.Type != T.Ident) throw Error(t, $"expected a field name, got {Describe(t)}");
        if (t.Text.Contains('*')) throw Error(t, $"'*' is not allowed in a field name ('{t.Text}'); quote odd names with backticks");
        Next();
        return t.Text;
    }

    private ConditionNode ParseFieldTest()
    {
        var fieldToken = Peek;
        var field = ParseFieldName();
        var op = Peek;
        switch (op.Type)
        {
            case T.Eq or T.Ne:
            {
                Next();
                var (lit, isNull) = ParseValue();
                ConditionNode eq = isNull ? new NotNode(new ExistsNode(field)) : new CompareNode(field, CompareOp.Eq, lit!, _cased);
                return op.Type == T.Ne ? Negate(eq) : eq;
            }
            case T.Lt or T.Le or T.Gt or T.Ge:
            {
                Next();
                var vt = Peek;
                var (lit, isNull) = ParseValue();
                if (isNull || lit!.Kind == LiteralKind.Bool) throw Error(vt, $"'{op.Text}' needs a number, timestamp or string, got {Describe(vt)}");
                var cop = op.Type switch { T.Lt => CompareOp.Lt, T.Le => CompareOp.Le, T.Gt => CompareOp.Gt, _ => CompareOp.Ge };
                return new CompareNode(field, cop, lit, _cased);
            }
            case T.Ident:
            {
                var negate = false;
                if (IsWord(op, "not") && StartsOperator(PeekAt(1)) && !IsWord(PeekAt(1), "not"))
                {
                    Next();
                    negate = true;
                    op = Peek;
                }
                if (op.Type == T.Ident && StartsOperator(op) && !IsWord(op, "not"))
                {
                    Next();
                    var node = op.Text.ToLowerInvariant() switch
                    {
                        "exists" => new ExistsNode(field),
                        "in" => ParseIn(field),
                        "contains" => ParseText(field, TextOp.Contains),
                        "startswith" => ParseText(field, TextOp.StartsWith),
                        "endswith" => ParseText(field, TextOp.EndsWith),
                        _ => ParseMatches(field),
                    };
                    return negate ? Negate(node) : node;
                }
                break;
            }
        }
        if (_selections is not null && !_selections.ContainsKey(field) && fieldToken.Type == T.Ident && !StartsOperator(op))
            throw Error(fieldToken, $"unknown selection '{field}' (selections: {string.Join(", ", _selections.Keys)})");
        throw Error(op, $"expected an operator after '{field}' (==, !=, <, <=, >, >=, in, contains, startswith, endswith, matches, exists), got {Describe(op)}");
    }

    private static ConditionNode Negate(ConditionNode n) => n is NotNode not ? not.Term : new NotNode(n);

    private (Literal? Value, bool IsNull) ParseValue()
    {
        var t = Peek;
        switch (t.Type)
        {
            case T.String: Next(); return (Literal.String(t.Text), false);
            case T.Number: Next(); return (Literal.NumberToken(t.Text), false);
            case T.Ident when IsWord(t, "true") || IsWord(t, "false"): Next(); return (Literal.Boolean(IsWord(t, "true")), false);
            case T.Ident when IsWord(t, "null"): Next(); return (null, true);
            default: throw Error(t, $"expected a value (a quoted string, number, true, false or null), got {Describe(t)}");
        }
    }

    // A single string, or a list "(a, b)" meaning any of them.
    private List<(string Text, Token At)> ParseStrings(string what)
    {
        var t = Peek;
        if (t.Type == T.String) { Next(); return [(t.Text, t)]; }
        if (t.Type is T.LParen or T.LBracket) return ParseList(what).Select(x => (x.Lit.Text, x.At)).ToList();
        throw Error(t, $"expected {what} (a quoted string or a list in parentheses), got {Describe(t)}");
    }

    private List<(Literal Lit, Token At)> ParseList(string what)
    {
        var open = Next();
        var close = open.Type == T.LParen ? T.RParen : T.RBracket;
        var items = new List<(Literal, Token)>();
        while (Peek.Type != close)
        {
            var vt = Peek;
            var (lit, isNull) = ParseValue();
            if (isNull) throw Error(vt, "null cannot be a list item; use 'not exists(field)'");
            items.Add((lit!, vt));
            if (Peek.Type == T.Comma) Next();
            else if (Peek.Type != close) throw Error(Peek, $"expected ',' or '{(close == T.RParen ? ")" : "]")}' in {what}, got {Describe(Peek)}");
        }
        Next();
        if (items.Count == 0) throw Error(open, $"empty list in {what}");
        return items;
    }

    private ConditionNode ParseIn(string field)
    {
        var t = Peek;
        if (IsWord(t, "cidr") && PeekAt(1).Type == T.LParen)
        {
            Next();
            var nets = new List<IPNetwork>();
            foreach (var (lit, at) in ParseList("cidr(...)"))
            {
                if (lit.Kind != LiteralKind.String || !Cidr.TryParse(lit.Text, out var net)) throw Error(at, $"'{lit.Text}' is not a CIDR network like \"10.0.0.0/8\" or \"2001:db8::/32\"");
                nets.Add(net);
            }
            return new CidrNode(field, nets);
        }
        if (t.Type is T.LParen or T.LBracket) return new InListNode(field, ParseList("the 'in' list").Select(x => x.Lit).ToList(), _cased);
        throw Error(t, $"expected a list like (\"a\", \"b\") or cidr(\"10.0.0.0/8\") after 'in', got {Describe(t)}");
    }

    private ConditionNode ParseText(string field, TextOp op)
    {
        var items = ParseStrings("a string").Select(s => (ConditionNode)new TextNode(field, op, s.Text, _cased)).ToList();
        return items.Count == 1 ? items[0] : new OrNode(items);
    }

    private ConditionNode ParseMatches(string field)
    {
        var items = new List<ConditionNode>();
        foreach (var (text, at) in ParseStrings("a regex"))
        {
            try { UserRegex.Validate(text); }
            catch (ArgumentException ex) { throw Error(at, $"invalid regex: {ex.Message}"); }
            items.Add(new RegexNode(field, text, default, _cased));
        }
        return items.Count == 1 ? items[0] : new OrNode(items);
    }

    private static List<Token> Lex(string s)
    {
        var list = new List<Token>();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            var start = i;
            switch (c)
            {
                case '(': list.Add(new(T.LParen, "(", i++)); continue;
                case ')': list.Add(new(T.RParen, ")", i++)); continue;
                case '[': list.Add(new(T.LBracket, "[", i++)); continue;
                case ']': list.Add(new(T.RBracket, "]", i++)); continue;
                case ',': list.Add(new(T.Comma, ",", i++)); continue;
                case '=':
                    i += i + 1 < s.Length && s[i + 1] == '=' ? 2 : 1;
                    list.Add(new(T.Eq, s[start..i], start));
                    continue;
                case '!':
                    if (i + 1 < s.Length && s[i + 1] == '=') { list.Add(new(T.Ne, "!=", i)); i += 2; }
                    else list.Add(new(T.Bang, "!", i++));
                    continue;
                case '<' or '>':
                {
                    var eq = i + 1 < s.Length && s[i + 1] == '=';
                    if (c == '<' && i + 1 < s.Length && s[i + 1] == '>') { list.Add(new(T.Ne, "<>", i)); i += 2; continue; }
                    list.Add(new(c == '<' ? (eq ? T.Le : T.Lt) : (eq ? T.Ge : T.Gt), s.Substring(i, eq ? 2 : 1), i));
                    i += eq ? 2 : 1;
                    continue;
                }
                case '&' or '|':
                    if (i + 1 < s.Length && s[i + 1] == c) { list.Add(new(c == '&' ? T.And : T.Or, s.Substring(i, 2), i)); i += 2; continue; }
                    throw new ConditionSyntaxException($"'{c}' must be doubled ('{c}{c}') or written as '{(c == '&' ? "and" : "or")}'", i + 1);
                case '"' or '\'':
                    list.Add(new(T.String, LexString(s, ref i), start));
                    continue;
                case '`':
                {
                    var end = s.IndexOf('`', i + 1);
                    if (end < 0) throw new ConditionSyntaxException("unterminated `quoted field name`", i + 1);
                    if (end == i + 1) throw new ConditionSyntaxException("empty `quoted field name`", i + 1);
                    list.Add(new(T.Quoted, s[(i + 1)..end], i));
                    i = end + 1;
                    continue;
                }
            }
            if (char.IsAsciiDigit(c) || ((c is '-' or '+' or '.') && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1])))
            {
                i++;
                while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '.' || ((s[i] is '-' or '+') && s[i - 1] is 'e' or 'E'))) i++;
                var text = s[start..i];
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                    throw new ConditionSyntaxException($"'{text}' is not a number (quote strings; field names start with a letter, '_' or '@')", start + 1);
                list.Add(new(T.Number, text, start));
                continue;
            }
            if (char.IsAsciiLetter(c) || c is '_' or '@')
            {
                i++;
                while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] is '_' or '.' or '@' or '*')) i++;
                var text = s[start..i];
                if (text.EndsWith('.')) throw new ConditionSyntaxException($"field name '{text}' ends with '.'", start + 1);
                list.Add(new(T.Ident, text, start));
                continue;
            }
            throw new ConditionSyntaxException($"unexpected character '{c}'", i + 1);
        }
        list.Add(new(T.End, "", s.Length));
        return list;
    }

    // Escapes: \\ \" \' \n \r \t \0 \uXXXX. Any other backslash pair is kept as written, so regexes read naturally: "\d+".
    private static string LexString(string s, ref int i)
    {
        var quote = s[i];
        var start = i;
        i++;
        var sb = new StringBuilder();
        while (i < s.Length)
        {
            var c = s[i];
            if (c == quote) { i++; return sb.ToString(); }
            if (c == '\\' && i + 1 < s.Length)
            {
                var e = s[i + 1];
                switch (e)
                {
                    case '\\' or '"' or '\'': sb.Append(e); i += 2; continue;
                    case 'n': sb.Append('\n'); i += 2; continue;
                    case 'r': sb.Append('\r'); i += 2; continue;
                    case 't': sb.Append('\t'); i += 2; continue;
                    case '0': sb.Append('\0'); i += 2; continue;
                    case 'u':
                        if (i + 6 <= s.Length && ushort.TryParse(s.AsSpan(i + 2, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                        {
                            sb.Append((char)code);
                            i += 6;
                            continue;
                        }
                        throw new ConditionSyntaxException("'\\u' needs four hex digits", i + 1);
                    default: sb.Append(c).Append(e); i += 2; continue;
                }
            }
            sb.Append(c);
            i++;
        }
        throw new ConditionSyntaxException($"unterminated string (starts with {quote})", start + 1);
    }
}

/// <summary>Parses CIDR notation; a bare address is a /32 or /128 network.</summary>
internal static class Cidr
{
    public static bool TryParse(string text, out IPNetwork network)
    {
        text = text.Trim();
        if (!text.Contains('/') && IPAddress.TryParse(text, out var ip))
        {
            network = new IPNetwork(ip, ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return IPNetwork.TryParse(text, out network);
    }
}
