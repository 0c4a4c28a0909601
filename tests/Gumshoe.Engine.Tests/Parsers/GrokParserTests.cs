using System.Net;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;
using static Gumshoe.Engine.Tests.Parsers.ParserTestKit;

namespace Gumshoe.Engine.Tests.Parsers;

public class GrokParserTests
{
    [Fact]
    public void AnSshdLineIsParsedWithTypedAndDottedFields()
    {
        var parser = (RegexParser)Build("""
            name: ssh_grok
            type: grok
            pattern: '%{SYSLOGTIMESTAMP:ts} %{SYSLOGHOST:host.name} %{SYSLOGPROG}: Failed password for (?:invalid user )?%{USERNAME:user.name} from %{IP:source.ip} port %{INT:source.port:int} ssh2'
            timestamp: {field: ts, format: bsd}
            """);
        var (outcome, e) = Run(parser, "Dec 10 07:07:38 LabSZ sshd[24206]: Failed password for invalid user test9 from 52.80.34.196 port 36060 ssh2");
        Assert.Equal(ParseStatus.Matched, outcome.Status);
        Assert.Equal("test9", e.GetString("user.name"));
        Assert.Equal(IPAddress.Parse("52.80.34.196"), e.Get("source.ip").AsIp());
        Assert.Equal(FieldKind.Long, e.Get("source.port").Kind);
        Assert.Equal(36060, e.Get("source.port").AsLong());
        Assert.Equal("sshd", e.GetString("process.name"));
        Assert.Equal(24206, e.Get("process.pid").AsLong());
        Assert.Equal("LabSZ", e.GetString("host.name"));
        Assert.Equal(new DateTimeOffset(2023, 12, 10, 7, 7, 38, TimeSpan.Zero), e.Timestamp);
        Assert.True(parser.Patterns[0].IsNonBacktracking);
        Assert.Equal(": Failed password for ", parser.Patterns[0].RequiredLiteral);
    }

    [Theory]
    [InlineData("IPV6", "2001:db8::1")]
    [InlineData("IPV6", "fe80::1ff:fe23:4567:890a%eth0")]
    [InlineData("IPV6", "::ffff:192.0.2.128")]
    [InlineData("IPV6", "::1")]
    [InlineData("IPV4", "192.168.10.255")]
    [InlineData("IP", "10.1.2.3")]
    [InlineData("IPORHOST", "mail.example.org")]
    [InlineData("HOSTPORT", "example.org:8080")]
    [InlineData("MAC", "00:1a:2b:3c:4d:5e")]
    [InlineData("MAC", "001a.2b3c.4d5e")]
    [InlineData("UUID", "123e4567-e89b-12d3-a456-426614174000")]
    [InlineData("EMAILADDRESS", "first.last+tag@example.co.uk")]
    [InlineData("NUMBER", "-12.5")]
    [InlineData("BASE10NUM", "42")]
    [InlineData("POSINT", "8080")]
    [InlineData("NONNEGINT", "0")]
    [InlineData("WORD", "hello_1")]
    [InlineData("QUOTEDSTRING", "\"say \\\"hi\\\"\"")]
    [InlineData("QS", "'single'")]
    [InlineData("PATH", "/var/log/auth.log")]
    [InlineData("UNIXPATH", "/usr/bin/sudo")]
    [InlineData("URIPATH", "/index.php")]
    [InlineData("URIPARAM", "?a=1&b=two")]
    [InlineData("URI", "https://user@example.org:8443/a/b?c=d")]
    [InlineData("SYSLOGTIMESTAMP", "Mar  4 00:00:01")]
    [InlineData("TIMESTAMP_ISO8601", "2024-03-04T05:06:07.123+01:00")]
    [InlineData("HTTPDATE", "10/Oct/2000:13:55:36 -0700")]
    [InlineData("LOGLEVEL", "WARNING")]
    [InlineData("SYSLOGPROG", "sshd[123]")]
    [InlineData("SYSLOGHOST", "LabSZ")]
    [InlineData("MONTH", "September")]
    [InlineData("MONTHDAY", "31")]
    [InlineData("YEAR", "2024")]
    [InlineData("TIME", "23:59:60")]
    [InlineData("USER", "www-data")]
    [InlineData("NOTSPACE", "a/b:c")]
    public void LibraryPatternsMatchTheirWholeExamples(string pattern, string example)
    {
        var parser = Build($$"""
            name: t
            type: grok
            pattern: '^%{{{pattern}}:value}$'
            """);
        var (outcome, e) = Run(parser, example);
        Assert.Equal(ParseStatus.Matched, outcome.Status);
        Assert.Equal(example, e.GetString("value"));
    }

