using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers;

/// <summary>
/// A parser that can make the event of its common lines straight from their UTF-8 bytes, with only the fields a
/// caller reads: for those fields, the values <see cref="IParser.Parse"/> would give (the fast path of a replay whose
/// events only rules see).
/// </summary>
public interface IDirectEventParser : IParser
{
    /// <summary>
    /// A reader for one thread and one input file (<paramref name="filePath"/> null for stdin) that sets, of the parsed
    /// fields, those in <paramref name="fields"/>.
    /// </summary>
    IDirectEventReader CreateDirectReader(ParseContext context, string? filePath, string inputName, IReadOnlySet<string> fields);
}

/// <summary>Makes events of matched lines from their bytes; used from one thread.</summary>
public interface IDirectEventReader
{
    /// <summary>
    /// The event of a line that matches — its time, file, offset and input, and those of the asked fields the full
    /// parse sets, with the same values — or null for any line it does not handle (the caller then parses it as usual).
    /// </summary>
    Event? TryRead(ReadOnlyMemory<byte> line, long offset);
}
