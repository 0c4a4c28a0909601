using System.Buffers;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers.Packs;

/// <summary>
/// The sshd pack's direct JSON writer: the event of a common sshd line written from the line's bytes, without
/// decoding it, without an <see cref="Event"/> and without allocating (but for an IPv6 address).
/// </summary>
/// <remarks>
/// It takes printable-ASCII lines (so a byte is a char and nothing but <c>"</c> and <c>\</c> needs escaping) with a
/// BSD stamp and no PRI, whose message has one of the common forms; each branch repeats the one of
/// <see cref="SshdParser.ClassifyMessage"/> on bytes, with the same searches in the same order. Every other line
/// (another header form, a rare message form, a host that is not a plain address) is left to the parser: a
/// differential test holds the two to the same bytes.
/// </remarks>
internal sealed class SshdJsonWriter : IDirectJsonWriter
{
    private readonly ParseContext _context;
    private readonly byte[]? _pathJson;
    // Every field the writer sets: a slot each (constants, for the hot path), strings quoted by the layout.
    internal const int Timestamp = 0, EventAction = 1, EventCategory = 2, EventOriginal = 3, EventOutcome = 4, EventReason = 5,
        HostName = 6, LogFilePath = 7, LogOffset = 8, Message = 9, ProcessName = 10, ProcessPid = 11, SourceAddress = 12,
        SourceDomain = 13, SourceIp = 14, SourcePort = 15, AuthMethod = 16, SshKey = 17, UserInvalid = 18, UserName = 19;
    internal static readonly RawJsonLayout Layout = LayoutOfSlots();

    // each slot's field set by its constant, so the numbers and the names cannot drift apart
    private static RawJsonLayout LayoutOfSlots()
    {
        var fields = new (string Name, bool IsString)[UserName + 1];
        fields[Timestamp] = (Ecs.Timestamp, false);
        fields[EventAction] = (Ecs.EventAction, true);
        fields[EventCategory] = (Ecs.EventCategory, true);
        fields[EventOriginal] = (Ecs.EventOriginal, true);
        fields[EventOutcome] = (Ecs.EventOutcome, true);
        fields[EventReason] = (Ecs.EventReason, true);
        fields[HostName] = (Ecs.HostName, true);
        fields[LogFilePath] = (Ecs.LogFilePath, false);
        fields[LogOffset] = (Ecs.LogOffset, false);
        fields[Message] = (Ecs.Message, true);
        fields[ProcessName] = (Ecs.ProcessName, true);
        fields[ProcessPid] = (Ecs.ProcessPid, false);
        fields[SourceAddress] = (Ecs.SourceAddress, true);
        fields[SourceDomain] = (Ecs.SourceDomain, true);
        fields[SourceIp] = (Ecs.SourceIp, true);
        fields[SourcePort] = (Ecs.SourcePort, false);
        fields[AuthMethod] = ("ssh.auth_method", true);
        fields[SshKey] = ("ssh.key", true);
        fields[UserInvalid] = ("user.invalid", false);
        fields[UserName] = (Ecs.UserName, true);
        return new RawJsonLayout(fields);
    }

    private readonly RawJsonEvent _event = new(Layout);
    private readonly ArrayBufferWriter<byte> _scratch = new(256);
    // Consecutive lines mostly share their stamp: its bytes (with the space after it) and its JSON are kept.
    private readonly byte[] _stampKey = new byte[64];
    private int _stampKeyLength;
    private readonly byte[] _stampJson = new byte[64];
    private int _stampJsonLength;
    private DateTimeOffset _stampTime;

