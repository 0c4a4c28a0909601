namespace Gumshoe.Engine.Parsers;

/// <summary>
/// The built-in grok pattern library: Logstash's core set, rewritten without lookarounds and atomic groups so that
/// the expanded expressions run on .NET's linear-time <see cref="System.Text.RegularExpressions.RegexOptions.NonBacktracking"/>
/// engine. Captures inside library patterns use ECS names (<c>SYSLOGPROG</c> fills <c>process.name</c> and <c>process.pid</c>).
/// </summary>
public static class GrokPatterns
{
    private const string Ipv4Octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    private const string Ipv4 = Ipv4Octet + @"(?:\." + Ipv4Octet + "){3}";
    private const string H = "[0-9A-Fa-f]{1,4}";

    /// <summary>Pattern name to pattern text (which may refer to other patterns with <c>%{NAME}</c>).</summary>
    public static readonly IReadOnlyDictionary<string, string> Library = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["USERNAME"] = "[a-zA-Z0-9._-]+",
        ["USER"] = "%{USERNAME}",
        // Logstash bounds the parts ({1,64}, {0,63}); nested counters that large exceed the linear engine's budget.
        ["EMAILLOCALPART"] = "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+)*",
        ["EMAILADDRESS"] = "%{EMAILLOCALPART}@%{HOSTNAME}",
        ["INT"] = "(?:[+-]?(?:[0-9]+))",
        ["BASE10NUM"] = @"(?:[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+))",
        ["NUMBER"] = "(?:%{BASE10NUM})",
        ["BASE16NUM"] = "(?:[+-]?(?:0x)?(?:[0-9A-Fa-f]+))",
        ["BASE16FLOAT"] = @"\b(?:[+-]?(?:0x)?(?:(?:[0-9A-Fa-f]+(?:\.[0-9A-Fa-f]*)?)|(?:\.[0-9A-Fa-f]+)))\b",
        ["POSINT"] = @"\b(?:[1-9][0-9]*)\b",
        ["NONNEGINT"] = @"\b(?:[0-9]+)\b",
        ["WORD"] = @"\b\w+\b",
        ["NOTSPACE"] = @"\S+",
        ["SPACE"] = @"\s*",
        ["DATA"] = ".*?",
        ["GREEDYDATA"] = ".*",
        ["QUOTEDSTRING"] = "(?:\"(?:\\\\.|[^\\\\\"])*\"|'(?:\\\\.|[^\\\\'])*'|`(?:\\\\.|[^\\\\`])*`)",
        ["QS"] = "%{QUOTEDSTRING}",
        ["UUID"] = "[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}",
        ["URN"] = "urn:[0-9A-Za-z][0-9A-Za-z-]{0,31}:(?:%[0-9a-fA-F]{2}|[0-9A-Za-z()+,.:=@;$_!*'/?#-])+",

        // Networking
        ["CISCOMAC"] = @"(?:(?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4})",
        ["WINDOWSMAC"] = "(?:(?:[A-Fa-f0-9]{2}-){5}[A-Fa-f0-9]{2})",
        ["COMMONMAC"] = "(?:(?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2})",
        ["MAC"] = "(?:%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC})",
        ["IPV6"] = Ipv6(),
        ["IPV4"] = Ipv4,
        ["IP"] = "(?:%{IPV6}|%{IPV4})",
        ["HOSTNAME"] = @"\b(?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*(?:\.|\b)",
        ["IPORHOST"] = "(?:%{IP}|%{HOSTNAME})",
        ["HOSTPORT"] = "%{IPORHOST}:%{POSINT}",

        // Paths and URIs
        ["PATH"] = "(?:%{UNIXPATH}|%{WINPATH})",
        ["UNIXPATH"] = @"(?:/[\w%!$@:.,+~-]*)+",
        ["TTY"] = @"(?:/dev/(?:pts|tty(?:[pq])?)(?:\w+)?/?(?:[0-9]+))",
        ["WINPATH"] = @"(?:[A-Za-z]+:|\\)(?:\\[^\\?*]*)+",
        ["URIPROTO"] = @"[A-Za-z](?:[A-Za-z0-9+\-.]+)+",
        ["URIHOST"] = "%{IPORHOST}(?::%{POSINT})?",
        ["URIPATH"] = @"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\-]*)+",
        ["URIQUERY"] = @"[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*",
        ["URIPARAM"] = @"\?%{URIQUERY}",
        ["URIPATHPARAM"] = "%{URIPATH}(?:%{URIPARAM})?",
        ["URI"] = "%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATH}(?:%{URIPARAM})?)?",

