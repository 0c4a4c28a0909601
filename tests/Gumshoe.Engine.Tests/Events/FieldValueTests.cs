using System.Buffers.Binary;
using System.Net;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Tests.Events;

/// <summary>An IPv4 address held in the value itself behaves as the same address held as an object.</summary>
public class FieldValueTests
{
    // the number FieldValue.Ipv4 takes: the address's bytes in memory order
    private static FieldValue Inline(string address) =>
        FieldValue.Ipv4(BinaryPrimitives.ReadUInt32LittleEndian(IPAddress.Parse(address).GetAddressBytes()));

    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("192.168.0.1")]
    public void AnInlineAddressIsTheSameAddressAsAnObject(string address)
    {
        var inline = Inline(address);
        var boxed = FieldValue.Ip(IPAddress.Parse(address));
        Assert.Equal(FieldKind.Ip, inline.Kind);
        Assert.Equal(address, inline.ToString());
        Assert.Equal(address, inline.AsString());
        Assert.Equal(IPAddress.Parse(address), inline.AsIp());
        Assert.True(inline == boxed);
        Assert.True(boxed == inline);
        Assert.Equal(boxed.GetHashCode(), inline.GetHashCode());
        Assert.True(inline.TryGetIpv4(out var a));
        Assert.True(boxed.TryGetIpv4(out var b));
        Assert.Equal(a, b);
        Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(IPAddress.Parse(address).GetAddressBytes()), a);
        Assert.True(inline == FieldValue.String(address)); // as any address compares with its text
    }

    [Fact]
    public void OtherValuesAreNotIpv4Numbers()
    {
        Assert.False(FieldValue.Ip(IPAddress.Parse("2001:db8::1")).TryGetIpv4(out _));
        Assert.False(FieldValue.String("10.1.2.3").TryGetIpv4(out _));
        Assert.False(FieldValue.Long(167837955).TryGetIpv4(out _));
        Assert.False(FieldValue.Null.TryGetIpv4(out _));
        Assert.False(Inline("10.1.2.3") == Inline("10.1.2.4"));
        Assert.False(Inline("10.1.2.3") == FieldValue.Ip(IPAddress.Parse("::ffff:10.1.2.3")));
    }

    [Fact]
    public void AnInlineAddressIsWrittenAsItsText()
    {
        var e = new Event();
        e.Set(Ecs.SourceIp, Inline("10.1.2.3"));
        var fast = new System.Buffers.ArrayBufferWriter<byte>();
        EventJson.WriteUtf8(fast, e);
        Assert.Contains("\"source\":{\"ip\":\"10.1.2.3\"}", System.Text.Encoding.UTF8.GetString(fast.WrittenSpan));
        using var stream = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(stream)) EventJson.Write(w, e);
        Assert.Contains("\"source\":{\"ip\":\"10.1.2.3\"}", System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
