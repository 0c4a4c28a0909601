namespace Gumshoe.Engine.Parsers;

/// <summary>
/// Recognises, from a line's raw UTF-8 bytes and before any decoding or regex, lines that certainly parse into an
/// event no rule can match; such a line is counted as parsed and skipped. When in doubt it keeps the line. Safe to
/// use from several threads at once.
/// </summary>
public interface ILinePrefilter
{
    /// <summary>
    /// True when the parser would match the line (status matched) and the event cannot match: its event time is then
    /// in <paramref name="timestamp"/> (the rules' clock still needs it). False means "parse it as usual".
    /// </summary>
    bool CanSkip(ReadOnlySpan<byte> line, ParseContext context, out DateTimeOffset timestamp);
}

/// <summary>A parser that knows which <c>event.action</c> values it produces and which literals a line needs for each.</summary>
public interface IPrefilteringParser : IParser
{
    /// <summary>Every <c>event.action</c> value an event of this parser can have once classified.</summary>
    IReadOnlyCollection<string> EventActions { get; }

    /// <summary>
    /// A prefilter that keeps every line that may yield one of <paramref name="actions"/> (and every line it cannot
    /// read); null when no such prefilter can be built (an action that any message may get).
    /// </summary>
    ILinePrefilter? PrefilterFor(IReadOnlySet<string> actions);
}
