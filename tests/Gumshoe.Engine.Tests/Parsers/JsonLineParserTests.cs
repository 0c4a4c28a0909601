using System.Net;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;
using static Gumshoe.Engine.Tests.Parsers.ParserTestKit;

namespace Gumshoe.Engine.Tests.Parsers;

public class JsonLineParserTests
{
    [Fact]
    public void NestedObjectsAreFlattenedAndTheTimestampIsTaken()
    {
        const string line = """{"@timestamp":"2024-03-04T05:06:07.5+01:00","source":{"ip":"192.0.2.1","port":443},"user":{"name":"eve"},"tags":["a","b"],"ok":true}""";
        var (outcome, e) = Run(new JsonLineParser(), line);
        Assert.Equal(ParseStatus.Matched, outcome.Status);
        Assert.Equal(new DateTimeOffset(2024, 3, 4, 4, 6, 7, 500, TimeSpan.Zero), e.Timestamp);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), e.Get("source.ip").AsIp());
        Assert.Equal(443, e.Get("source.port").AsLong());
        Assert.Equal("eve", e.GetString("user.name"));
        Assert.Equal(2, e.Get("tags").AsArray().Count);
        Assert.True(e.Get("ok").AsBool());
        Assert.Equal(line, e.Original);
    }

    [Fact]
    public void TheRawLineStaysEventOriginalEvenWhenTheObjectHasOne()
    {
        const string line = """{"event":{"original":"something else"},"message":"hi"}""";
        var (_, e) = Run(new JsonLineParser(), line);
        Assert.Equal(line, e.GetString("event.original"));
    }

    [Fact]
    public void AZoneLessTimestampIsInTheInputsZone()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var (_, e) = Run(new JsonLineParser(), """{"@timestamp":"2024-07-01T12:00:00"}""", Context(berlin));
        Assert.Equal(new DateTimeOffset(2024, 7, 1, 10, 0, 0, TimeSpan.Zero), e.Timestamp);
    }

    [Fact]
    public void MalformedJsonFailsWithTheBytePosition()
    {
        var (outcome, _) = Run(new JsonLineParser(), """{"a": 1, "b": }""");
        Assert.Equal(ParseStatus.Failed, outcome.Status);
        Assert.StartsWith("malformed JSON at byte 14: ", outcome.Reason);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    public void ANonObjectFails(string line)
    {
        var (outcome, _) = Run(new JsonLineParser(), line);
        Assert.Equal(ParseStatus.Failed, outcome.Status);
        Assert.StartsWith("not a JSON object", outcome.Reason);
    }

    [Fact]
    public void ABadTimestampFails()
    {
        var (outcome, _) = Run(new JsonLineParser(), """{"@timestamp":"yesterday"}""");
        Assert.Equal(ParseOutcome.Failed("bad timestamp in @timestamp: yesterday"), outcome);
    }

    [Fact]
    public void TheTimestampOptionReadsAnotherField()
    {
        var parser = Build("""
            name: app
            type: json
            timestamp: {field: ts, format: epoch_ms}
            """);
        var (_, e) = Run(parser, """{"ts":1709528767250,"msg":"x"}""");
        Assert.Equal(new DateTimeOffset(2024, 3, 4, 5, 6, 7, 250, TimeSpan.Zero), e.Timestamp);
    }

    [Fact]
    public void FieldAndTargetOptionsParseEmbeddedJsonUnderAPrefix()
    {
        var parser = Build("""
            name: app
            type: json
            field: message
            target: app
            """);
        var e = new Event { Original = "raw" };
        e.Set("message", """{"level":"warn","ctx":{"id":7}}""");
        Assert.Equal(ParseStatus.Matched, parser.Parse("raw", e, Context()).Status);
        Assert.Equal("warn", e.GetString("app.level"));
        Assert.Equal(7, e.Get("app.ctx.id").AsLong());
    }

    [Fact]
    public void JsonIsAlsoAPack()
    {
        Assert.True(BuiltInComponents.Create().TryCreatePack("json", out var p));
        Assert.IsType<JsonLineParser>(p);
    }
}
