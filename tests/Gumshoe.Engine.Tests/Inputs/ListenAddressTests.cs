using System.Net;
using Gumshoe.Engine.Inputs;

namespace Gumshoe.Engine.Tests.Inputs;

public class ListenAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:5514", "127.0.0.1", 5514)]
    [InlineData("[::1]:5514", "::1", 5514)]
    [InlineData("0.0.0.0:514", "0.0.0.0", 514)]
    [InlineData("[::]:514", "::", 514)]
    [InlineData("localhost:8080", "127.0.0.1", 8080)]
    [InlineData("*:514", "0.0.0.0", 514)]
    [InlineData(":0", "0.0.0.0", 0)]
    public void Addresses_with_a_port_are_understood(string text, string address, int port)
    {
        Assert.True(ListenAddress.TryParse(text, out var endpoint));
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endpoint);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1:5514")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("example.org:514")]
    [InlineData("127.0.0.1:")]
    [InlineData("[::1]")]
    public void Addresses_without_a_clear_port_or_ip_are_refused(string text)
    {
        Assert.False(ListenAddress.TryParse(text, out _));
    }
}
