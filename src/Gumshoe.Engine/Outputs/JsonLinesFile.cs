using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gumshoe.Engine.Outputs;

/// <summary>
/// An append-only JSON-lines output file (<c>--alerts-out</c>, <c>--events-out</c>, <c>--scores-out</c>) whose
/// committed length is part of the checkpoint: on start it is cut back to that length, so a torn last line or a
/// line written after the last checkpoint never remains, and re-derived lines are written exactly once.
/// </summary>
public sealed class JsonLinesFile : IDisposable
{
    private readonly FileStream _stream;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _json;

    /// <summary>Opens (creating) the file, cut back to <paramref name="committedLength"/> when given.</summary>
    public JsonLinesFile(string path, long? committedLength = null)
    {
        Path = System.IO.Path.GetFullPath(path);
        if (System.IO.Path.GetDirectoryName(Path) is { } dir) Directory.CreateDirectory(dir);
        _stream = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        var keep = committedLength ?? _stream.Length;
        if (_stream.Length > keep) _stream.SetLength(keep);
        else if (_stream.Length < keep) keep = _stream.Length; // the file was cut by hand: append after what is there
        else if (committedLength is null && keep > 0 && !EndsWithNewline()) _stream.SetLength(keep = LastNewline() + 1);
        _stream.Position = keep;
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
    }

    public string Path { get; }

    /// <summary>Bytes written so far (the length to commit).</summary>
    public long Length => _stream.Position;

    /// <summary>Lines written since opening.</summary>
    public long LinesWritten { get; private set; }

    /// <summary>
    /// Whether each line reaches the OS as it is written, so readers see it within milliseconds (the default); a
    /// replay, whose file is read when it ends, leaves lines in the buffer until it fills.
    /// </summary>
    public bool FlushEachLine { get; init; } = true;

    /// <summary>Writes one JSON object as a line.</summary>
    public void WriteLine(Action<Utf8JsonWriter> write)
    {
        _buffer.ResetWrittenCount();
        _json.Reset();
        write(_json);
        _json.Flush();
        _stream.Write(_buffer.WrittenSpan);
        _stream.WriteByte((byte)'\n');
        if (FlushEachLine) _stream.Flush();
        LinesWritten++;
    }

    /// <summary>Forces written lines to disk before a checkpoint records their length.</summary>
    public void FlushToDisk() => _stream.Flush(flushToDisk: true);

    private bool EndsWithNewline()
    {
        _stream.Position = _stream.Length - 1;
        return _stream.ReadByte() == '\n';
    }

    private long LastNewline()
    {
        var buf = new byte[4096];
        var pos = _stream.Length;
        while (pos > 0)
        {
            var n = (int)Math.Min(buf.Length, pos);
            pos -= n;
            _stream.Position = pos;
            _stream.ReadExactly(buf, 0, n);
            var i = buf.AsSpan(0, n).LastIndexOf((byte)'\n');
            if (i >= 0) return pos + i;
        }
        return -1;
    }

    public void Dispose()
    {
        _json.Dispose();
        _stream.Dispose();
    }
}
