using System.Globalization;
using System.Text;

namespace Gumshoe.Engine.Inputs;

/// <summary>How syslog messages are delimited on a TCP stream (RFC 6587).</summary>
public enum SyslogFraming
{
    /// <summary>Per message: octet counting when it starts with a length and a space, else newline.</summary>
    Auto,
    /// <summary><c>LEN SP MSG</c>.</summary>
    OctetCounting,
    /// <summary>One message per line (non-transparent framing).</summary>
    Newline,
}

/// <summary>What was wrong with a frame; the frame is still delivered.</summary>
[Flags]
public enum FrameProblem : byte
{
    None = 0,
    /// <summary>Longer than the message limit: cut at the limit, the rest skipped.</summary>
    TooLong = 1,
    /// <summary>The stream ended inside an octet-counted frame.</summary>
    Incomplete = 2,
    /// <summary>Octet counting was required but the frame had no length.</summary>
    MissingLength = 4,
}

/// <summary>
/// Cuts a syslog TCP byte stream into messages with their stream offsets, by octet counting or newlines (decided
/// per message in <see cref="SyslogFraming.Auto"/>), across arbitrary packet boundaries. Messages longer than the
/// limit are cut and the rest of them skipped, so memory stays bounded by the limit.
/// </summary>
public sealed class SyslogFramer(SyslogFraming framing, int maxMessageBytes)
{
    // A length of more than 10 digits is no length: the frame is taken as a line.
    private const int MaxLengthDigits = 10;

    private byte[] _buffer = new byte[4096];
    private int _length;
    private long _bufferOffset; // stream offset of _buffer[0]
    private long _skipOctets;   // rest of an over-long counted frame
    private bool _skipLine;     // rest of an over-long line

    /// <summary>Receives each message's bytes (without length prefix or newline), start and end offset, and problems.</summary>
    public delegate void FrameHandler(ReadOnlySpan<byte> message, long offset, long endOffset, FrameProblem problems);

    public SyslogFraming Framing { get; } = framing;
    public int MaxMessageBytes { get; } = maxMessageBytes;

    /// <summary>Bytes received and not yet delivered (an incomplete frame).</summary>
    public int PendingBytes => _length;

    /// <summary>Feeds the next bytes of the stream; delivers every message they complete.</summary>
    public void Feed(ReadOnlySpan<byte> data, FrameHandler onFrame)
    {
        Append(data);
        Consume(Parse(onFrame, final: false));
    }

    /// <summary>The stream ended: delivers what is left as a last message.</summary>
    public void Finish(FrameHandler onFrame)
    {
        Consume(Parse(onFrame, final: true));
        _skipOctets = 0;
        _skipLine = false;
    }

    private int Parse(FrameHandler onFrame, bool final)
    {
        var pos = 0;
        while (pos < _length)
        {
            var avail = _buffer.AsSpan(pos, _length - pos);
            var at = _bufferOffset + pos;
            if (_skipOctets > 0)
            {
                var n = (int)Math.Min(_skipOctets, avail.Length);
                _skipOctets -= n;
                pos += n;
                continue;
            }
            if (_skipLine)
            {
                var nl = avail.IndexOf((byte)'\n');
                if (nl < 0) return _length;
                _skipLine = false;
                pos += nl + 1;
                continue;
            }
            // separators between frames (a trailing newline after a counted frame, keep-alive NULs)
            if (avail[0] is (byte)'\n' or (byte)'\r' or 0)
            {
                pos++;
                continue;
            }
            var problems = FrameProblem.None;
            if (Framing != SyslogFraming.Newline)
            {
                var digits = 0;
                while (digits < avail.Length && digits < MaxLengthDigits && char.IsAsciiDigit((char)avail[digits])) digits++;
                if (digits == avail.Length && digits < MaxLengthDigits && !final) break; // the length goes on in the next packet
                if (digits > 0 && digits < avail.Length && avail[digits] == (byte)' ' && avail[0] != (byte)'0')
                {
                    var length = long.Parse(avail[..digits], NumberStyles.None, CultureInfo.InvariantCulture);
                    var header = digits + 1;
                    var take = (int)Math.Min(length, MaxMessageBytes);
                    if (avail.Length - header >= take)
                    {
                        var tooLong = length > take;
                        onFrame(avail.Slice(header, take), at, at + header + length, tooLong ? FrameProblem.TooLong : FrameProblem.None);
                        pos += header + take;
                        _skipOctets = length - take;
                        continue;
                    }
                    if (!final) break;
                    onFrame(avail[header..], at, at + avail.Length, FrameProblem.Incomplete);
                    return _length;
                }
                if (Framing == SyslogFraming.OctetCounting) problems |= FrameProblem.MissingLength;
            }
            var lf = avail.IndexOf((byte)'\n');
            var end = lf >= 0 ? lf : avail.Length;
            if (lf < 0 && !final && avail.Length <= MaxMessageBytes) break; // the line goes on in the next packet
            var frameEnd = lf >= 0 ? lf + 1 : avail.Length;
            if (end > MaxMessageBytes)
            {
                onFrame(avail[..MaxMessageBytes], at, at + frameEnd, problems | FrameProblem.TooLong);
                if (lf < 0 && !final) _skipLine = true;
            }
            else onFrame(avail[..end], at, at + frameEnd, problems);
            pos += frameEnd;
        }
        return pos;
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (_length + data.Length > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_length + data.Length, _buffer.Length * 2));
        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
    }

    private void Consume(int count)
    {
        if (count == 0) return;
        _buffer.AsSpan(count, _length - count).CopyTo(_buffer);
        _length -= count;
        _bufferOffset += count;
        // give back the room an over-long message took
        if (_length == 0 && _buffer.Length > 64 * 1024) _buffer = new byte[4096];
    }

    /// <summary>Frames <paramref name="message"/> by octet counting, as a sender would (for tests and tools).</summary>
    public static byte[] OctetCounted(string message)
    {
        var body = Encoding.UTF8.GetBytes(message);
        var header = Encoding.ASCII.GetBytes(body.Length.ToString(CultureInfo.InvariantCulture) + " ");
        return [.. header, .. body];
    }
}
