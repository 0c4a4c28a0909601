using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers;

/// <summary>What became of one line in a parser.</summary>
public enum ParseStatus : byte
{
    /// <summary>Recognised: the event has its fields.</summary>
    Matched,
    /// <summary>Not a line this parser knows; counted as unmatched.</summary>
    Unmatched,
    /// <summary>Deliberately dropped (a comment line, a filtered program); counted with its reason.</summary>
    Dropped,
    /// <summary>Malformed input (broken JSON, a bad timestamp); counted with its reason.</summary>
    Failed,
}

/// <summary>The outcome of parsing one line, with a reason for everything but a match.</summary>
public readonly record struct ParseOutcome(ParseStatus Status, string? Reason = null)
{
    public static readonly ParseOutcome Matched = new(ParseStatus.Matched);
    public static ParseOutcome Unmatched(string reason = "no pattern matched") => new(ParseStatus.Unmatched, reason);
    public static ParseOutcome Dropped(string reason) => new(ParseStatus.Dropped, reason);
    public static ParseOutcome Failed(string reason) => new(ParseStatus.Failed, reason);
}

/// <summary>
/// Turns one line into event fields. The event arrives with <see cref="Event.Original"/>, its file, offset,
/// input and a fallback timestamp set; the parser adds fields and sets <see cref="Event.Timestamp"/> when the
/// line carries one. A parser keeps no per-line state: a replay parses ahead on several threads with one instance.
/// </summary>
public interface IParser
{
    /// <summary>The name the parser is registered or configured under.</summary>
    string Name { get; }

    /// <summary>Parses a line into the event.</summary>
    ParseOutcome Parse(string line, Event e, ParseContext context);
}

/// <summary>Per-input facts a parser needs: the time zone of zone-less stamps and the year of year-less ones.</summary>
public sealed class ParseContext
{
    /// <summary>Time zone for timestamps that carry none.</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>The clock year-less syslog stamps are placed against.</summary>
    public YearInference Years { get; init; } = new();
}
