using System.Globalization;
using System.Net;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers.Packs;

/// <summary>
/// OpenSSH server lines from syslog, old and new wordings. Failed authentications of every kind get
/// <c>event.outcome: failure</c>, accepted logins <c>success</c>; <c>source.ip</c> (or <c>source.domain</c> when sshd
/// logged a host name), <c>source.port</c> and <c>user.name</c> where the line has them.
/// </summary>
/// <remarks>
/// Messages are told apart by their fixed prefixes and then sliced, without regular expressions, so a line costs a
/// few span comparisons. Only the syslog header is parsed up front; the message is classified the first time a rule
/// or writer reads a field other than the header's (lazy extraction).
/// </remarks>
public sealed class SshdParser(string name = "sshd") : IPrefilteringParser, IDirectJsonParser, IDirectEventParser
{
    public string Name { get; } = name;

    /// <summary>Event actions this pack produces.</summary>
    public static class Actions
    {
        public const string AuthFailed = "ssh_auth_failed";
        public const string AuthFailedRepeated = "ssh_auth_failed_repeated";
        public const string InvalidUser = "ssh_invalid_user";
        public const string InvalidUserRequest = "ssh_invalid_user_request";
        public const string PamAuthFailed = "ssh_pam_auth_failed";
        public const string PamUserUnknown = "ssh_pam_user_unknown";
        public const string LoginRefused = "ssh_login_refused";
        public const string MaxAuthAttempts = "ssh_max_auth_attempts";
        public const string TooManyFailures = "ssh_too_many_failures";
        public const string PreauthDisconnect = "ssh_preauth_disconnect";
        public const string NoIdentification = "ssh_no_identification";
        public const string NegotiationFailed = "ssh_negotiation_failed";
        public const string ReverseMappingFailed = "ssh_reverse_mapping_failed";
        public const string Login = "ssh_login";
        public const string Disconnect = "ssh_disconnect";
        public const string SessionOpened = "ssh_session_opened";
        public const string SessionClosed = "ssh_session_closed";
        public const string Connection = "ssh_connection";
        public const string Other = "ssh_other";
    }

    private static readonly Action<Event> Classify = ClassifyMessage;

    // the pack's own names, the instances rules use too (see FieldNames)
    private static readonly string AuthMethodField = FieldNames.Intern("ssh.auth_method"), InvalidUserField = FieldNames.Intern("user.invalid"),
        KeyField = FieldNames.Intern("ssh.key"), RepeatCountField = FieldNames.Intern("event.repeat_count");

    // For each action, literals one of which every message classified so contains (anywhere: after "error: " or
    // inside "message repeated N times: [ … ]" too). Read off the branches of Classify1; an action missing here
    // (ssh_other, which any message may get) makes a prefilter impossible.
    private static readonly Dictionary<string, string[]> ActionLiterals = new(StringComparer.Ordinal)
    {
        [Actions.AuthFailed] = ["Failed ", "PAM: Authentication failure for "],
        [Actions.AuthFailedRepeated] = ["Failed ", "PAM: Authentication failure for "],
        [Actions.InvalidUser] = ["Invalid user ", "Illegal user "],
        [Actions.InvalidUserRequest] = ["input_userauth_request: invalid user "],
        [Actions.PamAuthFailed] = ["authentication failure"],
        [Actions.PamUserUnknown] = ["check pass; user unknown"],
        [Actions.LoginRefused] = ["ROOT LOGIN REFUSED FROM ", " not allowed because "],
        [Actions.MaxAuthAttempts] = ["maximum authentication attempts exceeded for "],
        [Actions.TooManyFailures] = ["Too many authentication failures"],
        [Actions.PreauthDisconnect] = ["[preauth]"],
        [Actions.NoIdentification] = ["Did not receive identification string from "],
        [Actions.NegotiationFailed] = ["Unable to negotiate with ", "banner exchange: Connection from ", "Bad protocol version identification "],
        [Actions.ReverseMappingFailed] = ["reverse mapping checking getaddrinfo for ", " maps to "],
        [Actions.Login] = ["Accepted "],
        [Actions.Disconnect] = ["Connection closed by ", "Disconnected from ", "Connection reset by ", "Received disconnect from "],
        [Actions.SessionOpened] = ["session opened for user "],
        [Actions.SessionClosed] = ["session closed for user "],
        [Actions.Connection] = ["Connection from "],
    };

    private static readonly string[] AllActions = [.. ActionLiterals.Keys, Actions.Other];

