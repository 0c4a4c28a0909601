using System.Text;

namespace Gumshoe.Engine.Enrich;

/// <summary>
/// An LDAP search filter with <c>{field.name}</c> placeholders, e.g. <c>(&amp;(objectClass=person)(uid={user.name}))</c>.
/// Each value is escaped as RFC 4515 requires (<c>*</c>, <c>(</c>, <c>)</c>, <c>\</c>, NUL and other control characters
/// become <c>\XX</c>), so an event value can never change the filter's structure.
/// </summary>
public sealed class LdapFilterTemplate
{
    private readonly string[] _literals;   // one more than the placeholders

    private LdapFilterTemplate(string[] literals, string[] fields)
    {
        _literals = literals;
        Fields = fields;
    }

    /// <summary>The event fields named by the placeholders, in order.</summary>
    public IReadOnlyList<string> Fields { get; }

    /// <summary>Parses a template; <c>{{</c> and <c>}}</c> stand for literal braces.</summary>
    /// <exception cref="FormatException">Unbalanced braces or parentheses, or no placeholder.</exception>
    public static LdapFilterTemplate Parse(string template)
    {
        var literals = new List<string>();
        var fields = new List<string>();
        var sb = new StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < template.Length && template[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c == '}') throw new FormatException($"unmatched '}}' at position {i + 1} of the filter");
            if (c != '{') { sb.Append(c); continue; }
            var end = template.IndexOf('}', i + 1);
            if (end < 0) throw new FormatException($"unclosed '{{' at position {i + 1} of the filter");
            var field = template[(i + 1)..end].Trim();
            if (field.Length == 0) throw new FormatException($"empty placeholder at position {i + 1} of the filter");
            literals.Add(sb.ToString());
            sb.Clear();
            fields.Add(field);
            i = end;
        }
        literals.Add(sb.ToString());
        if (fields.Count == 0) throw new FormatException("the filter has no {field} placeholder, so every event would find the same entry");
        var depth = 0;
        foreach (var c in string.Concat(literals))
        {
            if (c == '(') depth++;
            else if (c == ')' && --depth < 0) break;
        }
        if (depth != 0 || !template.TrimStart().StartsWith('(')) throw new FormatException("the filter's parentheses do not balance (it should look like (uid={user.name}))");
        return new LdapFilterTemplate([.. literals], [.. fields]);
    }

    /// <summary>The filter with each placeholder replaced by its escaped value (values in <see cref="Fields"/> order).</summary>
    public string Render(IReadOnlyList<string> values)
    {
        var sb = new StringBuilder(_literals[0]);
        for (var i = 0; i < Fields.Count; i++)
        {
            Escape(sb, values[i]);
            sb.Append(_literals[i + 1]);
        }
        return sb.ToString();
    }

    /// <summary>Escapes one assertion value (RFC 4515 section 3).</summary>
    public static string Escape(string value)
    {
        var sb = new StringBuilder(value.Length + 8);
        Escape(sb, value);
        return sb.ToString();
    }

    private static void Escape(StringBuilder sb, string value)
    {
        foreach (var c in value)
        {
            if (c is '*' or '(' or ')' or '\\' || c < 0x20 || c == 0x7F) sb.Append('\\').Append(((int)c).ToString("x2"));
            else sb.Append(c);
        }
    }
}
