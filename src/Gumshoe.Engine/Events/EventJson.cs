using System.Net;
using System.Text.Json;

namespace Gumshoe.Engine.Events;

/// <summary>Writes events as JSON objects with nested ECS objects, and reads JSON back into events.</summary>
public static class EventJson
{
    /// <summary>Writes an event as one JSON object; dotted names become nested objects.</summary>
    public static void Write(Utf8JsonWriter w, Event e)
    {
        var tree = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var (name, value) in e.Fields) Insert(tree, name, value);
        WriteTree(w, tree);
    }

    private static void Insert(SortedDictionary<string, object> tree, string name, FieldValue value)
    {
        if (name.StartsWith('@')) { tree[name] = value; return; }
        var cur = tree;
        var start = 0;
        while (true)
        {
            var dot = name.IndexOf('.', start);
            if (dot < 0) break;
            var part = name[start..dot];
            if (!cur.TryGetValue(part, out var child) || child is not SortedDictionary<string, object> sub)
            {
                // A leaf already stands at this name: keep both by writing the deeper name flat.
                if (child is not null) { cur[name[start..]] = value; return; }
                sub = new SortedDictionary<string, object>(StringComparer.Ordinal);
                cur[part] = sub;
            }
            cur = sub;
            start = dot + 1;
        }
        var leaf = name[start..];
        if (cur.TryGetValue(leaf, out var existing) && existing is SortedDictionary<string, object>) cur[leaf + ".value"] = value;
        else cur[leaf] = value;
    }

    private static void WriteTree(Utf8JsonWriter w, SortedDictionary<string, object> tree)
    {
        w.WriteStartObject();
        foreach (var (k, v) in tree)
        {
            w.WritePropertyName(k);
            if (v is SortedDictionary<string, object> sub) WriteTree(w, sub);
            else WriteValue(w, (FieldValue)v);
        }
        w.WriteEndObject();
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
            default: w.WriteStringValue(v.ToString()); break;
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
