using System.Buffers;

namespace Gumshoe.Engine.Parsers;

/// <summary>
/// A parser that can write the JSON of its common lines straight from their UTF-8 bytes, byte for byte what parsing
/// the decoded line and writing its event with <see cref="Events.EventJson.WriteUtf8(IBufferWriter{byte}, Events.Event)"/>
/// would give (the fast path of <c>gumshoe parse</c>).
/// </summary>
public interface IDirectJsonParser : IParser
{
    /// <summary>A writer for one thread and one input file (<paramref name="filePath"/> null for stdin).</summary>
    IDirectJsonWriter CreateDirectWriter(ParseContext context, string? filePath);
}

/// <summary>Writes matched lines' events as JSON from their bytes; used from one thread.</summary>
public interface IDirectJsonWriter
{
    /// <summary>
    /// Writes the event of a line that matches (without a newline) and returns true; returns false, having written
    /// nothing, for any line it does not handle — the caller then parses the line as usual.
    /// </summary>
    bool TryWrite(ReadOnlyMemory<byte> line, long offset, IBufferWriter<byte> output);
}