        // Months, days, dates and times
        ["MONTH"] = @"\b(?:[Jj]an(?:uary|uar)?|[Ff]eb(?:ruary|ruar)?|[Mm](?:a|ä)?r(?:ch|z)?|[Aa]pr(?:il)?|[Mm]a(?:y|i)?|[Jj]un(?:e|i)?|[Jj]ul(?:y|i)?|[Aa]ug(?:ust)?|[Ss]ep(?:tember)?|[Oo](?:c|k)?t(?:ober)?|[Nn]ov(?:ember)?|[Dd]e(?:c|z)(?:ember)?)\b",
        ["MONTHNUM"] = "(?:0?[1-9]|1[0-2])",
        ["MONTHNUM2"] = "(?:0[1-9]|1[0-2])",
        ["MONTHDAY"] = "(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])",
        ["DAY"] = "(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)",
        ["YEAR"] = "(?:[0-9][0-9]){1,2}",
        ["HOUR"] = "(?:2[0123]|[01]?[0-9])",
        ["MINUTE"] = "(?:[0-5][0-9])",
        ["SECOND"] = "(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)",
        ["TIME"] = "(?:%{HOUR}:%{MINUTE}(?::%{SECOND}))",
        ["DATE_US"] = "%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}",
        ["DATE_EU"] = "%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}",
        ["ISO8601_TIMEZONE"] = "(?:Z|[+-]%{HOUR}(?::?%{MINUTE}))",
        ["ISO8601_SECOND"] = "%{SECOND}",
        ["TIMESTAMP_ISO8601"] = "%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?",
        ["DATE"] = "(?:%{DATE_US}|%{DATE_EU})",
        ["DATESTAMP"] = "%{DATE}[- ]%{TIME}",
        ["TZ"] = "(?:[APMCE][SD]T|UTC)",
        ["DATESTAMP_RFC822"] = "%{DAY} %{MONTH} %{MONTHDAY} %{YEAR} %{TIME} %{TZ}",
        ["DATESTAMP_RFC2822"] = "%{DAY}, %{MONTHDAY} %{MONTH} %{YEAR} %{TIME} %{ISO8601_TIMEZONE}",
        ["DATESTAMP_OTHER"] = "%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{TZ} %{YEAR}",
        ["DATESTAMP_EVENTLOG"] = "%{YEAR}%{MONTHNUM2}%{MONTHDAY}%{HOUR}%{MINUTE}%{SECOND}",
        ["HTTPDATE"] = "%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}",

        // Syslog
        ["SYSLOGTIMESTAMP"] = "%{MONTH} +%{MONTHDAY} %{TIME}",
        ["PROG"] = @"[\x21-\x5a\x5c\x5e-\x7e]+",
        ["SYSLOGPROG"] = @"%{PROG:process.name}(?:\[%{POSINT:process.pid:int}\])?",
        ["SYSLOGHOST"] = "%{IPORHOST}",
        ["SYSLOGFACILITY"] = "<%{NONNEGINT:log.syslog.facility.code:int}.%{NONNEGINT:log.syslog.priority:int}>",
        ["SYSLOGBASE"] = "%{SYSLOGTIMESTAMP:timestamp} (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:host.hostname} %{SYSLOGPROG}:",
        ["LOGLEVEL"] = "(?:[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo?(?:rmation)?|INFO?(?:RMATION)?|[Ww]arn?(?:ing)?|WARN?(?:ING)?|[Ee]rr?(?:or)?|ERR?(?:OR)?|[Cc]rit?(?:ical)?|CRIT?(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?)",

        // Web servers
        ["HTTPDUSER"] = "%{EMAILADDRESS}|%{USER}",
        ["COMMONAPACHELOG"] = "%{IPORHOST:source.address} (?:-|%{HTTPDUSER:apache.access.user.identity}) (?:-|%{HTTPDUSER:user.name}) \\[%{HTTPDATE:timestamp}\\] \"(?:%{WORD:http.request.method} %{NOTSPACE:url.original}(?: HTTP/%{NUMBER:http.version})?|%{DATA})\" (?:-|%{INT:http.response.status_code:int}) (?:-|%{INT:http.response.body.bytes:int})",
        ["COMBINEDAPACHELOG"] = "%{COMMONAPACHELOG} \"(?:-|%{DATA:http.request.referrer})\" \"(?:-|%{DATA:user_agent.original})\"",
    };

    // Logstash's IPv6 pattern, built from its parts: n leading groups, then the compressed or embedded-IPv4 tail.
    private static string Ipv6()
    {
        var alternatives = new List<string>
        {
            $"(?:{H}:){{7}}(?:{H}|:)",
            $"(?:{H}:){{6}}(?::{H}|{Ipv4}|:)",
            $"(?:{H}:){{5}}(?:(?::{H}){{1,2}}|:{Ipv4}|:)",
            $"(?:{H}:){{4}}(?:(?::{H}){{1,3}}|(?::{H})?:{Ipv4}|:)",
            $"(?:{H}:){{3}}(?:(?::{H}){{1,4}}|(?::{H}){{0,2}}:{Ipv4}|:)",
            $"(?:{H}:){{2}}(?:(?::{H}){{1,5}}|(?::{H}){{0,3}}:{Ipv4}|:)",
            $"(?:{H}:){{1}}(?:(?::{H}){{1,6}}|(?::{H}){{0,4}}:{Ipv4}|:)",
            $":(?:(?::{H}){{1,7}}|(?::{H}){{0,5}}:{Ipv4}|:)",
        };
        return "(?:" + string.Join("|", alternatives) + ")(?:%[0-9A-Za-z]+)?";
    }
}