    [Theory]
    [InlineData("IPV4", "256.1.1.1")]
    [InlineData("IPV6", "2001:db8:::1:2:3:4:5:6")]
    [InlineData("POSINT", "0")]
    [InlineData("UUID", "not-a-uuid")]
    [InlineData("MAC", "00:1a:2b")]
    public void LibraryPatternsRejectNearMisses(string pattern, string example)
    {
        var parser = Build($$"""
            name: t
            type: grok
            pattern: '^%{{{pattern}}}$'
            """);
        Assert.Equal(ParseStatus.Unmatched, Run(parser, example).Outcome.Status);
    }

    [Fact]
    public void EveryLibraryPatternCompilesOnTheLinearEngine()
    {
        foreach (var name in GrokPatterns.Library.Keys)
        {
            var regex = GrokParser.Expand("%{" + name + "}", []);
            var compiled = FieldRegex.Compile(regex, System.Text.RegularExpressions.RegexOptions.ExplicitCapture);
            Assert.True(compiled.IsNonBacktracking, name);
        }
    }

    [Fact]
    public void UserDefinitionsExtendAndOverrideTheLibrary()
    {
        var parser = Build("""
            name: t
            type: grok
            pattern_definitions:
              TICKET: 'T-%{INT}'
              WORD: '[a-z]+'
            pattern: '%{TICKET:ticket.id} by %{WORD:user.name}'
            """);
        var (_, e) = Run(parser, "opened T-42 by ann");
        Assert.Equal("T-42", e.GetString("ticket.id"));
        Assert.Equal("ann", e.GetString("user.name"));
    }

    [Fact]
    public void CombinedApacheLogWorksFromTheLibrary()
    {
        var parser = Build("""
            name: t
            type: grok
            pattern: '%{COMBINEDAPACHELOG}'
            """);
        var (_, e) = Run(parser, "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326 \"http://www.example.com/start.html\" \"Mozilla/4.08 [en] (Win98; I ;Nav)\"");
        Assert.Equal("frank", e.GetString("user.name"));
        Assert.Equal(200, e.Get("http.response.status_code").AsLong());
        Assert.Equal("Mozilla/4.08 [en] (Win98; I ;Nav)", e.GetString("user_agent.original"));
        Assert.Equal("/apache_pb.gif", e.GetString("url.original"));
    }

    [Fact]
    public void AnUnknownPatternIsAConfigErrorAtThePattern()
    {
        var ex = Assert.Throws<ConfigException>(() => LoadConfig("""
            parsers:
              - name: app
                type: grok
                pattern: '%{IP:source.ip} %{NOSUCHPATTERN:x}'
            """));
        Assert.Equal(4, ex.Line);
        Assert.Equal(14, ex.Column);
        Assert.Contains("unknown grok pattern 'NOSUCHPATTERN'", ex.Problem);
    }

    [Fact]
    public void AnUnknownPatternInADefinitionIsReportedAtTheDefinition()
    {
        var ex = Assert.Throws<ConfigException>(() => Build("""
            name: t
            type: grok
            pattern_definitions:
              MINE: '%{NOPE}'
            pattern: 'x %{MINE}'
            """));
        Assert.Equal(4, ex.Line);
        Assert.Contains("'NOPE'", ex.Problem);
    }

    [Fact]
    public void SelfReferencingDefinitionsAreRejected()
    {
        var ex = Assert.Throws<ConfigException>(() => Build("""
            name: t
            type: grok
            pattern_definitions:
              A: 'a%{B}'
              B: 'b%{A}'
            pattern: '%{A}'
            """));
        Assert.Contains("refers to itself", ex.Problem);
    }

    [Fact]
    public void AnUnknownInlineTypeIsAConfigError()
    {
        var ex = Assert.Throws<ConfigException>(() => Build("""
            name: t
            type: grok
            pattern: '%{INT:n:integerish}'
            """));
        Assert.Contains("unknown field type 'integerish'", ex.Problem);
    }

    [Fact]
    public void DataIsLazyAndGreedyDataTakesTheRest()
    {
        var parser = Build("""
            name: t
            type: grok
            pattern: '^%{DATA:a} %{GREEDYDATA:b}$'
            """);
        var (_, e) = Run(parser, "one two three");
        Assert.Equal("one", e.GetString("a"));
        Assert.Equal("two three", e.GetString("b"));
    }

    [Fact]
    public void InlineFloatTypesBecomeDoubles()
    {
        var parser = Build("""
            name: t
            type: grok
            pattern: 'took %{NUMBER:event.duration_s:float}s'
            """);
        Assert.Equal(FieldKind.Double, Run(parser, "took 0.25s").Event.Get("event.duration_s").Kind);
    }
}
