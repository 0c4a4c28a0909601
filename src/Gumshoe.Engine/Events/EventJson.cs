using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gumshoe.Engine.Events;

/// <summary>Writes events as JSON objects with nested ECS objects, and reads JSON back into events.</summary>
public static class EventJson
{
    // an event's fields as two parallel arrays (the paths alone are a shape's key)
    [ThreadStatic] private static FieldPath[]? _scratchPaths;
    [ThreadStatic] private static FieldValue[]? _scratch;
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
    /// Fields are sorted by name; a nested object is then a contiguous run of names sharing a segment, so the
    /// tree is written in one pass without building it. Segment names are encoded once per distinct field name.
    /// A name that is both a value and a prefix of other names (<c>user</c> and <c>user.name</c>) keeps the deeper
    /// names flat in that object rather than writing a key twice. Events of one parser come in a few shapes (the
    /// same names in the same order), so the sorted order of a shape is remembered rather than sorted again.
    /// </remarks>
    public static void Write(Utf8JsonWriter w, Event e)
    {
        var n = Collect(e);
        var fields = _scratch!;
        w.WriteStartObject();
        foreach (var step in ShapeOf(_scratchPaths.AsSpan(0, n)).Plan)
        {
            switch (step.Kind)
            {
                case StepKind.Value:
                    w.WritePropertyName(step.Name);
                    WriteValue(w, fields[step.Field]);
                    break;
                case StepKind.FlatValue:
                    w.WritePropertyName(step.FlatName!);
                    WriteValue(w, fields[step.Field]);
                    break;
                case StepKind.StartObject:
                    w.WritePropertyName(step.Name);
                    w.WriteStartObject();
                    break;
                case StepKind.EndObject:
                    w.WriteEndObject();
                    break;
            }
        }
        w.WriteEndObject();
        fields.AsSpan(0, n).Clear();
    }

    // Every field, the fixed ones included, into the per-thread scratch array; returns how many.
    private static int Collect(Event e)
    {
        e.Expand();
        var paths = _scratchPaths ??= new FieldPath[64];
        var fields = _scratch ??= new FieldValue[64];
        var n = 0;
        Add(ref paths, ref fields, ref n, Ecs.Timestamp, FieldValue.Timestamp(e.Timestamp));
        foreach (var f in e.Stored)
            if (f.Name is not null) Add(ref paths, ref fields, ref n, f.Name, f.Value);
        if (e.FilePath is not null) Add(ref paths, ref fields, ref n, Ecs.LogFilePath, FieldValue.String(e.FilePath));
        if (e.Offset >= 0) Add(ref paths, ref fields, ref n, Ecs.LogOffset, FieldValue.Long(e.Offset));
        if (e.Original is not null) Add(ref paths, ref fields, ref n, Ecs.EventOriginal, FieldValue.String(e.Original));
        _scratchPaths = paths;
        _scratch = fields;
        return n;
    }

    /// <summary>
    /// Writes an event as <see cref="Write(Utf8JsonWriter, Event)"/> does to a writer with
    /// <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/> and no indentation, byte for byte, but straight as
    /// UTF-8: a shape's names and punctuation are written as one precomputed run of bytes between two values, and
    /// plain values (strings that need no escaping, integers, booleans, addresses) without a JSON writer.
    /// </summary>
    public static void WriteUtf8(IBufferWriter<byte> output, Event e)
    {
        var n = Collect(e);
        var fields = _scratch!;
        var shape = ShapeOf(_scratchPaths.AsSpan(0, n));
        var raw = shape.Raw ??= RawPlan.Of(shape.Plan);
        for (var i = 0; i < raw.Fields.Length; i++)
        {
            output.Write(raw.Literals[i]);
            WriteValueUtf8(output, fields[raw.Fields[i]]);
        }
        output.Write(raw.Literals[^1]);
        fields.AsSpan(0, n).Clear();
    }

