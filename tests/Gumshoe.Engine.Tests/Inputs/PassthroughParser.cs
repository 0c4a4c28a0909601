using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Engine.Tests.Inputs;

/// <summary>A parser that takes every line as its message, for inputs under test.</summary>
internal sealed class PassthroughParser(string name = "passthrough") : IParser
{
    public string Name { get; } = name;

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        e.Set(Ecs.Message, line);
        return ParseOutcome.Matched;
    }
}
