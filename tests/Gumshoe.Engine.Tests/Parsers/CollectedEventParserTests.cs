using System.Net;
using System.Text;
using System.Text.Json;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Engine.Tests.Parsers;

public sealed class CollectedEventParserTests
{
    private static string Line(Event e)
    {
        CollectedEventParser.Annotate(e);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) EventJson.Write(w, e);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    [Fact]
    public void A_collected_line_reads_back_as_the_event_with_its_kinds_input_and_properties()
    {
        var e = new Event { Input = "okta", Timestamp = DateTimeOffset.Parse("2026-11-20T08:31:19.5123456Z"), Original = "{\"uuid\":\"x\"}", Offset = 7 };
        e.Set("event.id", FieldValue.String("x"));
        e.Set("source.ip", FieldValue.Ip(IPAddress.Parse("2001:218::2a")));
        e.Set("destination.address", FieldValue.Ip(IPAddress.Parse("10.0.0.1")));   // not an automatic IP field
        e.Set("slack.access.date_first", FieldValue.Timestamp(DateTimeOffset.Parse("2026-11-19T00:00:00Z")));
        e.Set("gumshoe.score", FieldValue.Double(1.0));
        e.Set("source.geo.location", FieldValue.Object(new Dictionary<string, FieldValue> { ["lat"] = FieldValue.Double(48.0), ["lon"] = FieldValue.Double(2.5) }));
        e.Set("related.ip", FieldValue.Array([FieldValue.Ip(IPAddress.Parse("81.2.69.160"))]));
        e.Set("event.category", FieldValue.Array([FieldValue.String("authentication")]));
        e.Set("user.name", FieldValue.String("alice"));
        e.Set("count", FieldValue.Long(3));

        var back = new Event { Input = "events-in", Original = "the line" };
        var outcome = new CollectedEventParser().Parse(Line(e), back, new ParseContext());

        Assert.Equal(ParseStatus.Matched, outcome.Status);
        Assert.Equal("okta", back.Input);
        Assert.Equal(e.Timestamp, back.Timestamp);
        Assert.Equal(e.Original, back.Original);
        Assert.Equal(7, back.Offset);
        Assert.Null(back.FilePath);
        var want = e.Fields.Where(f => f.Key is not (CollectedEventParser.InputField or CollectedEventParser.TypesField)).ToDictionary(f => f.Key, f => f.Value.ToString() + "/" + f.Value.Kind);
        var got = back.Fields.ToDictionary(f => f.Key, f => f.Value.ToString() + "/" + f.Value.Kind);
        Assert.Equal(want.OrderBy(k => k.Key), got.OrderBy(k => k.Key));
        Assert.Equal(FieldKind.Double, back.Get("source.geo.location").AsObject()!["lat"].Kind);
        Assert.Equal(FieldKind.Ip, back.Get("related.ip").AsArray()[0].Kind);
        Assert.Equal("okta\nx", CollectedEventParser.Key(back));
    }

    [Fact]
    public void A_plain_ecs_line_reads_like_json_with_source_ip_as_an_address()
    {
        var back = new Event { Input = "events-in" };
        var outcome = new CollectedEventParser().Parse("{\"@timestamp\":\"2026-11-20T08:00:00Z\",\"source\":{\"ip\":\"81.2.69.160\"},\"event\":{\"id\":\"1\"}}", back, new ParseContext());

        Assert.Equal(ParseStatus.Matched, outcome.Status);
        Assert.Equal("events-in", back.Input);
        Assert.Equal(FieldKind.Ip, back.Get("source.ip").Kind);
        Assert.Equal(ParseStatus.Failed, new CollectedEventParser().Parse("{\"source\":{}}", new Event(), new ParseContext()).Status);
    }

    [Fact]
    public void Lines_past_the_committed_length_are_kept_whole_and_known_by_key()
    {
        var path = Path.GetTempFileName();
        try
        {
            var a = new Event { Input = "okta", Timestamp = DateTimeOffset.UnixEpoch };
            a.Set("event.id", FieldValue.String("a"));
            var b = new Event { Input = "okta", Timestamp = DateTimeOffset.UnixEpoch };
            b.Set("event.id", FieldValue.String("b"));
            var first = Line(a) + "\n";
            File.WriteAllText(path, first + Line(b) + "\n{\"@timest");   // a torn last line

            var (keep, written) = CollectedEventParser.AfterCommitted(path, Encoding.UTF8.GetByteCount(first));

            Assert.Equal(new FileInfo(path).Length - "{\"@timest".Length, keep);
            Assert.Equal(["okta\nb"], written);
        }
        finally { File.Delete(path); }
    }
}
