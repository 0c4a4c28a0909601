using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers;

/// <summary>Parses a syslog file line's header into <c>@timestamp</c>, host, program, pid and <c>message</c>.</summary>
public sealed class SyslogLineParser(string name = "syslog") : IParser
{
    public string Name { get; } = name;

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        if (!SyslogHeader.TryParse(line, context, out var h)) return ParseOutcome.Unmatched("not a syslog line");
        h.Apply(e, line);
        return ParseOutcome.Matched;
    }
}
