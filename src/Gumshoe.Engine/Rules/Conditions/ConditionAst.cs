using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Rules.Conditions;

/// <summary>A node of a parsed condition; both the expression syntax and Sigma-style matchers parse to these.</summary>
internal abstract record ConditionNode;

internal sealed record AndNode(IReadOnlyList<ConditionNode> Terms) : ConditionNode;
internal sealed record OrNode(IReadOnlyList<ConditionNode> Terms) : ConditionNode;
internal sealed record NotNode(ConditionNode Term) : ConditionNode;
/// <summary>At least <paramref name="Min"/> of the terms hold (Sigma's <c>2 of sel_*</c>).</summary>
internal sealed record AtLeastNode(IReadOnlyList<ConditionNode> Terms, int Min) : ConditionNode;
internal sealed record ConstantNode(bool Value) : ConditionNode;
internal sealed record ExistsNode(string Field) : ConditionNode;

/// <summary>Comparison operators; <c>!=</c> is parsed as <c>not ==</c>.</summary>
internal enum CompareOp { Eq, Lt, Le, Gt, Ge }

internal sealed record CompareNode(string Field, CompareOp Op, Literal Value, bool Cased) : ConditionNode;

internal enum TextOp { Contains, StartsWith, EndsWith }

internal sealed record TextNode(string Field, TextOp Op, string Text, bool Cased) : ConditionNode;

/// <summary>A regex test; <paramref name="Options"/> adds to the defaults (e.g. Multiline from Sigma's <c>re|m</c>).</summary>
internal sealed record RegexNode(string Field, string Pattern, RegexOptions Options, bool Cased) : ConditionNode;

internal sealed record InListNode(string Field, IReadOnlyList<Literal> Values, bool Cased) : ConditionNode;

internal sealed record CidrNode(string Field, IReadOnlyList<IPNetwork> Networks) : ConditionNode;

/// <summary>The kind of a literal as written.</summary>
internal enum LiteralKind { String, Number, Bool }

/// <summary>
/// A literal with every typed reading worked out once at compile time: a string literal such as <c>"42"</c>,
/// <c>"1.2.3.4"</c> or <c>"2024-05-01T00:00:00Z"</c> also carries its number, IP or timestamp reading.
/// </summary>
internal sealed class Literal
{
    public LiteralKind Kind { get; }
    public string Text { get; }
    public double? Number { get; }
    public long? Integer { get; }
    public bool Bool { get; }
    public IPAddress? Ip { get; }
    public DateTimeOffset? Time { get; }

    private Literal(LiteralKind kind, string text)
    {
        Kind = kind;
        Text = text;
        if (kind == LiteralKind.Bool) Bool = text == "true";
        if (LooksNumeric(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            Number = d;
            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) Integer = l;
        }
        if (kind == LiteralKind.String)
        {
            // IPAddress.TryParse accepts "42" as 0.0.0.42; only dotted quads and colon forms count as addresses.
            if ((text.Count(c => c == '.') == 3 || text.Contains(':')) && IPAddress.TryParse(text, out var ip)) Ip = ip;
            if (LooksLikeDate(text) && EventTime.TryParse(text, out var t)) Time = t;
        }
    }

    public static Literal String(string text) => new(LiteralKind.String, text);
    public static Literal NumberToken(string text) => new(LiteralKind.Number, text);
    public static Literal Boolean(bool value) => new(LiteralKind.Bool, value ? "true" : "false");

    private static bool LooksNumeric(string s) =>
        s.Length > 0 && (char.IsAsciiDigit(s[0]) || (s.Length > 1 && s[0] is '-' or '+' or '.' && (char.IsAsciiDigit(s[1]) || s[1] == '.')));

    private static bool LooksLikeDate(string s) =>
        s.Length >= 10 && char.IsAsciiDigit(s[0]) && char.IsAsciiDigit(s[1]) && char.IsAsciiDigit(s[2]) && char.IsAsciiDigit(s[3]) && s[4] == '-' && s[7] == '-';

    public override string ToString() => Kind == LiteralKind.String ? $"\"{Text}\"" : Text;
}
