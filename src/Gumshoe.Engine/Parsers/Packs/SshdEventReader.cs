using System.Buffers.Text;
using System.Numerics;
using System.Text;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers.Packs;

/// <summary>
/// The sshd pack's direct event reader: a common sshd line read by the direct JSON writer's own slicing
/// (<see cref="SshdJsonWriter.Read"/>), and of its fields only those asked for made into values — no decoded line,
/// no header or message strings, a field table sized to what is set.
/// </summary>
/// <remarks>
/// The values are those <see cref="SshdParser"/> gives (a differential test holds them equal): strings as strings,
/// <c>source.ip</c> as the address the writer parsed from the same text (a plain IPv4 one held in the value itself,
/// <see cref="FieldValue.Ipv4"/>), numbers and <c>user.invalid</c> as numbers and a boolean.
/// Lines with <c>"</c> or <c>\</c> are left to the parser, so every string slot holds the text itself, unescaped.
/// </remarks>
internal sealed class SshdEventReader : IDirectEventReader
{
    // the pack's interned names (see FieldNames), so a rule's lookup matches by reference
    private static readonly string[] Names = NamesOfSlots();

    private readonly SshdJsonWriter _lines;
    private readonly string? _path;
    private readonly string _input;
    private readonly ulong _wanted;     // slots of the asked fields that are table fields
    private readonly bool _original;    // event.original asked for
    // per slot, the last string made: the action, outcome, method, host and program mostly repeat line after line
    private readonly string?[] _last = new string?[Names.Length];

    public SshdEventReader(ParseContext context, string? filePath, string inputName, IReadOnlySet<string> fields)
    {
        _lines = new SshdJsonWriter(context, filePath);
        _path = filePath;
        _input = inputName;
        for (var slot = 0; slot < Names.Length; slot++)
            if (fields.Contains(Names[slot]) && slot is not (SshdJsonWriter.Timestamp or SshdJsonWriter.LogFilePath or SshdJsonWriter.LogOffset or SshdJsonWriter.EventOriginal))
                _wanted |= 1UL << slot;
        _original = fields.Contains(Ecs.EventOriginal);
        _lines.Fields.Kept = _wanted; // the writer records nothing else
    }

    private static string[] NamesOfSlots()
    {
        var layout = SshdJsonWriter.Layout;
        var names = new string[layout.Count];
        for (var i = 0; i < names.Length; i++) names[i] = FieldNames.Intern(layout.Name(i));
        return names;
    }

    public Event? TryRead(ReadOnlyMemory<byte> line, long offset)
    {
        if (!_lines.Read(line)) return null;
        var raw = _lines.Fields;
        // with a quote or a backslash in the line a string slot may hold escaped text: the parser takes it
        if (!raw.NoEscapes) return null;
        var set = raw.Mask;
        var e = new Event(BitOperations.PopCount(set))
        {
            Timestamp = _lines.Stamp, FilePath = _path, Offset = offset, Input = _input,
            Original = _original ? Encoding.Latin1.GetString(line.Span) : null,
        };
        while (set != 0)
        {
            var slot = BitOperations.TrailingZeroCount(set);
            set &= set - 1;
            if (!TryValue(raw, slot, out var value)) return null;
            e.Set(Names[slot], value);
        }
        return e;
    }

    private bool TryValue(RawJsonEvent raw, int slot, out FieldValue value)
    {
        var bytes = raw.Value(slot);
        switch (slot)
        {
            case SshdJsonWriter.UserInvalid:
                value = FieldValue.Bool(true);
                return true;
            case SshdJsonWriter.ProcessPid or SshdJsonWriter.SourcePort:
                var ok = Utf8Parser.TryParse(bytes, out long n, out var used) && used == bytes.Length;
                value = FieldValue.Long(n);
                return ok;
            case SshdJsonWriter.SourceIp:
                // the address the writer parsed from the host as the line has it, as the parser does
                value = _lines.Address is { } ip ? FieldValue.Ip(ip) : FieldValue.Ipv4(_lines.AddressV4);
                return true;
            default:
                value = FieldValue.String(Text(slot, bytes));
                return true;
        }
    }

    private string Text(int slot, ReadOnlySpan<byte> ascii)
    {
        if (_last[slot] is { } last && Ascii.Equals(ascii, last)) return last;
        return _last[slot] = Encoding.Latin1.GetString(ascii);
    }
}
