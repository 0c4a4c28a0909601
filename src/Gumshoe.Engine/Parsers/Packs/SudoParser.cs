using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers.Packs;

/// <summary>
/// sudo lines from syslog: commands run (<c>alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls</c>),
/// refusals (incorrect passwords, not in sudoers, command not allowed) and its PAM messages, in the current
/// (<c>sudo: pam_unix(sudo:auth)</c>) and the old (<c>sudo(pam_unix)[pid]:</c>) forms. <c>user.name</c> is the invoking
/// user, <c>user.target.name</c> the user the command runs as.
/// </summary>
public sealed class SudoParser(string name = "sudo") : IParser
{
    public string Name { get; } = name;

    /// <summary>Event actions this pack produces.</summary>
    public static class Actions
    {
        public const string Command = "sudo_command";
        public const string AuthFailed = "sudo_auth_failed";
        public const string NotInSudoers = "sudo_not_in_sudoers";
        public const string CommandNotAllowed = "sudo_command_not_allowed";
        public const string Refused = "sudo_refused";
        public const string SessionOpened = "sudo_session_opened";
        public const string SessionClosed = "sudo_session_closed";
        public const string Other = "sudo_other";
    }

    // the pack's own names, the instances rules use too (see FieldNames)
    public static readonly string UserTargetName = FieldNames.Intern("user.target.name");
    public static readonly string ProcessCommandLine = FieldNames.Intern("process.command_line");
    public static readonly string ProcessWorkingDirectory = FieldNames.Intern("process.working_directory");
    private static readonly string ProcessExecutableField = FieldNames.Intern("process.executable"),
        ProcessTtyNameField = FieldNames.Intern("process.tty.name"),
        GroupTargetNameField = FieldNames.Intern("group.target.name"),
        SudoEnvField = FieldNames.Intern("sudo.env"),
        SudoTsidField = FieldNames.Intern("sudo.tsid");

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        if (!SyslogHeader.TryParse(line, context, out var h)) return ParseOutcome.Unmatched("not a syslog line");
        var oldPam = h.Program == "sudo(pam_unix)";
        if (h.Program != "sudo" && !oldPam) return ParseOutcome.Unmatched("not a sudo line");
        h.Apply(e, line);
        e.Set(Ecs.EventProvider, "sudo");
        var msg = line.AsSpan(h.MessageStart).Trim().ToString();
        e.Set(Ecs.Message, msg); // sudo pads the invoker with blanks ("sudo:    alice : ...")
        if (oldPam) ClassifyPam(e, msg);
        else if (msg.StartsWith("pam_unix(sudo:", StringComparison.Ordinal) || msg.StartsWith("pam_", StringComparison.Ordinal))
        {
            var close = msg.IndexOf("): ", StringComparison.Ordinal);
            ClassifyPam(e, close > 0 ? msg[(close + 3)..] : msg);
        }
        else ClassifyCommand(e, msg);
        return ParseOutcome.Matched;
    }

    // "alice : [REASON ; ]TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls -la"
    private static void ClassifyCommand(Event e, string msg)
    {
        var sep = msg.IndexOf(" : ", StringComparison.Ordinal);
        if (sep <= 0) { Set(e, Actions.Other, "unknown", "process"); return; }
        e.Set(Ecs.UserName, msg[..sep].Trim());
        var rest = msg[(sep + 3)..];
        string? reason = null;
        var pos = 0;
        while (pos < rest.Length)
        {
            // COMMAND= is last and may itself contain " ; ", so it takes the rest of the line.
            if (rest.AsSpan(pos).StartsWith("COMMAND=", StringComparison.Ordinal))
            {
                e.Set(ProcessCommandLine, rest[(pos + 8)..]);
                var exe = rest[(pos + 8)..];
                var sp = exe.IndexOf(' ');
                e.Set(ProcessExecutableField, sp > 0 ? exe[..sp] : exe);
                break;
            }
            var end = rest.IndexOf(" ; ", pos, StringComparison.Ordinal);
            var segment = end < 0 ? rest[pos..] : rest[pos..end];
            var eq = segment.IndexOf('=');
            if (eq > 0 && segment[..eq].All(char.IsAsciiLetterUpper))
            {
                var value = segment[(eq + 1)..];
                switch (segment[..eq])
                {
                    case "TTY": e.Set(ProcessTtyNameField, value); break;
                    case "PWD": e.Set(ProcessWorkingDirectory, value); break;
                    case "USER": e.Set(UserTargetName, value); break;
                    case "GROUP": e.Set(GroupTargetNameField, value); break;
                    case "ENV": e.Set(SudoEnvField, value); break;
                    case "TSID": e.Set(SudoTsidField, value); break;
                }
            }
            else if (pos == 0) reason = segment.Trim();
            if (end < 0) break;
            pos = end + 3;
        }
        if (reason is null) { Set(e, Actions.Command, "success", "process"); return; }
        e.Set(Ecs.EventReason, reason);
        var action = reason.Contains("incorrect password attempt", StringComparison.Ordinal) ? Actions.AuthFailed
            : reason.Contains("NOT in sudoers", StringComparison.Ordinal) ? Actions.NotInSudoers
            : reason.Contains("command not allowed", StringComparison.Ordinal) ? Actions.CommandNotAllowed
            : Actions.Refused;
        Set(e, action, "failure", "authentication");
    }

    private static void ClassifyPam(Event e, string msg)
    {
        if (msg.StartsWith("authentication failure;", StringComparison.Ordinal))
        {
            // "authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice"
            var user = KeyValue(msg, " user=") ?? KeyValue(msg, "ruser=") ?? KeyValue(msg, "logname=");
            if (!string.IsNullOrEmpty(user)) e.Set(Ecs.UserName, user);
            var tty = KeyValue(msg, " tty=");
            if (!string.IsNullOrEmpty(tty)) e.Set(ProcessTtyNameField, tty);
            e.Set(Ecs.EventReason, "authentication failure");
            Set(e, Actions.AuthFailed, "failure", "authentication");
            return;
        }
        if (msg.StartsWith("session opened for user ", StringComparison.Ordinal))
        {
            // "session opened for user root[(uid=0)] by alice(uid=1000)"
            var body = msg["session opened for user ".Length..];
            var by = body.IndexOf(" by ", StringComparison.Ordinal);
            e.Set(UserTargetName, StripUid(by > 0 ? body[..by] : body));
            if (by > 0)
            {
                var invoker = StripUid(body[(by + 4)..]);
                if (invoker.Length > 0) e.Set(Ecs.UserName, invoker);
            }
            Set(e, Actions.SessionOpened, "success", "session");
            return;
        }
        if (msg.StartsWith("session closed for user ", StringComparison.Ordinal))
        {
            e.Set(UserTargetName, StripUid(msg["session closed for user ".Length..]));
            Set(e, Actions.SessionClosed, "success", "session");
            return;
        }
        if (msg.StartsWith("auth could not identify password for [", StringComparison.Ordinal))
        {
            var user = msg["auth could not identify password for [".Length..].TrimEnd(']');
            if (user.Length > 0) e.Set(Ecs.UserName, user);
            e.Set(Ecs.EventReason, "no password given");
            Set(e, Actions.AuthFailed, "failure", "authentication");
            return;
        }
        if (msg.StartsWith("conversation failed", StringComparison.Ordinal))
        {
            e.Set(Ecs.EventReason, "conversation failed");
            Set(e, Actions.AuthFailed, "failure", "authentication");
            return;
        }
        Set(e, Actions.Other, "unknown", "authentication");
    }

    // "root(uid=0)" -> "root"; "(uid=0)" -> ""
    private static string StripUid(string s)
    {
        s = s.Trim();
        var paren = s.IndexOf('(');
        return paren >= 0 ? s[..paren] : s;
    }

    private static void Set(Event e, string action, string outcome, string category)
    {
        e.Set(Ecs.EventAction, action);
        e.Set(Ecs.EventOutcome, outcome);
        e.Set(Ecs.EventCategory, category);
    }

    // The non-empty value after "key" up to the next space, or null.
    private static string? KeyValue(string msg, string key)
    {
        var at = msg.IndexOf(key, StringComparison.Ordinal);
        if (at < 0) return null;
        var start = at + key.Length;
        var end = msg.IndexOf(' ', start);
        var value = end < 0 ? msg[start..] : msg[start..end];
        return value.Length > 0 ? value : null;
    }
}
