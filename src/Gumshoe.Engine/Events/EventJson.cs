using System.Net;
using System.Text.Json;

namespace Gumshoe.Engine.Events;

/// <summary>Writes events as JSON objects with nested ECS objects, and reads JSON back into events.</summary>
public static class EventJson
{
    [ThreadStatic] private static KeyValuePair<string, FieldValue>[]? _scratch;
    private static readonly Comparison<KeyValuePair<string, FieldValue>> ByName = (a, b) => string.CompareOrdinal(a.Key, b.Key);

    /// <summary>Writes an event as one JSON object; dotted names become nested objects (<c>source.ip</c> → <c>{"source":{"ip":…}}</c>).</summary>
    /// <remarks>
    /// Fields are sorted by name once; a nested object is then a contiguous run of names sharing a prefix, so the
    /// tree is written in one pass without building it. A name that is both a value and a prefix of other names
    /// (<c>user</c> and <c>user.name</c>) keeps the deeper names flat in that object rather than writing a key twice.
    /// </remarks>
    public static void Write(Utf8JsonWriter w, Event e)
    {
        var buf = _scratch ??= new KeyValuePair<string, FieldValue>[64];
        var n = 0;
        foreach (var kv in e.Fields)
        {
            if (n == buf.Length) Array.Resize(ref buf, n * 2);
            buf[n++] = kv;
        }
        _scratch = buf;
        var span = buf.AsSpan(0, n);
        span.Sort(ByName);
        w.WriteStartObject();
        WriteRange(w, span, 0);
        w.WriteEndObject();
        span.Clear();
    }

    private static void WriteRange(Utf8JsonWriter w, Span<KeyValuePair<string, FieldValue>> fields, int prefix)
    {
        string? lastLeaf = null;
        var i = 0;
        while (i < fields.Length)
        {
            var name = fields[i].Key;
            var dot = name[0] == '@' ? -1 : name.IndexOf('.', prefix);
            if (dot < 0)
            {
                w.WritePropertyName(name.AsSpan(prefix));
                WriteValue(w, fields[i].Value);
                lastLeaf = name;
                i++;
                continue;
            }
            // the run of names that share this segment
            var segLength = dot - prefix;
            var j = i + 1;
            while (j < fields.Length && fields[j].Key.Length > dot && fields[j].Key[dot] == '.'
                   && string.CompareOrdinal(fields[j].Key, prefix, name, prefix, segLength) == 0) j++;
            if (lastLeaf is not null && lastLeaf.Length == dot && string.CompareOrdinal(lastLeaf, prefix, name, prefix, segLength) == 0)
            {
                for (var k = i; k < j; k++)
                {
                    w.WritePropertyName(fields[k].Key.AsSpan(prefix));
                    WriteValue(w, fields[k].Value);
                }
            }
            else
            {
                w.WritePropertyName(name.AsSpan(prefix, segLength));
                w.WriteStartObject();
                WriteRange(w, fields[i..j], dot + 1);
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