    public SshdJsonWriter(ParseContext context, string? filePath)
    {
        _context = context;
        if (filePath is null) return;
        EventJson.WriteValueUtf8(_scratch, FieldValue.String(filePath));
        _pathJson = _scratch.WrittenSpan.ToArray();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryWrite(ReadOnlyMemory<byte> source, long offset, IBufferWriter<byte> output)
    {
        if (!Read(source) || !StampJson()) return false;
        var e = _event;
        e.AddJson(Timestamp, _stampJson.AsSpan(0, _stampJsonLength));
        if (_pathJson is not null) e.AddJson(LogFilePath, _pathJson);
        e.AddLong(LogOffset, offset);
        e.AddString(EventOriginal, source.Span);
        EventJson.WriteUtf8(output, e);
        return true;
    }

    /// <summary>The fields of the line last <see cref="Read"/> (but for its file, offset and original text).</summary>
    internal RawJsonEvent Fields => _event;

    /// <summary>
    /// The address of <c>source.ip</c> of the line last <see cref="Read"/>, when it set one: <see cref="AddressV4"/>
    /// (network order) when this is null, for a plain dotted quad.
    /// </summary>
    internal IPAddress? Address { get; private set; }

    /// <inheritdoc cref="Address"/>
    internal uint AddressV4 { get; private set; }

    /// <summary>The event time of the line last <see cref="Read"/>.</summary>
    internal DateTimeOffset Stamp => _stampTime;

    /// <summary>
    /// Reads a line into <see cref="Fields"/> and <see cref="Stamp"/>, or returns false for a line left to the parser.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool Read(ReadOnlyMemory<byte> source)
    {
        var line = source.Span;
        if (line.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) >= 0) return false;
        var e = _event;
        e.Clear(source);
        e.NoEscapes = line.IndexOfAny((byte)'"', (byte)'\\') < 0;
        if (!Header(line, e, out var msgStart)) return false;
        var msg = line[msgStart..];
        if (msg.StartsWith("message repeated "u8)) return false;
        e.AddString(EventCategory, "authentication"u8);
        return Classify(e, msg);
    }

    // SyslogHeader.TryParse for a line without PRI and with a BSD stamp, and SyslogHeader.Apply.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Header(ReadOnlySpan<byte> s, RawJsonEvent e, out int msgStart)
    {
        msgStart = 0;
        if (s.Length < 16 || !char.IsAsciiLetterUpper((char)s[0]) || s[3] != ' ') return false;
        if (!(s.Length >= _stampKeyLength && _stampKeyLength > 0 && s[.._stampKeyLength].SequenceEqual(_stampKey.AsSpan(0, _stampKeyLength))) && !NewStamp(s))
            return false;
        var pos = _stampKeyLength;
        var rest = s[pos..];
        var hostEnd = rest.IndexOf((byte)' ');
        if (hostEnd <= 0) return false;
        var host = rest[..hostEnd];
        pos += hostEnd + 1;
        rest = s[pos..];
        var colon = rest.IndexOf(": "u8);
        if (colon < 0) colon = rest.Length > 0 && rest[^1] == ':' ? rest.Length - 1 : -1;
        if (colon <= 0 || rest[..colon].IndexOf((byte)' ') >= 0) return false;
        var tag = rest[..colon];
        long pid = -1;
        var program = tag;
        var br = tag.IndexOf((byte)'[');
        if (br > 0 && tag[^1] == ']')
        {
            program = tag[..br];
            var digits = tag[(br + 1)..^1];
            if (digits.Length > 18) return false; // long.TryParse's overflow: left to the parser
            if (digits.Length > 0 && digits.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0)
            {
                pid = 0;
                foreach (var d in digits) pid = pid * 10 + (d - '0');
            }
        }
        if (!program.StartsWith("sshd"u8)) return false;
        msgStart = pos + colon + 1;
        if (msgStart < s.Length && s[msgStart] == ' ') msgStart++;
        e.AddString(HostName, host);
        e.AddString(ProcessName, program);
        if (pid >= 0) e.AddLong(ProcessPid, pid);
        e.AddString(Message, s[msgStart..]);
        return true;
    }

    // A stamp unlike the last line's: resolved by the header parser itself (year inference included) and kept.
    private bool NewStamp(ReadOnlySpan<byte> s)
    {
        Span<char> chars = stackalloc char[Math.Min(s.Length, _stampKey.Length)];
        for (var i = 0; i < chars.Length; i++) chars[i] = (char)s[i];
        if (!SyslogHeader.TryBsdStamp(chars, _context, out var ts, out var end)) return false;
        _stampJsonLength = -1; // written when first needed: an event reader never needs it
        s[..end].CopyTo(_stampKey);
        _stampKeyLength = end;
        _stampTime = ts;
        return true;
    }

    // The JSON of the current stamp, worked out once per stamp.
    private bool StampJson()
    {
        if (_stampJsonLength >= 0) return true;
        _scratch.ResetWrittenCount();
        EventJson.WriteValueUtf8(_scratch, FieldValue.Timestamp(_stampTime));
        if (_scratch.WrittenCount > _stampJson.Length) return false;
        _scratch.WrittenSpan.CopyTo(_stampJson);
        _stampJsonLength = _scratch.WrittenCount;
        return true;
    }

