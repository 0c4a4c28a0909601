using System.Buffers;
using System.Globalization;
using System.Text;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers.Packs;

/// <summary>
/// iptables/nftables <c>LOG</c> target lines from the kernel
/// (<c>kernel: [123.456] [UFW BLOCK] IN=eth0 OUT= MAC=… SRC=1.2.3.4 DST=5.6.7.8 … PROTO=TCP SPT=1234 DPT=22 …</c>), with a
/// syslog header or bare (<c>dmesg</c>). The log prefix becomes <c>event.action</c> (<c>[UFW BLOCK]</c> → <c>ufw_block</c>)
/// and is kept as <c>netfilter.prefix</c>; other keys land under <c>netfilter.*</c>.
/// </summary>
public sealed class NetfilterParser(string name = "netfilter") : IParser
{
    // the pack's own names, the instances rules use too (see FieldNames)
    private static readonly string NetfilterPrefixField = FieldNames.Intern("netfilter.prefix"),
        NetfilterFlagsField = FieldNames.Intern("netfilter.flags"),
        ObserverEgressInterfaceNameField = FieldNames.Intern("observer.egress.interface.name"),
        NetfilterMacField = FieldNames.Intern("netfilter.mac"),
        NetworkBytesField = FieldNames.Intern("network.bytes"),
        NetfilterUdpLenField = FieldNames.Intern("netfilter.udp_len");

    public string Name { get; } = name;

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        string msg;
        var hasHeader = SyslogHeader.TryParse(line, context, out var h);
        if (hasHeader)
        {
            if (h.Program != "kernel") return ParseOutcome.Unmatched("not a kernel line");
            msg = line[h.MessageStart..];
        }
        else msg = line;
        var inAt = FindKey(msg, "IN=");
        if (inAt < 0 || FindKey(msg, "SRC=") < 0) return ParseOutcome.Unmatched("not a netfilter line");
        if (hasHeader) h.Apply(e, line);

        // "[ 1234.567890] PREFIX " before IN=: the uptime stamp is dropped, the rest is the --log-prefix
        var head = msg.AsSpan(0, inAt).Trim();
        if (head.Length > 0 && head[0] == '[')
        {
            var close = head.IndexOf(']');
            if (close > 0 && IsUptime(head[1..close])) head = head[(close + 1)..].Trim();
        }
        var prefix = head.ToString();
        if (prefix.Length > 0) e.Set(NetfilterPrefixField, prefix);
        var action = ActionOf(prefix);
        e.Set(Ecs.EventAction, action);
        e.Set(Ecs.EventCategory, "network");
        e.Set(Ecs.EventKind, "event");
        e.Set(Ecs.EventProvider, "netfilter");
        var lower = action.ToLowerInvariant();
        if (lower.Contains("drop") || lower.Contains("block") || lower.Contains("reject") || lower.Contains("deny"))
            e.Set(Ecs.EventType, "denied");
        else if (lower.Contains("accept") || lower.Contains("allow")) e.Set(Ecs.EventType, "allowed");

        List<FieldValue>? flags = null;
        var s = msg.AsSpan(inAt);
        while (!s.IsEmpty)
        {
            var sp = s.IndexOf(' ');
            var token = sp < 0 ? s : s[..sp];
            if (!token.IsEmpty)
            {
                var eq = token.IndexOf('=');
                if (eq > 0) Set(e, token[..eq].ToString(), token[(eq + 1)..].ToString());
                else if (token.Length < 12 && IsUpperWord(token)) (flags ??= []).Add(FieldValue.String(token.ToString()));
            }
            if (sp < 0) break;
            s = s[(sp + 1)..];
        }
        if (flags is not null) e.Set(NetfilterFlagsField, FieldValue.Array(flags));
        return ParseOutcome.Matched;
    }

    private static void Set(Event e, string key, string value)
    {
        if (value.Length == 0) return;
        switch (key)
        {
            case "IN": e.Set(Ecs.ObserverIngressInterfaceName, value); break;
            case "OUT": e.Set(ObserverEgressInterfaceNameField, value); break;
            case "SRC": e.Set(Ecs.SourceIp, FieldTypes.Auto(Ecs.SourceIp, value)); break;
            case "DST": e.Set(Ecs.DestinationIp, FieldTypes.Auto(Ecs.DestinationIp, value)); break;
            case "SPT": SetLong(e, Ecs.SourcePort, value); break;
            case "DPT": SetLong(e, Ecs.DestinationPort, value); break;
            case "PROTO":
                e.Set(Ecs.NetworkTransport, value.ToLowerInvariant());
                break;
            case "LEN":
                // the first LEN is the IP packet length; a later one (UDP) is the payload's
                if (!e.TryGet(NetworkBytesField, out _)) SetLong(e, NetworkBytesField, value);
                else SetLong(e, NetfilterUdpLenField, value);
                break;
            case "MAC": e.Set(NetfilterMacField, value); break;
            default:
                var field = "netfilter." + key.ToLowerInvariant();
                if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) e.Set(field, FieldValue.Long(n));
                else e.Set(field, value);
                break;
        }
    }

    private static void SetLong(Event e, string field, string value)
    {
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) e.Set(field, FieldValue.Long(n));
    }

    // "IN=" at the start or after a blank, so "DEVIN=" would not count.
    private static int FindKey(string msg, string key)
    {
        var at = 0;
        while ((at = msg.IndexOf(key, at, StringComparison.Ordinal)) >= 0)
        {
            if (at == 0 || msg[at - 1] == ' ') return at;
            at += key.Length;
        }
        return -1;
    }

    private static readonly SearchValues<char> UptimeChars = SearchValues.Create("0123456789.");

    private static bool IsUptime(ReadOnlySpan<char> s)
    {
        s = s.Trim();
        return !s.IsEmpty && s.IndexOfAnyExcept(UptimeChars) < 0;
    }

    private static bool IsUpperWord(ReadOnlySpan<char> s) => s.IndexOfAnyExceptInRange('A', 'Z') < 0;

    /// <summary>The event action for a log prefix: lower case, non-alphanumerics as single underscores; <c>netfilter_log</c> when empty.</summary>
    public static string ActionOf(string prefix)
    {
        var sb = new StringBuilder(prefix.Length);
        foreach (var c in prefix)
        {
            if (char.IsAsciiLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
            else if (sb.Length > 0 && sb[^1] != '_') sb.Append('_');
        }
        while (sb.Length > 0 && sb[^1] == '_') sb.Length--;
        return sb.Length == 0 ? "netfilter_log" : sb.ToString();
    }
}
