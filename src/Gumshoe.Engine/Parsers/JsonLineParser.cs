using System.Text.Json;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Parsers;

/// <summary>
/// <c>type: json</c> (and pack <c>json</c>): one JSON object per line, nested objects flattened to dotted names.
/// <c>@timestamp</c> is taken from the object when present (RFC 3339), or from the field named by <c>timestamp:</c>.
/// The raw line stays <c>event.original</c>.
/// </summary>
public sealed class JsonLineParser(string name = "json", string? field = null, string? target = null, TimestampField? timestamp = null) : IParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public string Name { get; } = name;

    /// <summary>The field holding the JSON text; null for the raw line.</summary>
    public string? Field { get; } = field;

    /// <summary>A prefix for every field name (<c>target: app</c> puts <c>{"a":1}</c> at <c>app.a</c>); null for none.</summary>
    public string? Target { get; } = target;

    /// <summary>Where <c>@timestamp</c> comes from when not from the object's own <c>@timestamp</c>.</summary>
    public TimestampField? Timestamp { get; } = timestamp;

    /// <summary>Factory for <c>type: json</c>.</summary>
    public static IParser Create(ConfigNode node, ComponentContext context) =>
        new JsonLineParser(node.String("name") ?? "json", node.String("field"), node.String("target"), TimestampField.FromConfig(node));

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        var input = line;
        if (Field is not null)
        {
            input = e.GetString(Field)!;
            if (input is null) return ParseOutcome.Unmatched($"no field {Field}");
        }
        if (!TryParseObject(input, out var doc, out var failure)) return failure;
        using (doc)
        {
            var original = e.Original;
            var path = e.FilePath;
            var offset = e.Offset;
            EventJson.Flatten(e, doc.RootElement, Target ?? "");
            // The line read stays event.original, and the line's own place in its file stays the checkpoint position.
            e.Original = original;
            e.FilePath = path;
            e.Offset = offset;
            if (Timestamp is not null) return Timestamp.Apply(e, context);
            var stampName = Target is null ? Ecs.Timestamp : Target + "." + Ecs.Timestamp;
            if (doc.RootElement.TryGetProperty(Ecs.Timestamp, out var stamp))
            {
                var text = stamp.ValueKind == JsonValueKind.String ? stamp.GetString()! : stamp.GetRawText();
                if (!TimestampParser.TryParseRfc3339(text, context.TimeZone, out var ts)) return ParseOutcome.Failed($"bad timestamp in {stampName}: {text}");
                e.Timestamp = ts;
                if (Target is not null) e.Remove(stampName);
            }
        }
        return ParseOutcome.Matched;
    }

    /// <summary>Parses a line that must hold one JSON object; the failure names the byte where it broke.</summary>
    public static bool TryParseObject(string input, out JsonDocument document, out ParseOutcome failure)
    {
        document = null!;
        failure = default;
        try
        {
            document = JsonDocument.Parse(input, DocumentOptions);
        }
        catch (JsonException ex)
        {
            var message = ex.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut].TrimEnd('.', ' ');
            failure = ParseOutcome.Failed($"malformed JSON at byte {ex.BytePositionInLine ?? 0}: {message}");
            return false;
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            failure = ParseOutcome.Failed($"not a JSON object but {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
            document.Dispose();
            document = null!;
            return false;
        }
        return true;
    }
}
