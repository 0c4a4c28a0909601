using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Gumshoe.Engine.Events;

/// <summary>
/// One string instance per field name: rules, parsers and the JSON reader use the same instance for a name, so an
/// event finds a field by comparing references (see <see cref="Event"/>), and a JSON line's names cost nothing.
/// </summary>
/// <remarks>
/// A name that is an <see cref="Ecs"/> constant is that literal. A pack's own names are the same instance as a
/// rule's when the pack interns them here, as the log packs and the syslog header do: the native build does not put
/// literals in the runtime's intern table, so there a literal name (the SaaS packs' few own ones) is found by
/// comparing text. Names seen in events are kept up to <see cref="MaxNames"/>; past that (keys made up by whoever
/// writes the events) a name is an ordinary string again, found by comparing text.
/// </remarks>
public static class FieldNames
{
    /// <summary>How many names are kept at most.</summary>
    public const int MaxNames = 16_384;

    private static readonly ConcurrentDictionary<string, string> Known = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> ByChars = Known.GetAlternateLookup<ReadOnlySpan<char>>();

    // counted here: ConcurrentDictionary.Count takes every lock, and past the bound every unknown name asks
    private static int _kept;

    // The ECS names are their literals from the start. string.IsInterned would find a literal with the JIT, but not in
    // the native build, whose literals are not in the runtime's intern table: there a rule's "event.action" would be
    // another instance than the parsers' and every lookup would fall back to comparing text.
    static FieldNames()
    {
        foreach (var name in Ecs.Names) Known[name] = name;
        _kept = Known.Count;
    }

    /// <summary>The one instance of <paramref name="name"/> (a rule's or a config's field name).</summary>
    public static string Intern(string name)
    {
        if (Known.TryGetValue(name, out var known)) return known;
        var canonical = string.IsInterned(name) ?? name;
        if (Volatile.Read(ref _kept) >= MaxNames) return canonical;
        if (Known.TryAdd(canonical, canonical))
        {
            Interlocked.Increment(ref _kept);
            return canonical;
        }
        return Known[canonical];
    }

    /// <summary>The name of a JSON property below <paramref name="prefix"/> (<c>prefix.name</c>, or the name alone).</summary>
    public static string Of(string prefix, JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        var length = prefix.Length == 0 ? raw.Length : prefix.Length + 1 + raw.Length;
        if (raw.Contains((byte)'\\') || length > 256) return Join(prefix, property.Name); // escapes, or long: the slow way
        Span<char> chars = stackalloc char[length];
        var at = 0;
        if (prefix.Length > 0)
        {
            prefix.CopyTo(chars);
            chars[prefix.Length] = '.';
            at = prefix.Length + 1;
        }
        if (!Encoding.UTF8.TryGetChars(raw, chars[at..], out var written)) return Join(prefix, property.Name);
        chars = chars[..(at + written)];
        return ByChars.TryGetValue(chars, out var known) ? known : Intern(new string(chars));
    }

    private static string Join(string prefix, string name) => Intern(prefix.Length == 0 ? name : prefix + "." + name);
}
