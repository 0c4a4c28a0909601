using System.Text;
using System.Text.Unicode;

namespace Gumshoe.Engine.Inputs;

/// <summary>
/// Cuts a byte stream into lines with their byte offsets. Decodes UTF-8 (invalid bytes become U+FFFD and are
/// counted), counts NUL bytes, caps a line at <see cref="MaxLineBytes"/> (the rest of that line is skipped and
/// counted) and keeps an incomplete last line until its newline arrives or <see cref="Flush"/> is called.
/// </summary>
public sealed class LineSplitter(int maxLineBytes = LineSplitter.DefaultMaxLineBytes)
{
    /// <summary>Default line cap: 1 MiB.</summary>
    public const int DefaultMaxLineBytes = 1 << 20;

    private byte[] _partial = new byte[256];
    private int _partialLength;
    private long _partialStart = -1;
    private bool _skipping; // inside an over-long line, discarding until its newline

    public int MaxLineBytes { get; } = maxLineBytes;

    /// <summary>Called for each line: text, start offset, end offset (after the newline), and a problem if any.</summary>
    public delegate void LineHandler(string text, long offset, long endOffset, LineProblem problems);

    /// <summary>
    /// Called for each line with its raw bytes (a trailing CR removed; valid only during the call), before decoding:
    /// <paramref name="problems"/> holds the framing problems only; <see cref="Decode"/> adds the encoding ones.
    /// </summary>
    public delegate void RawLineHandler(ReadOnlySpan<byte> bytes, long offset, long endOffset, LineProblem problems);

    /// <summary>Bytes held back as an incomplete line.</summary>
    public int PendingBytes => _partialLength;

    /// <summary>Offset where the pending incomplete line starts, or -1.</summary>
    public long PendingStart => _partialLength > 0 || _skipping ? _partialStart : -1;

    /// <summary>Forgets any incomplete line (a file was truncated under it).</summary>
    public void Reset()
    {
        _partialLength = 0;
        _partialStart = -1;
        _skipping = false;
    }

    /// <summary>Feeds bytes that start at <paramref name="offset"/> in the source.</summary>
    public void Feed(ReadOnlySpan<byte> data, long offset, LineHandler onLine) => FeedRaw(data, offset, Decoding(onLine));

    /// <summary>Feeds bytes that start at <paramref name="offset"/> in the source; lines are handed over undecoded.</summary>
    public void FeedRaw(ReadOnlySpan<byte> data, long offset, RawLineHandler onLine)
    {
        var pos = 0;
        while (pos < data.Length)
        {
            var rest = data[pos..];
            var nl = rest.IndexOf((byte)'\n');
            if (nl < 0)
            {
                Append(rest, offset + pos);
                return;
            }
            var lineStart = offset + pos;
            var end = offset + pos + nl + 1;
            if (_partialLength > 0 || _skipping)
            {
                Append(rest[..nl], lineStart);
                var start = _partialStart;
                var problems = _skipping ? LineProblem.TooLong : LineProblem.None;
                var bytes = _partial.AsSpan(0, _partialLength);
                Emit(bytes, start, end, problems, onLine);
                Reset();
            }
            else if (nl > MaxLineBytes)
            {
                Emit(rest[..MaxLineBytes], lineStart, end, LineProblem.TooLong, onLine);
            }
            else
            {
                Emit(rest[..nl], lineStart, end, LineProblem.None, onLine);
            }
            pos += nl + 1;
        }
    }

    /// <summary>Emits a pending incomplete last line (end of a replayed or finished rotated file).</summary>
    public void Flush(long endOffset, LineHandler onLine) => FlushRaw(endOffset, Decoding(onLine));

    /// <summary>Emits a pending incomplete last line, undecoded.</summary>
    public void FlushRaw(long endOffset, RawLineHandler onLine)
    {
        if (_partialLength == 0 && !_skipping) return;
        var problems = LineProblem.NoNewline | (_skipping ? LineProblem.TooLong : LineProblem.None);
        Emit(_partial.AsSpan(0, _partialLength), _partialStart, endOffset, problems, onLine);
        Reset();
    }

    private void Append(ReadOnlySpan<byte> bytes, long offset)
    {
        if (_partialLength == 0 && !_skipping) _partialStart = offset;
        if (_skipping) return;
        var room = MaxLineBytes - _partialLength;
        if (bytes.Length > room)
        {
            bytes = bytes[..room];
            _skipping = true;
        }
        if (_partialLength + bytes.Length > _partial.Length)
            Array.Resize(ref _partial, Math.Max(_partialLength + bytes.Length, _partial.Length * 2));
        bytes.CopyTo(_partial.AsSpan(_partialLength));
        _partialLength += bytes.Length;
    }

    private static void Emit(ReadOnlySpan<byte> bytes, long start, long end, LineProblem problems, RawLineHandler onLine)
    {
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r') bytes = bytes[..^1];
        onLine(bytes, start, end, problems);
    }

    private static RawLineHandler Decoding(LineHandler onLine) =>
        (bytes, start, end, problems) => onLine(Decode(bytes, ref problems), start, end, problems);

    /// <summary>A line's text: invalid UTF-8 becomes U+FFFD, so do NUL bytes; both are added to <paramref name="problems"/>.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes, ref LineProblem problems)
    {
        if (!Utf8.IsValid(bytes)) problems |= LineProblem.InvalidUtf8;
        if (bytes.Contains((byte)0)) problems |= LineProblem.NulBytes;
        var text = Encoding.UTF8.GetString(bytes);
        if ((problems & LineProblem.NulBytes) != 0) text = text.Replace('\0', '\uFFFD');
        return text;
    }
}

/// <summary>What was wrong with a line's bytes; the line is still delivered.</summary>
[Flags]
public enum LineProblem : byte
{
    None = 0,
    InvalidUtf8 = 1,
    NulBytes = 2,
    TooLong = 4,
    NoNewline = 8,
}

/// <summary>Metric reasons for <see cref="LineProblem"/> flags.</summary>
public static class LineProblems
{
    public static IEnumerable<string> Reasons(LineProblem p)
    {
        if ((p & LineProblem.InvalidUtf8) != 0) yield return "invalid_utf8";
        if ((p & LineProblem.NulBytes) != 0) yield return "nul_bytes";
        if ((p & LineProblem.TooLong) != 0) yield return "line_too_long";
        if ((p & LineProblem.NoNewline) != 0) yield return "truncated_last_line";
    }
}
