using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Gumshoe.Engine.Inputs;

/// <summary>
/// Splits a request body into JSON objects: newline-delimited JSON (each non-blank line one object), a JSON array
/// of objects, or a single object (pretty-printed or not). The whole body is checked before anything is taken, so a
/// rejected body was not partly ingested.
/// </summary>
public static class JsonLinesBody
{
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 128 };
    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 128 };

    /// <summary>Adds each object's JSON text to <paramref name="records"/>; false with an error naming the line when the body is not JSON.</summary>
    public static bool TrySplit(ReadOnlySpan<byte> body, List<string> records, out string? error)
    {
        error = null;
        if (body.StartsWith("\uFEFF"u8)) body = body[3..];
        var first = body.IndexOfAnyExcept(" \t\r\n"u8);
        if (first < 0) return true;
        if (body[first] == (byte)'[') return TrySplitArray(body, records, out error);

        var lineNumber = 0;
        var count = records.Count;
        var rest = body;
        while (!rest.IsEmpty)
        {
            lineNumber++;
            var nl = rest.IndexOf((byte)'\n');
            var line = (nl >= 0 ? rest[..nl] : rest).Trim(" \t\r"u8);
            rest = nl >= 0 ? rest[(nl + 1)..] : default;
            if (line.IsEmpty) continue;
            if (IsObject(line, out var problem))
            {
                records.Add(Encoding.UTF8.GetString(line));
                continue;
            }
            // not one object per line: perhaps one pretty-printed object
            if (records.Count == count && TryWholeObject(body, records)) return true;
            records.RemoveRange(count, records.Count - count);
            error = $"line {lineNumber}: {problem}";
            return false;
        }
        return true;
    }

    private static bool IsObject(ReadOnlySpan<byte> line, out string problem)
    {
        problem = "";
        var reader = new Utf8JsonReader(line, ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                problem = "expected a JSON object";
                return false;
            }
            reader.Skip();
            if (reader.Read())
            {
                problem = "more than one JSON value on the line";
                return false;
            }
            return true;
        }
        catch (JsonException ex)
        {
            problem = $"invalid JSON at byte {ex.BytePositionInLine + 1}: {Describe(ex)}";
            return false;
        }
    }

    private static bool TryWholeObject(ReadOnlySpan<byte> body, List<string> records)
    {
        var reader = new Utf8JsonReader(body, ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            using var doc = JsonDocument.ParseValue(ref reader);
            if (reader.Read()) return false;
            records.Add(Compact(doc.RootElement));
            return true;
        }
        catch (JsonException) { return false; }
    }

    private static bool TrySplitArray(ReadOnlySpan<byte> body, List<string> records, out string? error)
    {
        error = null;
        var reader = new Utf8JsonReader(body, ReaderOptions);
        JsonDocument doc;
        try
        {
            reader.Read();
            doc = JsonDocument.ParseValue(ref reader);
            if (reader.Read())
            {
                doc.Dispose();
                error = $"line {LineOf(body, (int)reader.TokenStartIndex)}: more than one JSON value in the body";
                return false;
            }
        }
        catch (JsonException ex)
        {
            error = $"line {ex.LineNumber + 1}: invalid JSON at byte {ex.BytePositionInLine + 1}: {Describe(ex)}";
            return false;
        }
        using (doc)
        {
            var count = records.Count;
            var index = 0;
            foreach (var element in doc.RootElement.EnumerateArray())
            {
                index++;
                if (element.ValueKind != JsonValueKind.Object)
                {
                    records.RemoveRange(count, records.Count - count);
                    error = $"element {index} of the array: expected a JSON object";
                    return false;
                }
                records.Add(Compact(element));
            }
        }
        return true;
    }

    private static int LineOf(ReadOnlySpan<byte> body, int index) => body[..Math.Min(index, body.Length)].Count((byte)'\n') + 1;

    // One record is one line: a pretty-printed object is written compactly.
    private static string Compact(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) element.WriteTo(writer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // System.Text.Json appends its own (zero-based, per-document) position; ours is given instead.
    private static string Describe(JsonException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd();
    }
}
