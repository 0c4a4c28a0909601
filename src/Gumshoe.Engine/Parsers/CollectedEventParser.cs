using System.Globalization;
using System.Net;
using System.Text.Json;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers;

/// <summary>
/// Reads the events file a collector writes (<c>run --mode collect --events-out</c>) back into the events it held,
/// for <c>run --mode analyze --events-in</c>: the same typed fields, event time, original text and input name, so
/// rules and analytics see what a single process would have seen.
/// </summary>
/// <remarks>
/// A collector's line is the ECS JSON of the event plus <c>gumshoe.input</c> (the input it came from: the rules keep
/// one event clock per input) and <c>gumshoe.types</c>, which names the fields whose kind JSON cannot carry: IP
/// addresses, timestamps, whole doubles, and objects (kept as one value instead of being flattened), each as a
/// tree of kinds (<see cref="Annotate"/>). Plain lines without them read like the <c>json</c> parser's.
/// </remarks>
public sealed class CollectedEventParser : IParser
{
    /// <summary>The field naming the input an event came from.</summary>
    public const string InputField = Ecs.InputName;

    /// <summary>The field describing the kinds JSON loses.</summary>
    public const string TypesField = "gumshoe.types";

    private const string Ip = "ip", Time = "timestamp", Double = "double";

    public string Name => "collected_events";

    /// <summary>Adds <see cref="InputField"/> and, when needed, <see cref="TypesField"/> to an event about to be written.</summary>
    public static void Annotate(Event e)
    {
        e.Expand();
        Dictionary<string, FieldValue>? types = null;
        foreach (var (name, value) in e.Fields)
        {
            if (name is InputField or TypesField or Ecs.Timestamp) continue;
            if (KindOf(value) is { } kind) (types ??= new(StringComparer.Ordinal))[name] = kind;
        }
        e.Set(InputField, FieldValue.String(e.Input));
        if (types is not null) e.Set(TypesField, FieldValue.Object(types));
        else e.Remove(TypesField);
    }

    /// <summary>
    /// What identifies an event in a collector's file across a restart: its input and its source id (a SaaS event id)
    /// or place (file and offset); null when it has neither.
    /// </summary>
    public static string? Key(Event e)
    {
        if (e.GetString("event.id") is { Length: > 0 } id) return e.Input + "\n" + id;
        return e.FilePath is not null && e.Offset >= 0 ? e.Input + "\n" + e.FilePath + "@" + e.Offset.ToString(CultureInfo.InvariantCulture) : null;
    }