    // SshdParser.Classify1, branch by branch; false for the branches left to the parser and for any fall-through.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Classify(RawJsonEvent e, ReadOnlySpan<byte> m)
    {
        var preauth = m.EndsWith("[preauth]"u8);
        if (m.StartsWith("error: "u8) || m.StartsWith("fatal: "u8)) m = m[7..];

        if (m.StartsWith("Failed "u8) || m.StartsWith("Accepted "u8) || m.StartsWith("Postponed "u8))
        {
            var verbEnd = m.IndexOf((byte)' ');
            var verb = m[..verbEnd];
            var forAt = m[(verbEnd + 1)..].IndexOf(" for "u8);
            if (forAt <= 0) return false;
            var method = m.Slice(verbEnd + 1, forAt);
            var after = m[(verbEnd + 1 + forAt + 5)..];
            var invalid = after.StartsWith("invalid user "u8) || after.StartsWith("illegal user "u8);
            if (invalid) after = after[13..];
            if (!SplitUserFrom(after, out var user, out var hostPart)) return false;
            e.AddString(AuthMethod, method);
            SetUser(e, user);
            if (invalid) e.AddJson(UserInvalid, "true"u8);
            if (!SetHostPort(e, hostPart)) return false;
            if (verb.SequenceEqual("Accepted"u8))
            {
                Set(e, "ssh_login"u8, "success"u8);
                var key = hostPart.IndexOf(": "u8);
                if (key > 0) e.AddString(SshKey, hostPart[(key + 2)..]);
            }
            else if (verb.SequenceEqual("Failed"u8)) Set(e, "ssh_auth_failed"u8, "failure"u8);
            else Set(e, "ssh_other"u8, "unknown"u8);
            return true;
        }
        if (m.StartsWith("Invalid user "u8) || m.StartsWith("Illegal user "u8))
        {
            if (!SplitUserFrom(m[13..], out var user, out var hostPart)) return false;
            SetUser(e, user);
            e.AddJson(UserInvalid, "true"u8);
            if (!SetHostPort(e, hostPart)) return false;
            Set(e, "ssh_invalid_user"u8, "failure"u8);
            return true;
        }
        if (m.StartsWith("input_userauth_request: invalid user "u8)) return false;
        if (m.StartsWith("pam_unix(sshd:auth): authentication failure;"u8) || m.StartsWith("authentication failure;"u8))
        {
            var rhost = KeyValue(m, "rhost="u8);
            if (rhost.Length > 0 && !SetHost(e, rhost)) return false;
            var user = KeyValue(m, " user="u8);
            SetUser(e, user);
            Set(e, "ssh_pam_auth_failed"u8, "failure"u8);
            return true;
        }
        if (m.StartsWith("PAM "u8) && m.IndexOf("more authentication failure"u8) >= 0) return false;
        if (m.StartsWith("pam_unix(sshd:auth): check pass; user unknown"u8) || m.StartsWith("check pass; user unknown"u8))
        {
            Set(e, "ssh_pam_user_unknown"u8, "failure"u8);
            return true;
        }
        if (m.StartsWith("PAM: Authentication failure for "u8) || m.StartsWith("ROOT LOGIN REFUSED FROM "u8)) return false;
        if (m.StartsWith("User "u8) && m.IndexOf(" not allowed because "u8) >= 0) return false;
        if (m.StartsWith("maximum authentication attempts exceeded for "u8))
        {
            var after = m["maximum authentication attempts exceeded for ".Length..];
            var invalid = after.StartsWith("invalid user "u8);
            if (invalid) after = after[13..];
            if (!SplitUserFrom(after, out var user, out var hostPart)) return false;
            SetUser(e, user);
            if (invalid) e.AddJson(UserInvalid, "true"u8);
            if (!SetHostPort(e, hostPart)) return false;
            Set(e, "ssh_max_auth_attempts"u8, "failure"u8);
            return true;
        }
        if (m.StartsWith("Disconnecting: Too many authentication failures"u8)) return false;
        if (m.StartsWith("Disconnecting "u8) && m.IndexOf("Too many authentication failures"u8) >= 0) return false;
        if (m.StartsWith("Connection closed by "u8) || m.StartsWith("Disconnected from "u8) || m.StartsWith("Connection reset by "u8))
        {
            var b = m.IndexOf(" by "u8);
            var start = b > 0 && b < 20 ? b + 4 : m.IndexOf(" from "u8) + 6;
            var body = m[start..];
            if (body.EndsWith(" [preauth]"u8)) body = body[..^10];
            if (!ParseUserHostPort(e, body)) return false;
            if (preauth) Set(e, "ssh_preauth_disconnect"u8, "failure"u8);
            else Set(e, "ssh_disconnect"u8, "unknown"u8);
            return true;
        }
        if (m.StartsWith("Received disconnect from "u8))
        {
            var body = m["Received disconnect from ".Length..];
            var colon = body.IndexOf(": "u8);
            if (!SetHostPort(e, colon > 0 ? body[..colon] : body)) return false;
            if (colon > 0) e.AddString(EventReason, WithoutPreauth(body[(colon + 2)..]));
            if (preauth) Set(e, "ssh_preauth_disconnect"u8, "failure"u8);
            else Set(e, "ssh_disconnect"u8, "success"u8);
            return true;
        }
        if (m.StartsWith("Did not receive identification string from "u8))
        {
            if (!SetHostPort(e, m["Did not receive identification string from ".Length..])) return false;
            Set(e, "ssh_no_identification"u8, "failure"u8);
            return true;
        }
        if (m.StartsWith("Unable to negotiate with "u8) || m.StartsWith("banner exchange: Connection from "u8) || m.StartsWith("Bad protocol version identification "u8))
        {
            int fromAt;
            if (m.StartsWith("Unable"u8)) fromAt = "Unable to negotiate with ".Length;
            else if (m.StartsWith("banner"u8)) fromAt = "banner exchange: Connection from ".Length;
            else
            {
                var f = m.LastIndexOf(" from "u8);
                fromAt = f > 0 ? f + 6 : m.Length;
            }
            var body = m[fromAt..];
            var colon = body.IndexOf((byte)':');
            if (!SetHostPort(e, colon > 0 ? body[..colon] : body)) return false;
            Set(e, "ssh_negotiation_failed"u8, "failure"u8);
            return true;
        }
        if (m.StartsWith("reverse mapping checking getaddrinfo for "u8))
        {
            var open = m.IndexOf((byte)'[');
            var close = open >= 0 ? m[open..].IndexOf((byte)']') : -1;
            if (open > 0 && close > 0 && !SetHost(e, m.Slice(open + 1, close - 1))) return false;
            Set(e, "ssh_reverse_mapping_failed"u8, "unknown"u8);
            return true;
        }
        if (m.StartsWith("Address "u8) && m.IndexOf(" maps to "u8) >= 0) return false;
        if (m.StartsWith("pam_unix(sshd:session): session opened for user "u8))
        {
            var u = m["pam_unix(sshd:session): session opened for user ".Length..];
            var sp = u.IndexOf((byte)' ');
            SetUser(e, sp > 0 ? u[..sp] : u);
            Set(e, "ssh_session_opened"u8, "success"u8);
            return true;
        }
        if (m.StartsWith("pam_unix(sshd:session): session closed for user "u8))
        {
            SetUser(e, m["pam_unix(sshd:session): session closed for user ".Length..].Trim((byte)' '));
            Set(e, "ssh_session_closed"u8, "success"u8);
            return true;
        }
        if (m.StartsWith("Connection from "u8))
        {
            var body = m["Connection from ".Length..];
            var on = body.IndexOf(" on "u8);
            if (!SetHostPort(e, on > 0 ? body[..on] : body)) return false;
            Set(e, "ssh_connection"u8, "unknown"u8);
            return true;
        }
        if (preauth) Set(e, "ssh_preauth_disconnect"u8, "failure"u8);
        else Set(e, "ssh_other"u8, "unknown"u8);
        return true;
    }