    /// <summary>
    /// Writes an event given as the values of a layout's fields, byte for byte as
    /// <see cref="WriteUtf8(IBufferWriter{byte}, Event)"/> writes the event with the same fields and values: the same
    /// shapes, nesting and order, one copy of each literal run and of each value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WriteUtf8(IBufferWriter<byte> output, RawJsonEvent e)
    {
        var plan = e.Layout.PlanFor(e.Mask);
        var literals = plan.Literals;
        var ends = plan.Ends;
        var slots = plan.Slots;
        var total = plan.Length + e.ValueBytes;
        var span = output.GetSpan(total + RawJsonEvent.Slack);
        ref var to = ref MemoryMarshal.GetReference(span);
        ref var runs = ref MemoryMarshal.GetArrayDataReference(literals);
        int pos = 0, literal = 0;
        for (var i = 0; i < slots.Length; i++)
        {
            var end = ends[i];
            CopyRun(literals, ref runs, literal, end - literal, span, ref to, pos);
            pos += end - literal;
            literal = end;
            pos += e.CopyValue(slots[i], ref Unsafe.Add(ref to, pos), span[pos..]);
        }
        CopyRun(literals, ref runs, literal, plan.Length - literal, span, ref to, pos);
        Debug.Assert(pos + plan.Length - literal == total);
        output.Advance(total);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun(byte[] literals, ref byte runs, int start, int length, Span<byte> output, ref byte to, int pos)
    {
        if (length <= RawJsonEvent.Slack) RawJsonEvent.CopyChunks(ref Unsafe.Add(ref runs, start), ref Unsafe.Add(ref to, pos), length);
        else literals.AsSpan(start, length).CopyTo(output[pos..]);
    }

    /// <summary>
    /// For a <see cref="RawJsonLayout"/>: the literal runs (one more than values) that go around the values of an
    /// event with fields <paramref name="names"/>, and the order of the values (indexes into the names).
    /// </summary>
    internal static (byte[][] Literals, int[] Order) RawLayoutOf(string[] names)
    {
        var shape = ShapeOf(Array.ConvertAll(names, PathOf));
        var raw = shape.Raw ??= RawPlan.Of(shape.Plan);
        return (raw.Literals, raw.Fields);
    }

    /// <summary>A value as <see cref="WriteUtf8(IBufferWriter{byte}, Event)"/> writes it (UTF-8 JSON), into <paramref name="output"/>.</summary>
    public static void WriteValueUtf8(ArrayBufferWriter<byte> output, FieldValue value) => WriteValueUtf8((IBufferWriter<byte>)output, value);

    /// <summary>A shape's plan as UTF-8: <see cref="Literals"/> (one more than values) around the values of <see cref="Fields"/>.</summary>
    private sealed class RawPlan(byte[][] literals, int[] fields)
    {
        public readonly byte[][] Literals = literals;
        public readonly int[] Fields = fields;

        public static RawPlan Of(Step[] plan)
        {
            var literals = new List<byte[]>();
            var fields = new List<int>();
            var text = new ArrayBufferWriter<byte>();
            var first = new Stack<bool>();
            text.Write("{"u8);
            first.Push(true);
            void Name(ReadOnlySpan<byte> encoded)
            {
                if (!first.Pop()) text.Write(","u8);
                first.Push(false);
                text.Write("\""u8);
                text.Write(encoded);
                text.Write("\":"u8);
            }
            foreach (var step in plan)
            {
                switch (step.Kind)
                {
                    case StepKind.Value or StepKind.FlatValue:
                        Name(step.Kind == StepKind.Value ? step.Name.EncodedUtf8Bytes : JsonEncodedText.Encode(step.FlatName!, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes);
                        literals.Add(text.WrittenSpan.ToArray());
                        fields.Add(step.Field);
                        text.ResetWrittenCount();
                        break;
                    case StepKind.StartObject:
                        Name(step.Name.EncodedUtf8Bytes);
                        text.Write("{"u8);
                        first.Push(true);
                        break;
                    case StepKind.EndObject:
                        text.Write("}"u8);
                        first.Pop();
                        break;
                }
            }
            text.Write("}"u8);
            literals.Add(text.WrittenSpan.ToArray());
            return new RawPlan([.. literals], [.. fields]);
        }
    }

    [ThreadStatic] private static ArrayBufferWriter<byte>? _valueBuffer;
    [ThreadStatic] private static Utf8JsonWriter? _valueWriter;
    [ThreadStatic] private static long _lastStampTicks;
    [ThreadStatic] private static byte[]? _lastStamp;
    [ThreadStatic] private static int _lastStampLength;
    private static readonly JsonWriterOptions RelaxedOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private static void WriteValueUtf8(IBufferWriter<byte> output, FieldValue v)
    {
        switch (v.Kind)
        {
            case FieldKind.Null: output.Write("null"u8); return;
            case FieldKind.Bool: output.Write(v.AsBool() ? "true"u8 : "false"u8); return;
            case FieldKind.Long:
            {
                var span = output.GetSpan(24);
                v.AsLong().TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
                output.Advance(written);
                return;
            }
            case FieldKind.String when WriteQuoted(output, v.AsString()):
                return;
            case FieldKind.Ip:
            {
                var span = output.GetSpan(66);
                if (v.AsIp()!.TryFormat(span[1..], out var written)
                    && JavaScriptEncoder.UnsafeRelaxedJsonEscaping.FindFirstCharacterToEncodeUtf8(span.Slice(1, written)) < 0)
                {
                    span[0] = (byte)'"';
                    span[written + 1] = (byte)'"';
                    output.Advance(written + 2);
                    return;
                }
                break;
            }
            case FieldKind.Timestamp:
            {
                // consecutive events mostly share their second: the last stamp's bytes are kept
                // (in one buffer, rewritten: a new array per second was most of a parse's garbage)
                var ticks = v.AsTimestamp().UtcTicks;
                var stamp = _lastStamp ??= new byte[64];
                if (_lastStampLength == 0 || ticks != _lastStampTicks)
                {
                    var written = WrittenByWriter(v);
                    if (written.Length > stamp.Length)
                    {
                        _lastStampLength = 0;
                        output.Write(written);
                        return;
                    }
                    written.CopyTo(stamp);
                    _lastStampLength = written.Length;
                    _lastStampTicks = ticks;
                }
                output.Write(stamp.AsSpan(0, _lastStampLength));
                return;
            }
        }
        output.Write(WrittenByWriter(v));
    }

    // A string that needs no escaping is its UTF-8 between quotes; false when it needs escaping.
    private static unsafe bool WriteQuoted(IBufferWriter<byte> output, string s)
    {
        fixed (char* chars = s)
            if (JavaScriptEncoder.UnsafeRelaxedJsonEscaping.FindFirstCharacterToEncode(chars, s.Length) >= 0) return false;
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(s.Length) + 2);
        span[0] = (byte)'"';
        var written = Encoding.UTF8.GetBytes(s, span[1..]);
        span[written + 1] = (byte)'"';
        output.Advance(written + 2);
        return true;
    }

    // Anything else: what the JSON writer makes of the value on its own.
    private static ReadOnlySpan<byte> WrittenByWriter(FieldValue v)
    {
        var buffer = _valueBuffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var w = _valueWriter ??= new Utf8JsonWriter(buffer, RelaxedOptions);
        w.Reset(buffer);
        WriteValue(w, v);
        w.Flush();
        return buffer.WrittenSpan;
    }

    [ThreadStatic] private static FieldPath?[]? _recentPaths;
    [ThreadStatic] private static Dictionary<int, Shape>? _shapes;
    private const int MaxCachedShapes = 4096;

    private enum StepKind : byte { Value, FlatValue, StartObject, EndObject }

    /// <summary>One write of a shape's plan; <see cref="Field"/> indexes the fields in the event's own order.</summary>
    private readonly record struct Step(StepKind Kind, JsonEncodedText Name, string? FlatName, int Field);

    /// <summary>The field names of an event in the order it holds them, and how to write such an event.</summary>
    private sealed class Shape(FieldPath[] paths, Step[] plan)
    {
        public readonly FieldPath[] Paths = paths;
        public readonly Step[] Plan = plan;
        public RawPlan? Raw;
    }

    private static void Add(ref FieldPath[] paths, ref FieldValue[] fields, ref int n, string name, FieldValue value)
    {
        if (n == fields.Length)
        {
            Array.Resize(ref paths, n * 2);
            Array.Resize(ref fields, n * 2);
        }
        paths[n] = CachedPathOf(name);
        fields[n++] = value;
    }

    // Field names are mostly the same string instances (the Ecs constants): a small table by reference comes first.
    private static FieldPath CachedPathOf(string name)
    {
        var recent = _recentPaths ??= new FieldPath?[256];
        var slot = RuntimeHelpers.GetHashCode(name) & (recent.Length - 1);
        if (recent[slot] is { } hit && ReferenceEquals(hit.Name, name)) return hit;
        var path = PathOf(name);
        if (ReferenceEquals(path.Name, name)) recent[slot] = path;
        return path;
    }

    private static Shape ShapeOf(ReadOnlySpan<FieldPath> fields)
    {
        var hash = fields.Length;
        foreach (var f in fields) hash = HashCode.Combine(hash, RuntimeHelpers.GetHashCode(f));
        var shapes = _shapes ??= new Dictionary<int, Shape>();
        if (shapes.TryGetValue(hash, out var known) && known.Paths.Length == fields.Length)
        {
            var same = true;
            for (var i = 0; i < fields.Length && same; i++) same = ReferenceEquals(known.Paths[i], fields[i]);
            if (same) return known;
        }
        if (shapes.Count >= MaxCachedShapes) shapes.Clear(); // shapes of JSON inputs are unbounded
        var paths = new FieldPath[fields.Length];
        fields.CopyTo(paths);
        var order = new int[fields.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        // names are unique within an event, so the order is fully determined
        Array.Sort(order, (a, b) => string.CompareOrdinal(paths[a].Name, paths[b].Name));
        var plan = new List<Step>();
        PlanRange(plan, paths, order, 0);
        var shape = new Shape(paths, [.. plan]);
        shapes[hash] = shape;
        return shape;
    }

    // The writes for a run of sorted fields (indexes into paths) at one nesting depth.
    private static void PlanRange(List<Step> plan, FieldPath[] paths, ReadOnlySpan<int> sorted, int depth)
    {
        string? lastLeaf = null;
        var i = 0;
        while (i < sorted.Length)
        {
            var path = paths[sorted[i]];
            if (path.Segments.Length == depth + 1)
            {
                plan.Add(new Step(StepKind.Value, path.Encoded[depth], null, sorted[i]));
                lastLeaf = path.Segments[depth];
                i++;
                continue;
            }
            // the run of names that share this segment
            var segment = path.Segments[depth];
            var j = i + 1;
            while (j < sorted.Length && paths[sorted[j]].Segments.Length > depth + 1 && paths[sorted[j]].Segments[depth] == segment) j++;
            if (lastLeaf == segment)
            {
                for (var k = i; k < j; k++)
                    plan.Add(new Step(StepKind.FlatValue, default, string.Join('.', paths[sorted[k]].Segments[depth..]), sorted[k]));
            }
            else
            {
                plan.Add(new Step(StepKind.StartObject, path.Encoded[depth], null, -1));
                PlanRange(plan, paths, sorted[i..j], depth + 1);
                plan.Add(new Step(StepKind.EndObject, default, null, -1));
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
            var name = FieldNames.Of(prefix, p);
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
