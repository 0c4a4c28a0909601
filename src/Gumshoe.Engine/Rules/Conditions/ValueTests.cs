using System.Globalization;
using System.Net;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Rules.Conditions;

/// <summary>
/// Builds the per-value predicates behind field tests. Each predicate sees one scalar value; arrays are handled by
/// <see cref="Any"/>, so a test on an array field is true when any element passes.
/// </summary>
internal static class ValueTests
{
    /// <summary>True when the value, or any element of it when it is an array (recursively), passes the test.</summary>
    public static bool Any(in FieldValue value, Func<FieldValue, bool> test)
    {
        switch (value.Kind)
        {
            case FieldKind.Null: return false;
            case FieldKind.Array:
                var items = value.AsArray();
                for (var k = 0; k < items.Count; k++)
                    if (Any(items[k], test)) return true;
                return false;
            default: return test(value);
        }
    }

    /// <summary>The text of a scalar, without allocating for strings; null for objects.</summary>
    public static string? Text(in FieldValue v) => v.Kind switch
    {
        FieldKind.String => v.AsString(),
        FieldKind.Object or FieldKind.Null or FieldKind.Array => null,
        _ => v.ToString(),
    };

    /// <summary>The numeric reading of a value: numbers as they are, strings parsed (invariant culture).</summary>
    public static bool TryNumber(in FieldValue v, out double d)
    {
        switch (v.Kind)
        {
            case FieldKind.Long: d = v.AsLong(); return true;
            case FieldKind.Double: d = v.AsDouble(); return !double.IsNaN(d);
            case FieldKind.String:
                return double.TryParse(v.AsString().AsSpan().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out d) && !double.IsNaN(d);
            default: d = 0; return false;
        }
    }

    public static Func<FieldValue, bool> Equal(Literal lit, bool cased)
    {
        var cmp = cased ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        var text = lit.Text;
        switch (lit.Kind)
        {
            case LiteralKind.Bool:
            {
                var b = lit.Bool;
                return v => v.Kind == FieldKind.Bool ? v.AsBool() == b
                    : v.Kind == FieldKind.String && bool.TryParse(v.AsString().AsSpan().Trim(), out var x) && x == b;
            }
            case LiteralKind.Number:
            {
                var n = lit.Number!.Value;
                if (lit.Integer is { } whole) return v => v.Kind == FieldKind.Long ? v.AsLong() == whole : TryNumber(v, out var d) && d == n;
                return v => TryNumber(v, out var d) && d == n;
            }
        }
        var number = lit.Number;
        var ip = lit.Ip;
        var time = lit.Time;
        // a string against a string literal, the common case, is settled by its length before any character is read;
        // a text of the literal's exact spelling (parsers' constants, and most events) by an ordinal comparison
        if (cased) return v => v.Reference is string s ? s.Length == text.Length && string.Equals(s, text) : Other(v);
        return v => v.Reference is string s
            ? s.Length == text.Length && (string.Equals(s, text) || string.Equals(s, text, StringComparison.OrdinalIgnoreCase))
            : Other(v);

        // any other kind (a string value is always settled above)
        bool Other(FieldValue v)
        {
            switch (v.Kind)
            {
                case FieldKind.Long or FieldKind.Double:
                    return number is { } n ? TryNumber(v, out var d) && d == n : string.Equals(v.ToString(), text, cmp);
                case FieldKind.Ip:
                    return ip is not null ? SameAddress(v.AsIp()!, ip) : string.Equals(v.ToString(), text, StringComparison.OrdinalIgnoreCase);
                case FieldKind.Timestamp:
                    return time is { } t ? v.AsTimestamp() == t : string.Equals(v.ToString(), text, StringComparison.OrdinalIgnoreCase);
                case FieldKind.Bool: return string.Equals(v.ToString(), text.Trim(), StringComparison.OrdinalIgnoreCase);
                default: return false;
            }
        }
    }

    private static bool SameAddress(IPAddress a, IPAddress b) =>
        a.Equals(b) || (a.IsIPv4MappedToIPv6 && a.MapToIPv4().Equals(b)) || (b.IsIPv4MappedToIPv6 && b.MapToIPv4().Equals(a));