    private static void Set(RawJsonEvent e, ReadOnlySpan<byte> action, ReadOnlySpan<byte> outcome)
    {
        e.AddString(EventAction, action);
        e.AddString(EventOutcome, outcome);
    }

    private static void SetUser(RawJsonEvent e, ReadOnlySpan<byte> user)
    {
        if (user.Length > 0) e.AddString(UserName, user);
    }

    private static bool SplitUserFrom(ReadOnlySpan<byte> s, out ReadOnlySpan<byte> user, out ReadOnlySpan<byte> hostPart)
    {
        var at = s.LastIndexOf(" from "u8);
        if (at < 0)
        {
            if (s.StartsWith("from "u8)) { user = default; hostPart = s[5..]; return true; }
            user = hostPart = default;
            return false;
        }
        user = s[..at];
        hostPart = s[(at + 6)..];
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool SetHostPort(RawJsonEvent e, ReadOnlySpan<byte> s)
    {
        var sp = s.IndexOf((byte)' ');
        if (!SetHost(e, sp < 0 ? s : s[..sp])) return false;
        var portAt = s.IndexOf(" port "u8);
        if (portAt >= 0)
        {
            var p = s[(portAt + 6)..];
            var end = p.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            if (end < 0) end = p.Length;
            if (int.TryParse(p[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var port)) e.AddLong(SourcePort, port);
        }
        return true;
    }

    // An address when IPAddress reads one (and the text has a dot or a colon), a domain otherwise; false when the
    // address would not be written as plain ASCII.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool SetHost(RawJsonEvent e, ReadOnlySpan<byte> host)
    {
        host = host.TrimEnd((byte)':');
        if (host.Length == 0) return true;
        if (IsPlainIPv4(host, out var v4))
        {
            // an address in its own canonical form: written as it stands
            (Address, AddressV4) = (null, v4);
            e.AddString(SourceIp, host);
            e.AddString(SourceAddress, host);
            return true;
        }
        if (host.Length > 256) return false;
        Span<char> chars = stackalloc char[host.Length];
        for (var i = 0; i < host.Length; i++) chars[i] = (char)host[i];
        if (IPAddress.TryParse(chars, out var ip) && (host.Contains((byte)'.') || host.Contains((byte)':')))
        {
            Span<byte> text = stackalloc byte[66];
            if (!ip.TryFormat(text, out var written)) return false;
            text = text[..written];
            if (text.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) >= 0 || JavaScriptEncoder.UnsafeRelaxedJsonEscaping.FindFirstCharacterToEncodeUtf8(text) >= 0)
                return false;
            Address = ip;
            e.AddString(SourceIp, text);
            e.AddString(SourceAddress, host);
            return true;
        }
        e.AddString(SourceDomain, host);
        e.AddString(SourceAddress, host);
        return true;
    }

    // Four decimal parts of 0–255 without leading zeros: what IPAddress formats back to the same text.
    // The address comes in network order, as IPAddress(long) takes it.
    private static bool IsPlainIPv4(ReadOnlySpan<byte> s, out uint address)
    {
        address = 0;
        if (s.Length is < 7 or > 15) return false;
        var parts = 0;
        var i = 0;
        while (true)
        {
            var start = i;
            var value = 0;
            while (i < s.Length && i - start < 4 && (uint)(s[i] - '0') <= 9) value = value * 10 + (s[i++] - '0');
            var len = i - start;
            if (len is 0 or > 3 || value > 255 || (len > 1 && s[start] == '0')) return false;
            address |= (uint)value << (8 * parts);
            parts++;
            if (i == s.Length) return parts == 4;
            if (s[i] != '.' || parts == 4) return false;
            i++;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool ParseUserHostPort(RawJsonEvent e, ReadOnlySpan<byte> body)
    {
        var invalid = body.StartsWith("invalid user "u8);
        if (body.StartsWith("authenticating user "u8)) body = body[20..];
        else if (invalid) body = body[13..];
        else if (body.StartsWith("user "u8)) body = body[5..];
        else return SetHostPort(e, body);
        var portAt = body.LastIndexOf(" port "u8);
        var head = portAt > 0 ? body[..portAt] : body;
        var hostAt = head.LastIndexOf((byte)' ');
        if (hostAt <= 0) return SetHostPort(e, body);
        SetUser(e, head[..hostAt]);
        if (invalid) e.AddJson(UserInvalid, "true"u8);
        return SetHostPort(e, body[(hostAt + 1)..]);
    }

    private static ReadOnlySpan<byte> KeyValue(ReadOnlySpan<byte> msg, ReadOnlySpan<byte> key)
    {
        var at = msg.IndexOf(key);
        if (at < 0) return default;
        var value = msg[(at + key.Length)..];
        var end = value.IndexOf((byte)' ');
        return end < 0 ? value : value[..end];
    }

    // string.Replace(" [preauth]", "") on bytes
    private ReadOnlySpan<byte> WithoutPreauth(ReadOnlySpan<byte> s)
    {
        if (s.IndexOf(" [preauth]"u8) < 0) return s;
        _scratch.ResetWrittenCount();
        int at;
        while ((at = s.IndexOf(" [preauth]"u8)) >= 0)
        {
            _scratch.Write(s[..at]);
            s = s[(at + 10)..];
        }
        _scratch.Write(s);
        return _scratch.WrittenSpan;
    }
}