    public IReadOnlyCollection<string> EventActions => AllActions;

    public ILinePrefilter? PrefilterFor(IReadOnlySet<string> actions)
    {
        var literals = new List<string>();
        foreach (var action in actions)
        {
            if (!ActionLiterals.TryGetValue(action, out var some)) return null;
            literals.AddRange(some);
        }
        return new SyslogLinePrefilter("sshd", literals);
    }

    /// <inheritdoc/>
    public IDirectJsonWriter CreateDirectWriter(ParseContext context, string? filePath) => new SshdJsonWriter(context, filePath);

    /// <inheritdoc/>
    public IDirectEventReader CreateDirectReader(ParseContext context, string? filePath, string inputName, IReadOnlySet<string> fields) =>
        new SshdEventReader(context, filePath, inputName, fields);

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        if (!SyslogHeader.TryParse(line, context, out var h)) return ParseOutcome.Unmatched("not a syslog line");
        if (!h.Program.Equals("sshd", StringComparison.Ordinal) && !h.Program.StartsWith("sshd", StringComparison.Ordinal))
            return ParseOutcome.Unmatched("not an sshd line");
        h.Apply(e, line);
        e.Deferred = Classify;
        return ParseOutcome.Matched;
    }

    /// <summary>Classifies the message of an event whose header is already parsed.</summary>
    public static void ClassifyMessage(Event e)
    {
        var msg = e.GetString(Ecs.Message) ?? "";
        e.Set(Ecs.EventCategory, "authentication");
        var m = msg.AsSpan();
        if (m.StartsWith("message repeated "))
        {
            // rsyslog: "message repeated 2 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]"
            var open = m.IndexOf("[ ");
            var times = m["message repeated ".Length..];
            var sp = times.IndexOf(' ');
            if (open > 0 && m[^1] == ']')
            {
                var inner = msg.Substring(open + 2, msg.Length - open - 3).TrimEnd();
                Classify1(e, inner);
                if (e.GetString(Ecs.EventAction) == Actions.AuthFailed) e.Set(Ecs.EventAction, Actions.AuthFailedRepeated);
                if (sp > 0 && long.TryParse(times[..sp], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                    e.Set(RepeatCountField, FieldValue.Long(n));
                return;
            }
        }
        Classify1(e, msg);
    }

    private static void Classify1(Event e, string msg)
    {
        var m = msg.AsSpan();
        var preauth = m.EndsWith("[preauth]");
        if (m.StartsWith("error: ")) { msg = msg[7..]; m = msg.AsSpan(); }
        else if (m.StartsWith("fatal: ")) { msg = msg[7..]; m = msg.AsSpan(); }

        if (m.StartsWith("Failed ") || m.StartsWith("Accepted ") || m.StartsWith("Postponed "))
        {
            // "Failed password for [invalid user ]USER from HOST port N ssh2[: KEY]"
            var verbEnd = m.IndexOf(' ');
            var verb = m[..verbEnd];
            var rest = m[(verbEnd + 1)..];
            var forAt = rest.IndexOf(" for ");
            if (forAt > 0)
            {
                // spans, not substrings: only the field values become strings (a third of a line's garbage was pieces)
                var method = Method(rest[..forAt]);
                var after = m[(verbEnd + 1 + forAt + 5)..];
                var invalid = after.StartsWith("invalid user ") || after.StartsWith("illegal user ");
                if (invalid) after = after[13..];
                if (SplitUserFrom(after, out var user, out var hostPart))
                {
                    e.Set(AuthMethodField, method);
                    SetUser(e, user);
                    if (invalid) e.Set(InvalidUserField, FieldValue.Bool(true));
                    SetHostPort(e, hostPart);
                    if (verb.SequenceEqual("Accepted"))
                    {
                        Set(e, Actions.Login, "success");
                        var key = hostPart.IndexOf(": ");
                        if (key > 0) e.Set(KeyField, hostPart[(key + 2)..].ToString());
                    }
                    else if (verb.SequenceEqual("Failed")) Set(e, Actions.AuthFailed, "failure");
                    else Set(e, Actions.Other, "unknown");
                    return;
                }
            }
        }
        else if (m.StartsWith("Invalid user ") || m.StartsWith("Illegal user "))
        {
            // "Invalid user USER from HOST[ port N]" (the user may be empty: "Invalid user  from 1.2.3.4")
            if (SplitUserFrom(m[13..], out var user, out var hostPart))
            {
                SetUser(e, user);
                e.Set(InvalidUserField, FieldValue.Bool(true));
                SetHostPort(e, hostPart);
                Set(e, Actions.InvalidUser, "failure");
                return;
            }
        }
        else if (m.StartsWith("input_userauth_request: invalid user "))
        {
            var u = msg["input_userauth_request: invalid user ".Length..];
            if (u.EndsWith(" [preauth]", StringComparison.Ordinal)) u = u[..^10];
            SetUser(e, u);
            e.Set(InvalidUserField, FieldValue.Bool(true));
            Set(e, Actions.InvalidUserRequest, "failure");
            return;
        }
        else if (m.StartsWith("pam_unix(sshd:auth): authentication failure;") || m.StartsWith("PAM ") && m.Contains("more authentication failure", StringComparison.Ordinal)
            || m.StartsWith("authentication failure;")) // old PAM form, logged as "sshd(pam_unix)[pid]: authentication failure; ..."
        {
            // "...; logname= uid=0 euid=0 tty=ssh ruser= rhost=HOST  user=USER"
            var rhost = KeyValue(msg, "rhost=");
            if (!string.IsNullOrEmpty(rhost)) SetHost(e, rhost);
            var user = KeyValue(msg, " user=");
            if (!string.IsNullOrEmpty(user)) SetUser(e, user);
            if (m.StartsWith("PAM "))
            {
                var num = m[4..];
                var sp = num.IndexOf(' ');
                if (sp > 0 && long.TryParse(num[..sp], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                    e.Set(RepeatCountField, FieldValue.Long(n));
            }
            Set(e, Actions.PamAuthFailed, "failure");
            return;
        }
        else if (m.StartsWith("pam_unix(sshd:auth): check pass; user unknown") || m.StartsWith("check pass; user unknown"))
        {
            Set(e, Actions.PamUserUnknown, "failure");
            return;
        }
        else if (m.StartsWith("PAM: Authentication failure for "))
        {
            // "error: PAM: Authentication failure for [illegal user ]USER from HOST"
            var after = msg["PAM: Authentication failure for ".Length..];
            var invalid = after.StartsWith("illegal user ", StringComparison.Ordinal) || after.StartsWith("invalid user ", StringComparison.Ordinal);
            if (invalid) after = after[13..];
            if (SplitUserFrom(after, out var user, out var hostPart))
            {
                SetUser(e, user);
                if (invalid) e.Set(InvalidUserField, FieldValue.Bool(true));
                SetHostPort(e, hostPart);
                e.Set(AuthMethodField, "keyboard-interactive/pam");
                Set(e, Actions.AuthFailed, "failure");
                return;
            }
        }
        else if (m.StartsWith("ROOT LOGIN REFUSED FROM "))
        {
            SetHostPort(e, m["ROOT LOGIN REFUSED FROM ".Length..]);
            SetUser(e, "root");
            Set(e, Actions.LoginRefused, "failure");
            return;
        }
        else if (m.StartsWith("User ") && m.Contains(" not allowed because ", StringComparison.Ordinal))
        {
            // "User USER from HOST not allowed because not listed in AllowUsers"
            var body = msg[5..msg.IndexOf(" not allowed because ", StringComparison.Ordinal)];
            if (SplitUserFrom(body, out var user, out var hostPart))
            {
                SetUser(e, user);
                SetHostPort(e, hostPart);
                e.Set(Ecs.EventReason, msg[(msg.IndexOf(" not allowed because ", StringComparison.Ordinal) + 1)..]);
                Set(e, Actions.LoginRefused, "failure");
                return;
            }
        }
        else if (m.StartsWith("maximum authentication attempts exceeded for "))
        {
            var after = msg["maximum authentication attempts exceeded for ".Length..];
            var invalid = after.StartsWith("invalid user ", StringComparison.Ordinal);
            if (invalid) after = after[13..];
            if (SplitUserFrom(after, out var user, out var hostPart))
            {
                SetUser(e, user);
                if (invalid) e.Set(InvalidUserField, FieldValue.Bool(true));
                SetHostPort(e, hostPart);
                Set(e, Actions.MaxAuthAttempts, "failure");
                return;
            }
        }
        else if (m.StartsWith("Disconnecting: Too many authentication failures"))
        {
            // old: "Disconnecting: Too many authentication failures for USER [preauth]"
            var forAt = msg.IndexOf(" for ", StringComparison.Ordinal);
            if (forAt > 0)
            {
                var u = msg[(forAt + 5)..];
                if (u.EndsWith(" [preauth]", StringComparison.Ordinal)) u = u[..^10];
                if (u.StartsWith("invalid user ", StringComparison.Ordinal)) { u = u[13..]; e.Set(InvalidUserField, FieldValue.Bool(true)); }
                SetUser(e, u);
            }
            Set(e, Actions.TooManyFailures, "failure");
            return;
        }
        else if (m.StartsWith("Disconnecting ") && m.Contains("Too many authentication failures", StringComparison.Ordinal))
        {
            // new: "Disconnecting authenticating user USER HOST port N: Too many authentication failures [preauth]"
            // a garbled line may lack the ": " before the reason: then the text up to the reason is all there is
            var end = msg.IndexOf(": Too many", StringComparison.Ordinal);
            if (end < 0) end = msg.IndexOf("Too many", StringComparison.Ordinal);
            ParseUserHostPort(e, msg["Disconnecting ".Length..Math.Max("Disconnecting ".Length, end)].TrimEnd());
            Set(e, Actions.TooManyFailures, "failure");
            return;
        }
        else if (m.StartsWith("Connection closed by ") || m.StartsWith("Disconnected from ") || m.StartsWith("Connection reset by "))
        {
            // "Connection closed by [authenticating|invalid] [user USER ]HOST[ port N] [preauth]"
            var start = m.IndexOf(" by ") is var b && b > 0 && b < 20 ? b + 4 : m.IndexOf(" from ") + 6;
            var body = msg[start..];
            if (body.EndsWith(" [preauth]", StringComparison.Ordinal)) body = body[..^10];
            ParseUserHostPort(e, body);
            Set(e, preauth ? Actions.PreauthDisconnect : Actions.Disconnect, preauth ? "failure" : "unknown");
            return;
        }
        else if (m.StartsWith("Received disconnect from "))
        {
            // "Received disconnect from HOST[ port N]: 11: Bye Bye [preauth]"
            var body = msg["Received disconnect from ".Length..];
            var colon = body.IndexOf(": ", StringComparison.Ordinal);
            var hostPart = colon > 0 ? body[..colon] : body;
            SetHostPort(e, hostPart);
            if (colon > 0) e.Set(Ecs.EventReason, body[(colon + 2)..].Replace(" [preauth]", "", StringComparison.Ordinal));
            Set(e, preauth ? Actions.PreauthDisconnect : Actions.Disconnect, preauth ? "failure" : "success");
            return;
        }
        else if (m.StartsWith("Did not receive identification string from "))
        {
            SetHostPort(e, m["Did not receive identification string from ".Length..]);
            Set(e, Actions.NoIdentification, "failure");
            return;
        }
        else if (m.StartsWith("Unable to negotiate with ") || m.StartsWith("banner exchange: Connection from ") || m.StartsWith("Bad protocol version identification "))
        {
            var fromAt = m.StartsWith("Unable") ? "Unable to negotiate with ".Length : m.StartsWith("banner") ? "banner exchange: Connection from ".Length : -1;
            if (fromAt < 0)
            {
                var f = msg.LastIndexOf(" from ", StringComparison.Ordinal);
                fromAt = f > 0 ? f + 6 : msg.Length;
            }
            var body = msg[fromAt..];
            var colon = body.IndexOf(':');
            SetHostPort(e, colon > 0 ? body[..colon] : body);
            Set(e, Actions.NegotiationFailed, "failure");
            return;
        }
        else if (m.StartsWith("reverse mapping checking getaddrinfo for ") || m.StartsWith("Address ") && m.Contains(" maps to ", StringComparison.Ordinal))
        {
            var open = msg.IndexOf('[');
            var close = open >= 0 ? msg.IndexOf(']', open) : -1;
            if (open > 0 && close > open) SetHost(e, m[(open + 1)..close]);
            else if (m.StartsWith("Address ")) SetHost(e, m[8..msg.IndexOf(' ', 8)]);
            Set(e, Actions.ReverseMappingFailed, "unknown");
            return;
        }
        else if (m.StartsWith("pam_unix(sshd:session): session opened for user "))
        {
            var u = msg["pam_unix(sshd:session): session opened for user ".Length..];
            var sp = u.IndexOf(' ');
            SetUser(e, sp > 0 ? u[..sp] : u);
            Set(e, Actions.SessionOpened, "success");
            return;
        }
        else if (m.StartsWith("pam_unix(sshd:session): session closed for user "))
        {
            SetUser(e, msg["pam_unix(sshd:session): session closed for user ".Length..].Trim());
            Set(e, Actions.SessionClosed, "success");
            return;
        }
        else if (m.StartsWith("Connection from "))
        {
            // "Connection from HOST port N on HOST port N"
            var body = msg["Connection from ".Length..];
            var on = body.IndexOf(" on ", StringComparison.Ordinal);
            SetHostPort(e, on > 0 ? body[..on] : body);
            Set(e, Actions.Connection, "unknown");
            return;
        }
        else if (preauth)
        {
            // Other preauth terminations ("Write failed: Connection reset by peer [preauth]").
            Set(e, Actions.PreauthDisconnect, "failure");
            return;
        }
        Set(e, Actions.Other, "unknown");
    }

    private static void Set(Event e, string action, string outcome)
    {
        e.Set(Ecs.EventAction, action);
        e.Set(Ecs.EventOutcome, outcome);
    }

    private static void SetUser(Event e, string user)
    {
        if (user.Length > 0) e.Set(Ecs.UserName, user);
    }

    private static void SetUser(Event e, ReadOnlySpan<char> user)
    {
        if (user.Length > 0) e.Set(Ecs.UserName, user.ToString());
    }

    // the usual methods are the same strings every time
    private static string Method(ReadOnlySpan<char> method) => method switch
    {
        "password" => "password",
        "publickey" => "publickey",
        "none" => "none",
        "keyboard-interactive/pam" => "keyboard-interactive/pam",
        _ => method.ToString(),
    };

    // "USER from HOST..." — the user name may itself contain " from ", so split at the last one.
    private static bool SplitUserFrom(ReadOnlySpan<char> s, out ReadOnlySpan<char> user, out ReadOnlySpan<char> hostPart)
    {
        var at = s.LastIndexOf(" from ");
        if (at < 0)
        {
            // an empty user name: "Invalid user  from 1.2.3.4" leaves " from ..." after the prefix
            if (s.StartsWith("from ")) { user = ""; hostPart = s[5..]; return true; }
            user = hostPart = "";
            return false;
        }
        user = s[..at];
        hostPart = s[(at + 6)..];
        return true;
    }

    // "HOST[ port N][ ssh2[: KEY]]"
    private static void SetHostPort(Event e, ReadOnlySpan<char> s)
    {
        var sp = s.IndexOf(' ');
        var host = sp < 0 ? s : s[..sp];
        SetHost(e, host);
        var portAt = s.IndexOf(" port ");
        if (portAt >= 0)
        {
            var p = s[(portAt + 6)..];
            var end = p.IndexOfAnyExceptInRange('0', '9');
            if (end < 0) end = p.Length;
            if (int.TryParse(p[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var port)) e.Set(Ecs.SourcePort, FieldValue.Long(port));
        }
    }

    private static void SetHost(Event e, ReadOnlySpan<char> host)
    {
        host = host.TrimEnd(':');
        if (host.Length == 0) return;
        var text = host.ToString();
        if (IPAddress.TryParse(host, out var ip) && (host.Contains('.') || host.Contains(':')))
        {
            e.Set(Ecs.SourceIp, FieldValue.Ip(ip));
            e.Set(Ecs.SourceAddress, text);
        }
        else
        {
            e.Set(Ecs.SourceDomain, text);
            e.Set(Ecs.SourceAddress, text);
        }
    }

    // "[authenticating |invalid ]user USER HOST port N" or "HOST port N"
    private static void ParseUserHostPort(Event e, string body)
    {
        var invalid = body.StartsWith("invalid user ", StringComparison.Ordinal);
        if (body.StartsWith("authenticating user ", StringComparison.Ordinal)) body = body[20..];
        else if (invalid) body = body[13..];
        else if (body.StartsWith("user ", StringComparison.Ordinal)) body = body[5..];
        else { SetHostPort(e, body); return; }
        var portAt = body.LastIndexOf(" port ", StringComparison.Ordinal);
        var head = portAt > 0 ? body[..portAt] : body;
        var hostAt = head.LastIndexOf(' ');
        if (hostAt > 0)
        {
            SetUser(e, head[..hostAt]);
            if (invalid) e.Set(InvalidUserField, FieldValue.Bool(true));
            SetHostPort(e, body.AsSpan(hostAt + 1));
        }
        else SetHostPort(e, body);
    }

    private static string? KeyValue(string msg, string key)
    {
        var at = msg.IndexOf(key, StringComparison.Ordinal);
        if (at < 0) return null;
        var start = at + key.Length;
        var end = msg.IndexOf(' ', start);
        return end < 0 ? msg[start..] : msg[start..end];
    }
}
