using System.Buffers;
using System.Net;
using Gumshoe.Engine.Cluster;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Tests.Cluster;

public sealed class EventWireTests
{
    [Fact]
    public void An_event_comes_back_with_the_same_typed_fields()
    {
        var e = new Event
        {
            Timestamp = new DateTimeOffset(2025, 12, 10, 7, 27, 52, TimeSpan.Zero), Input = "auth", FilePath = "/var/log/auth.log", Offset = 1234,
            Original = "Dec 10 07:27:52 LabSZ sshd[24206]: Failed password for root from 112.95.230.3 port 45978 ssh2",
        };
        e.Set("source.ip", FieldValue.Ip(IPAddress.Parse("112.95.230.3")));
        e.Set("source.port", FieldValue.Long(45978));
        e.Set("user.name", "root");
        e.Set("score", FieldValue.Double(2.0));
        e.Set("ok", FieldValue.Bool(false));
        e.Set("event.start", FieldValue.Timestamp(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero)));
        e.Set("tags", FieldValue.Array([FieldValue.String("a"), FieldValue.Long(2)]));
        var buffer = new ArrayBufferWriter<byte>();
        EventWire.Write(buffer, e);

        var back = EventWire.Read(buffer.WrittenSpan);

        Assert.Equal(e.Timestamp, back.Timestamp);
        Assert.Equal(("auth", "/var/log/auth.log", 1234L, e.Original), (back.Input, back.FilePath, back.Offset, back.Original));
        Assert.Equal(e.Fields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => (f.Key, f.Value.Kind, f.Value.ToString())),
            back.Fields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => (f.Key, f.Value.Kind, f.Value.ToString())));
    }

    [Fact]
    public void Anything_else_is_refused_with_a_reason()
    {
        var ex = Assert.ThrowsAny<System.Text.Json.JsonException>(() => EventWire.Read("{\"x\":1}"u8));
        Assert.Contains("not a gumshoe wire event", ex.Message);
    }
}