    /// <summary>
    /// Ordering: numerically when the literal is a number (or a string holding one), by time when it is an RFC 3339
    /// timestamp, otherwise by ordinal string order.
    /// </summary>
    public static Func<FieldValue, bool> Order(Literal lit, CompareOp op, bool cased)
    {
        if (lit.Number is { } n)
        {
            return op switch
            {
                CompareOp.Lt => v => TryNumber(v, out var d) && d < n,
                CompareOp.Le => v => TryNumber(v, out var d) && d <= n,
                CompareOp.Gt => v => TryNumber(v, out var d) && d > n,
                _ => v => TryNumber(v, out var d) && d >= n,
            };
        }
        if (lit.Time is { } t)
        {
            var ticks = t.UtcTicks;
            return v =>
            {
                long x;
                if (v.Kind == FieldKind.Timestamp) x = v.AsTimestamp().UtcTicks;
                else if (v.Kind == FieldKind.String && EventTime.TryParse(v.AsString(), out var parsed)) x = parsed.UtcTicks;
                else return false;
                return Holds(op, x.CompareTo(ticks));
            };
        }
        var text = lit.Text;
        var cmp = cased ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        return v => Text(v) is { } s && Holds(op, string.Compare(s, text, cmp));
    }

    private static bool Holds(CompareOp op, int c) => op switch
    {
        CompareOp.Lt => c < 0,
        CompareOp.Le => c <= 0,
        CompareOp.Gt => c > 0,
        CompareOp.Ge => c >= 0,
        _ => c == 0,
    };

    public static Func<FieldValue, bool> TextTest(TextOp op, string text, bool cased)
    {
        var cmp = cased ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        return op switch
        {
            TextOp.Contains => v => Text(v) is { } s && s.Contains(text, cmp),
            TextOp.StartsWith => v => Text(v) is { } s && s.StartsWith(text, cmp),
            _ => v => Text(v) is { } s && s.EndsWith(text, cmp),
        };
    }

    public static Func<FieldValue, bool> Regex(UserRegex regex) => v => Text(v) is { } s && regex.IsMatch(s);

    /// <summary>List membership through hash sets: strings (case-insensitive unless cased), numbers and addresses.</summary>
    public static Func<FieldValue, bool> InList(IReadOnlyList<Literal> values, bool cased)
    {
        var strings = new HashSet<string>(cased ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        var numbers = new HashSet<double>();
        var addresses = new HashSet<IPAddress>();
        var times = new HashSet<long>();
        foreach (var lit in values)
        {
            if (lit.Kind != LiteralKind.Number) strings.Add(lit.Text);
            if (lit.Number is { } n) numbers.Add(n);
            if (lit.Ip is { } ip) addresses.Add(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip);
            if (lit.Time is { } t) times.Add(t.UtcTicks);
        }
        return v =>
        {
            switch (v.Kind)
            {
                case FieldKind.String:
                    if (strings.Contains(v.AsString())) return true;
                    return numbers.Count > 0 && TryNumber(v, out var sd) && numbers.Contains(sd);
                case FieldKind.Long or FieldKind.Double:
                    return TryNumber(v, out var d) && numbers.Contains(d);
                case FieldKind.Ip:
                {
                    var a = v.AsIp()!;
                    return addresses.Contains(a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a);
                }
                case FieldKind.Timestamp: return times.Contains(v.AsTimestamp().UtcTicks);
                case FieldKind.Bool: return strings.Contains(v.AsBool() ? "true" : "false");
                default: return false;
            }
        };
    }

    /// <summary>Whether an IP (or a string holding one) lies in any of the networks; IPv4-mapped IPv6 counts as IPv4.</summary>
    public static Func<FieldValue, bool> InCidr(IReadOnlyList<IPNetwork> networks)
    {
        var nets = networks.ToArray();
        return v =>
        {
            IPAddress? ip = v.Kind switch
            {
                FieldKind.Ip => v.AsIp(),
                FieldKind.String => IPAddress.TryParse(v.AsString().AsSpan().Trim(), out var parsed) ? parsed : null,
                _ => null,
            };
            if (ip is null) return false;
            if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
            foreach (var net in nets)
                if (net.BaseAddress.AddressFamily == ip.AddressFamily && net.Contains(ip)) return true;
            return false;
        };
    }
}