    /// <summary>
    /// The lines of a collector's file after its committed length, for a restart that keeps them: an analyser may
    /// have read them already, so the file is never cut back; the events they hold are not written again when the
    /// restart re-derives them. Returns the length to keep (a torn last line goes) and the keys of those events.
    /// </summary>
    public static (long Keep, HashSet<string> Written) AfterCommitted(string path, long committed)
    {
        var written = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(path)) return (committed, written);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (fs.Length <= committed) return (committed, written);
        fs.Position = committed;
        var bytes = new byte[fs.Length - committed];
        fs.ReadExactly(bytes);
        var keep = committed;
        var span = bytes.AsSpan();
        var parser = new CollectedEventParser();
        var context = new ParseContext();
        while (span.IndexOf((byte)'\n') is var nl && nl >= 0)
        {
            var line = System.Text.Encoding.UTF8.GetString(span[..nl]);
            keep += nl + 1;
            span = span[(nl + 1)..];
            var e = new Event();
            if (parser.Parse(line, e, context).Status == ParseStatus.Matched && Key(e) is { } key) written.Add(key);
        }
        return (keep, written);
    }

    // the kind tree of a value JSON does not keep, or null when JSON keeps it (strings, longs, booleans, plain arrays)
    private static FieldValue? KindOf(FieldValue v)
    {
        switch (v.Kind)
        {
            case FieldKind.Ip: return FieldValue.String(Ip);
            case FieldKind.Timestamp: return FieldValue.String(Time);
            case FieldKind.Double: return FieldValue.String(Double);
            case FieldKind.Object:
                var members = new Dictionary<string, FieldValue>(StringComparer.Ordinal);
                foreach (var (k, m) in v.AsObject()!) if (KindOf(m) is { } mk) members[k] = mk;
                return FieldValue.Object(members);   // even empty: it says "one object, not flattened fields"
            case FieldKind.Array:
                var items = v.AsArray();
                FieldValue[]? kinds = null;
                for (var i = 0; i < items.Count; i++)
                {
                    if (KindOf(items[i]) is not { } ik) continue;
                    kinds ??= Enumerable.Repeat(FieldValue.Null, items.Count).ToArray();
                    kinds[i] = ik;
                }
                return kinds is null ? (FieldValue?)null : FieldValue.Array(kinds);
            default: return null;
        }
    }

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        if (!JsonLineParser.TryParseObject(line, out var doc, out var failure)) return failure;
        using (doc)
        {
            var root = doc.RootElement;
            var notes = root.TryGetProperty("gumshoe", out var g) && g.ValueKind == JsonValueKind.Object ? g : default;
            var types = notes.ValueKind == JsonValueKind.Object && notes.TryGetProperty("types", out var t) && t.ValueKind == JsonValueKind.Object ? t : default;
            // @timestamp, event.original, log.file.path and log.offset are the event's own properties: setting the
            // fields of those names sets them, so they come back as the collector had them
            var line0 = e.Original;
            (e.Original, e.FilePath, e.Offset, e.Timestamp) = (null, null, -1, default);
            Read(e, root, "", types);
            e.Remove(InputField);
            if (notes.ValueKind == JsonValueKind.Object && notes.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.String
                && input.GetString() is { Length: > 0 } name)
                e.Input = name;
            e.Original ??= line0;
            if (e.Timestamp == default)
                return ParseOutcome.Failed(root.TryGetProperty(Ecs.Timestamp, out var stamp) ? $"bad @timestamp: {stamp}" : "no @timestamp");
        }
        return ParseOutcome.Matched;
    }

    private static void Read(Event e, JsonElement obj, string prefix, JsonElement types)
    {
        foreach (var p in obj.EnumerateObject())
        {
            var name = prefix.Length == 0 ? p.Name : prefix + "." + p.Name;
            if (name == TypesField) continue;
            if (types.ValueKind == JsonValueKind.Object && types.TryGetProperty(name, out var kind)) e.Set(name, Typed(p.Value, kind));
            else if (p.Value.ValueKind == JsonValueKind.Object) Read(e, p.Value, name, types);
            else
            {
                var value = EventJson.FromJson(p.Value);
                // lines without type notes (written by hand or by another tool): the usual IP fields still become addresses
                if (value.Kind == FieldKind.String && FieldTypes.IpFields.Contains(name) && FieldTypes.TryParseIp(value.AsString(), out var ip)) value = FieldValue.Ip(ip);
                e.Set(name, value);
            }
        }
    }

    private static FieldValue Typed(JsonElement value, JsonElement kind)
    {
        switch (kind.ValueKind)
        {
            case JsonValueKind.String when value.ValueKind == JsonValueKind.String:
                var text = value.GetString()!;
                return kind.GetString() switch
                {
                    Ip when IPAddress.TryParse(text, out var ip) => FieldValue.Ip(ip),
                    Time when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) => FieldValue.Timestamp(t),
                    Double when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var nd) => FieldValue.Double(nd),   // NaN, ∞
                    _ => FieldValue.String(text),
                };
            case JsonValueKind.String when value.ValueKind == JsonValueKind.Number && kind.GetString() == Double:
                return FieldValue.Double(value.GetDouble());
            case JsonValueKind.Object when value.ValueKind == JsonValueKind.Object:
                var members = new Dictionary<string, FieldValue>(StringComparer.Ordinal);
                foreach (var m in value.EnumerateObject())
                    members[m.Name] = kind.TryGetProperty(m.Name, out var mk) ? Typed(m.Value, mk) : EventJson.FromJson(m.Value);
                return FieldValue.Object(members);
            case JsonValueKind.Array when value.ValueKind == JsonValueKind.Array:
                var items = new List<FieldValue>(value.GetArrayLength());
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    var ik = i < kind.GetArrayLength() ? kind[i] : default;
                    items.Add(ik.ValueKind is JsonValueKind.String or JsonValueKind.Object or JsonValueKind.Array ? Typed(item, ik) : EventJson.FromJson(item));
                    i++;
                }
                return FieldValue.Array(items);
            default:
                return EventJson.FromJson(value);
        }
    }
}
