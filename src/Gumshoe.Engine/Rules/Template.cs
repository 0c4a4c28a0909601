using System.Text;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Rules;

/// <summary>A text with <c>{field.name}</c> placeholders filled from an event (and the alert's own values).</summary>
public sealed class Template
{
    private readonly (string Text, string? Field)[] _parts;

    public Template(string text)
    {
        Source = text;
        var parts = new List<(string, string?)>();
        var i = 0;
        while (i < text.Length)
        {
            var open = text.IndexOf('{', i);
            var close = open >= 0 ? text.IndexOf('}', open) : -1;
            if (open < 0 || close < 0) { parts.Add((text[i..], null)); break; }
            if (open > i) parts.Add((text[i..open], null));
            parts.Add(("", Events.FieldNames.Intern(text[(open + 1)..close].Trim())));
            i = close + 1;
        }
        _parts = [.. parts];
    }

    public string Source { get; }

    /// <summary>Whether the text begins with a placeholder (its value decides the first characters).</summary>
    public bool StartsWithField => _parts.Length > 0 && _parts[0].Field is not null;

    /// <summary>The names its placeholders read.</summary>
    public IEnumerable<string> Fields => _parts.Where(p => p.Field is not null).Select(p => p.Field!);

    /// <summary>Whether the text has any placeholder.</summary>
    public bool HasFields => _parts.Any(p => p.Field is not null);

    /// <summary>Fills the placeholders; <paramref name="extra"/> (count, rule …) wins over event fields; without an event, only <paramref name="extra"/> is read.</summary>
    public string Render(Event? e, IReadOnlyDictionary<string, string>? extra = null)
    {
        // one builder per thread, kept between renders: an alert's title is rendered for every alert raised
        var sb = t_builder ??= new StringBuilder();
        sb.Clear();
        foreach (var (text, field) in _parts)
        {
            if (field is null) { sb.Append(text); continue; }
            if (extra is not null && extra.TryGetValue(field, out var x)) sb.Append(x);
            else if (e is not null && e.TryGet(field, out var v) && !v.IsNull) sb.Append(v.ToString());
            else sb.Append('-');
        }
        var rendered = sb.ToString();
        if (sb.Capacity > 4096) t_builder = null; // a huge value is not kept alive
        return rendered;
    }

    [ThreadStatic] private static StringBuilder? t_builder;
}
