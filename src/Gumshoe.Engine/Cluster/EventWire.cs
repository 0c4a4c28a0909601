using System.Buffers;
using System.Net;
using System.Text.Json;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Cluster;

/// <summary>
/// The wire form of an event between collectors and analysers: JSON with every field under its dotted name and
/// the kinds JSON cannot tell apart (IP address, timestamp) named beside it, so an analyser's rules see exactly the
/// typed fields a single process would have seen.
/// </summary>
public static class EventWire
{
    /// <summary>Writes an event (its deferred fields expanded) as one JSON object.</summary>
    public static void Write(IBufferWriter<byte> output, Event e)
    {
        using var w = new Utf8JsonWriter(output);
        e.Expand();
        w.WriteStartObject();
        w.WriteNumber("t", e.Timestamp.UtcTicks);
        w.WriteString("in", e.Input);
        if (e.FilePath is not null) w.WriteString("path", e.FilePath);
        if (e.Offset >= 0) w.WriteNumber("off", e.Offset);
        if (e.Original is not null) w.WriteString("orig", e.Original);
        w.WriteStartObject("f");
        List<(string, char)>? typed = null;
        foreach (var (name, value) in e.Fields)
        {
            if (name is Ecs.Timestamp or Ecs.LogFilePath or Ecs.LogOffset or Ecs.EventOriginal) continue;
            w.WritePropertyName(name);
            Value(w, value, name, ref typed);
        }
        w.WriteEndObject();
        if (typed is not null)
        {
            w.WriteStartObject("k");
            foreach (var (name, kind) in typed) w.WriteString(name, kind.ToString());
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void Value(Utf8JsonWriter w, FieldValue v, string name, ref List<(string, char)>? typed)
    {
        switch (v.Kind)
        {
            case FieldKind.Ip:
                (typed ??= []).Add((name, 'i'));
                w.WriteStringValue(v.AsIp()!.ToString());
                break;
            case FieldKind.Timestamp:
                (typed ??= []).Add((name, 't'));
                w.WriteNumberValue(v.AsTimestamp().UtcTicks);
                break;
            case FieldKind.Double:
                // a double that happens to be whole must come back as a double
                (typed ??= []).Add((name, 'd'));
                w.WriteStringValue(BitConverter.DoubleToInt64Bits(v.AsDouble()).ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            default:
                EventJson.WriteValue(w, v);
                break;
        }
    }

    /// <summary>Reads an event written by <see cref="Write"/>; throws <see cref="JsonException"/> on anything else.</summary>
    public static Event Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var doc = JsonDocument.ParseValue(ref reader);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("t", out var t) || !root.TryGetProperty("f", out var fields))
            throw new JsonException("not a gumshoe wire event (no 't' or 'f')");
        var e = new Event
        {
            Timestamp = new DateTimeOffset(t.GetInt64(), TimeSpan.Zero),
            Input = root.TryGetProperty("in", out var input) ? input.GetString() ?? "" : "",
            FilePath = root.TryGetProperty("path", out var path) ? path.GetString() : null,
            Offset = root.TryGetProperty("off", out var off) ? off.GetInt64() : -1,
            Original = root.TryGetProperty("orig", out var orig) ? orig.GetString() : null,
        };
        root.TryGetProperty("k", out var kinds);
        foreach (var p in fields.EnumerateObject())
        {
            var kind = kinds.ValueKind == JsonValueKind.Object && kinds.TryGetProperty(p.Name, out var k) ? k.GetString() : null;
            e.Set(p.Name, kind switch
            {
                "i" => IPAddress.TryParse(p.Value.GetString(), out var ip) ? FieldValue.Ip(ip) : EventJson.FromJson(p.Value),
                "t" => FieldValue.Timestamp(new DateTimeOffset(p.Value.GetInt64(), TimeSpan.Zero)),
                "d" => FieldValue.Double(BitConverter.Int64BitsToDouble(long.Parse(p.Value.GetString()!, System.Globalization.CultureInfo.InvariantCulture))),
                _ => EventJson.FromJson(p.Value),
            });
        }
        return e;
    }
}
