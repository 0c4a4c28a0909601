using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Tests.Events;

/// <summary>Events as JSON: nested by dotted name, sorted, and the same whether or not their shape was seen before.</summary>
public sealed class EventJsonTests
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Json(Event e)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Options)) EventJson.Write(w, e);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static Event Login(string user, string ip, long port)
    {
        var e = new Event { Timestamp = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), Original = $"line of {user}", FilePath = "/var/log/auth.log", Offset = port };
        e.Set(Ecs.UserName, user);
        e.Set(Ecs.SourceIp, FieldValue.Ip(IPAddress.Parse(ip)));
        e.Set(Ecs.SourcePort, FieldValue.Long(port));
        e.Set(Ecs.EventAction, "ssh_login");
        return e;
    }

    [Fact]
    public void DottedNamesNestInNameOrder() => Assert.Equal(
        """{"@timestamp":"2026-03-01T00:00:00Z","event":{"action":"ssh_login","original":"line of bob"},"log":{"file":{"path":"/var/log/auth.log"},"offset":22},"source":{"ip":"1.2.3.4","port":22},"user":{"name":"bob"}}""",
        Json(Login("bob", "1.2.3.4", 22)));

    [Fact]
    public void EventsOfOneShapeEachGetTheirOwnValues()
    {
        // the second and third events reuse the first one's remembered shape
        Assert.Contains("\"name\":\"alice\"", Json(Login("alice", "10.0.0.1", 1)));
        var second = Json(Login("carol", "2001:db8::1", 2));
        Assert.Contains("\"source\":{\"ip\":\"2001:db8::1\",\"port\":2}", second);
        Assert.Contains("\"name\":\"carol\"", second);
        var moreFields = Login("dave", "10.0.0.2", 3);
        moreFields.Set("user.invalid", FieldValue.Bool(true));
        Assert.Contains("\"user\":{\"invalid\":true,\"name\":\"dave\"}", Json(moreFields));
        Assert.Contains("\"user\":{\"name\":\"erin\"}", Json(Login("erin", "10.0.0.3", 4)));
    }

    [Fact]
    public void ANameThatIsBothAValueAndAPrefixKeepsTheDeeperNamesFlat()
    {
        var e = new Event { Timestamp = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero) };
        e.Set("user", "bob");
        e.Set("user.name", "bob");
        e.Set("user.id.raw", FieldValue.Long(7));
        e.Set("tags", FieldValue.Array([FieldValue.String("a"), FieldValue.Long(1)]));
        Assert.Equal("""{"@timestamp":"2026-03-01T00:00:00Z","tags":["a",1],"user":"bob","user.id.raw":7,"user.name":"bob"}""", Json(e));
    }

    [Fact]
    public void FieldNamesThatAreNotTheSameStringInstanceWriteTheSame()
    {
        var a = Login("bob", "1.2.3.4", 22);
        var b = Login("bob", "1.2.3.4", 22);
        b.Remove(Ecs.UserName);
        b.Set(new string("user.name".AsSpan()), "bob");
        Assert.Equal(Json(a), Json(b));
    }

    public static TheoryData<string> Tricky => new()
    {
        "plain ascii", "quote \" and backslash \\", "tab\tnewline\n", "naïve café", "emoji 😀", "lone \ud800 surrogate",
        "<html> & 'single'", "control \u0001", "", "line\u2028separator",
    };

    [Theory]
    [MemberData(nameof(Tricky))]
    public void TheUtf8WriterWritesWhatTheJsonWriterWrites(string text)
    {
        var e = Login("bob", "fe80::1%2", 22);
        e.Set("message", text);
        e.Set("user", text);                       // a value that is also a prefix of other names
        e.Set(text.Length > 0 && !text.Contains('\u0001') ? "labels." + text : "labels.x", text);
        e.Set("ratio", FieldValue.Double(0.1));
        e.Set("nan", FieldValue.Double(double.NaN));
        e.Set("ok", FieldValue.Bool(false));
        e.Set("nothing", FieldValue.Null);
        e.Set("negative", FieldValue.Long(long.MinValue));
        e.Set("tags", FieldValue.Array([FieldValue.String(text), FieldValue.Long(1)]));
        e.Set("nested", FieldValue.Object(new Dictionary<string, FieldValue>(StringComparer.Ordinal) { ["k" + text] = FieldValue.String(text) }));
        e.Set("when", FieldValue.Timestamp(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1234500)));
        e.Original = text;

        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
            EventJson.Write(w, e);
        for (var round = 0; round < 2; round++) // the second round uses the remembered shape and stamp
        {
            var utf8 = new ArrayBufferWriter<byte>();
            EventJson.WriteUtf8(utf8, e);
            Assert.Equal(Encoding.UTF8.GetString(buffer.ToArray()), Encoding.UTF8.GetString(utf8.WrittenSpan));
            Assert.True(buffer.ToArray().AsSpan().SequenceEqual(utf8.WrittenSpan));
        }
    }
}
