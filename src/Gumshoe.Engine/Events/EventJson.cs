using System.Collections.Concurrent;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gumshoe.Engine.Events;

/// <summary>Writes events as JSON objects with nested ECS objects, and reads JSON back into events.</summary>
public static class EventJson
{
    [ThreadStatic] private static (FieldPath Path, FieldValue Value)[]? _scratch;
    private static readonly ConcurrentDictionary<string, FieldPath> Paths = new(StringComparer.Ordinal);
    private const int MaxCachedPaths = 20_000;

    /// <summary>A dotted field name cut into its segments, each already encoded as a JSON property name.</summary>
    private sealed class FieldPath
    {
        public readonly string Name;
        public readonly string[] Segments;
        public readonly JsonEncodedText[] Encoded;

        public FieldPath(string name)
        {
            Name = name;
            Segments = name.StartsWith('@') ? [name] : name.Split('.');
            Encoded = Array.ConvertAll(Segments, seg => JsonEncodedText.Encode(seg, JavaScriptEncoder.UnsafeRelaxedJsonEscaping));
        }
    }

    private static FieldPath PathOf(string name)
    {
        if (Paths.TryGetValue(name, out var p)) return p;
        p = new FieldPath(name);
        if (Paths.Count < MaxCachedPaths) Paths.TryAdd(name, p); // names from JSON inputs are unbounded: cap the cache
        return p;
    }

    /// <summary>Writes an event as one JSON object; dotted names become nested objects (<c>source.ip</c> → <c>{"source":{"ip":…}}</c>).</summary>
    /// <remarks>
    /// Fields are sorted by name once; a nested object is then a contiguous run of names sharing a segment, so the
    /// tree is written in one pass without building it. Segment names are encoded once per distinct field name.
    /// A name that is both a value and a prefix of other names (<c>user</c> and <c>user.name</c>) keeps the deeper
    /// names flat in that object rather than writing a key twice.
    /// </remarks>
    public static void Write(Utf8JsonWriter w, Event e)
    {
        var buf = _scratch ??= new (FieldPath, FieldValue)[64];
        var n = 0;
        foreach (var kv in e.Fields)
        {
            if (n == buf.Length) Array.Resize(ref buf, n * 2);
            buf[n++] = (PathOf(kv.Key), kv.Value);
        }
        _scratch = buf;
        var span = buf.AsSpan(0, n);
        span.Sort(static (a, b) => string.CompareOrdinal(a.Path.Name, b.Path.Name));
        w.WriteStartObject();
        WriteRange(w, span, 0);
        w.WriteEndObject();
        span.Clear();
    }

    private static void WriteRange(Utf8JsonWriter w, Span<(FieldPath Path, FieldValue Value)> fields, int depth)
    {
        string? lastLeaf = null;
        var i = 0;
        while (i < fields.Length)
        {
            var path = fields[i].Path;
            if (path.Segments.Length == depth + 1)
            {
                w.WritePropertyName(path.Encoded[depth]);
                WriteValue(w, fields[i].Value);
                lastLeaf = path.Segments[depth];
                i++;
                continue;
            }
            // the run of names that share this segment
            var segment = path.Segments[depth];
            var j = i + 1;
            while (j < fields.Length && fields[j].Path.Segments.Length > depth + 1 && fields[j].Path.Segments[depth] == segment) j++;
            if (lastLeaf == segment)
            {
                for (var k = i; k < j; k++)
                {
                    w.WritePropertyName(string.Join('.', fields[k].Path.Segments[depth..]));
                    WriteValue(w, fields[k].Value);
                }
            }
            else
            {
                w.WritePropertyName(path.Encoded[depth]);
                w.WriteStartObject();
                WriteRange(w, fields[i..j], depth + 1);
                w.WriteEndObject();
            }
            i = j;
        }
    }

    /// <summary>Writes one field value as JSON.</summary>
    public static void WriteValue(Utf8JsonWriter w, FieldValue v)
    {
        switch (v.Kind)
        {
            case FieldKind.Null: w.WriteNullValue(); break;
            case FieldKind.Long: w.WriteNumberValue(v.AsLong()); break;
            case FieldKind.Double:
                var d = v.AsDouble();
                if (double.IsFinite(d)) w.WriteNumberValue(d); else w.WriteStringValue(v.ToString());
                break;
            case FieldKind.Bool: w.WriteBooleanValue(v.AsBool()); break;
            case FieldKind.Array:
                w.WriteStartArray();
                foreach (var item in v.AsArray()) WriteValue(w, item);
                w.WriteEndArray();
                break;
            case FieldKind.Object:
                w.WriteStartObject();
                foreach (var (k, item) in v.AsObject()!) { w.WritePropertyName(k); WriteValue(w, item); }
                w.WriteEndObject();
                break;
            case FieldKind.Timestamp: w.WriteStringValue(v.AsTimestamp().UtcDateTime); break;
            case FieldKind.Ip:
                Span<char> ip = stackalloc char[64];
                if (v.AsIp()!.TryFormat(ip, out var len)) w.WriteStringValue(ip[..len]);
                else w.WriteStringValue(v.ToString());
                break;
            default: w.WriteStringValue(v.AsString()); break;
        }
    }

    /// <summary>Converts a JSON element to a field value; objects stay nested.</summary>
    public static FieldValue FromJson(JsonElement el) => el.ValueKind switch
    {
        JsonValueKind.String => FieldValue.String(el.GetString()!),
        JsonValueKind.Number => el.TryGetInt64(out var l) ? FieldValue.Long(l) : FieldValue.Double(el.GetDouble()),
        JsonValueKind.True => FieldValue.Bool(true),
        JsonValueKind.False => FieldValue.Bool(false),
        JsonValueKind.Array => FieldValue.Array(el.EnumerateArray().Select(FromJson).ToArray()),
        JsonValueKind.Object => FieldValue.Object(el.EnumerateObject().ToDictionary(p => p.Name, p => FromJson(p.Value), StringComparer.Ordinal)),
        _ => FieldValue.Null,
    };

    /// <summary>Sets every leaf of a JSON object on the event under its dotted name (nested objects are flattened).</summary>
    public static void Flatten(Event e, JsonElement obj, string prefix = "")
    {
        foreach (var p in obj.EnumerateObject())
        {
            var name = prefix.Length == 0 ? p.Name : prefix + "." + p.Name;
            if (p.Value.ValueKind == JsonValueKind.Object) Flatten(e, p.Value, name);
            else
            {
                var value = FromJson(p.Value);
                if (name == Ecs.SourceIp && value.Kind == FieldKind.String && IPAddress.TryParse(value.AsString(), out var ip)) value = FieldValue.Ip(ip);
                e.Set(name, value);
            }
        }
    }
}
