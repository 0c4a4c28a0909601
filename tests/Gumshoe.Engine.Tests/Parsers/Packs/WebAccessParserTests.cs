using System.Net;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Parsers.Packs;
using static Gumshoe.Engine.Tests.Parsers.ParserTestKit;

namespace Gumshoe.Engine.Tests.Parsers.Packs;

public class WebAccessParserTests
{
    private static Event Parse(string line)
    {
        var (outcome, e) = Run(new WebAccessParser(), line);
        Assert.Equal(ParseStatus.Matched, outcome.Status);
        return e;
    }

    [Fact]
    public void ACombinedLineFillsTheEcsHttpFields()
    {
        var e = Parse("127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif?x=1 HTTP/1.0\" 200 2326 \"http://www.example.com/start.html\" \"Mozilla/4.08 [en] (Win98; I ;Nav)\"");
        Assert.Equal(IPAddress.Parse("127.0.0.1"), e.Get("source.ip").AsIp());
        Assert.Equal("frank", e.GetString("user.name"));
        Assert.Equal("GET", e.GetString("http.request.method"));
        Assert.Equal("/apache_pb.gif?x=1", e.GetString("url.original"));
        Assert.Equal("/apache_pb.gif", e.GetString("url.path"));
        Assert.Equal("x=1", e.GetString("url.query"));
        Assert.Equal("1.0", e.GetString("http.version"));
        Assert.Equal(FieldKind.Long, e.Get("http.response.status_code").Kind);
        Assert.Equal(200, e.Get("http.response.status_code").AsLong());
        Assert.Equal(2326, e.Get("http.response.body.bytes").AsLong());
        Assert.Equal("http://www.example.com/start.html", e.GetString("http.request.referrer"));
        Assert.Equal("Mozilla/4.08 [en] (Win98; I ;Nav)", e.GetString("user_agent.original"));
        Assert.Equal(new DateTimeOffset(2000, 10, 10, 20, 55, 36, TimeSpan.Zero), e.Timestamp);
        Assert.Equal("success", e.GetString("event.outcome"));
    }

    [Fact]
    public void ACommonLineHasNoReferrerOrAgent()
    {
        var e = Parse("192.0.2.9 - - [04/Mar/2024:10:00:00 +0000] \"POST /login HTTP/1.1\" 401 -");
        Assert.Null(e.GetString("user.name"));
        Assert.Null(e.GetString("http.request.referrer"));
        Assert.Null(e.GetString("user_agent.original"));
        Assert.False(e.TryGet("http.response.body.bytes", out _));
        Assert.Equal("failure", e.GetString("event.outcome"));
        Assert.Equal(401, e.Get("http.response.status_code").AsLong());
    }

    [Fact]
    public void NginxLinesWithIpv6EscapesAndExtraFieldsParse()
    {
        var e = Parse("2001:db8::5 - - [04/Mar/2024:10:00:00 +0100] \"GET /search?q=\\\"x\\\" HTTP/2.0\" 503 154 \"-\" \"curl/8.5.0\" \"198.51.100.7\"");
        Assert.Equal(IPAddress.Parse("2001:db8::5"), e.Get("source.ip").AsIp());
        Assert.Equal("/search?q=\"x\"", e.GetString("url.original"));
        Assert.Equal("2.0", e.GetString("http.version"));
        Assert.Null(e.GetString("http.request.referrer"));
        Assert.Equal("curl/8.5.0", e.GetString("user_agent.original"));
        Assert.Equal("failure", e.GetString("event.outcome"));
    }

    [Fact]
    public void AGarbageRequestIsKeptAsUrlOriginal()
    {
        var e = Parse("203.0.113.4 - - [04/Mar/2024:10:00:00 +0000] \"\\x16\\x03\\x01\\x00\\xA5\" 400 157 \"-\" \"-\"");
        Assert.Null(e.GetString("http.request.method"));
        Assert.Equal("\\x16\\x03\\x01\\x00\\xA5", e.GetString("url.original"));
        Assert.Equal("failure", e.GetString("event.outcome"));
    }

    [Fact]
    public void AHostNameClientIsASourceDomain()
    {
        var e = Parse("crawler.example.org - - [04/Mar/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 304 0");
        Assert.Equal("crawler.example.org", e.GetString("source.domain"));
        Assert.Equal("/", e.GetString("url.path"));
    }

    [Theory]
    [InlineData("not an access log line at all")]
    [InlineData("1.2.3.4 - - 04/Mar/2024 \"GET / HTTP/1.1\" 200 1")]
    [InlineData("1.2.3.4 - - [04/Mar/2024:10:00:00 +0000] \"GET / HTTP/1.1 200 1")]
    [InlineData("1.2.3.4 - - [04/Mar/2024:10:00:00 +0000] \"GET / HTTP/1.1\" abc 1")]
    public void OtherLinesAreUnmatched(string line) => Assert.Equal(ParseStatus.Unmatched, Run(new WebAccessParser(), line).Outcome.Status);

    [Fact]
    public void ABadTimestampFails()
    {
        var (outcome, _) = Run(new WebAccessParser(), "1.2.3.4 - - [04/Foo/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1");
        Assert.Equal(ParseStatus.Failed, outcome.Status);
        Assert.StartsWith("bad timestamp", outcome.Reason);
    }
}
