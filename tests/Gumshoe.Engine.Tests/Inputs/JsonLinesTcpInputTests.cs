using System.Net;
using System.Net.Sockets;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Engine.Tests.Inputs;

public class JsonLinesTcpInputTests
{
    private static JsonLinesTcpInput Create(int port, int maxLineBytes = 1 << 20) =>
        new("jl", new PassthroughParser(), new ParseContext(), new JsonLinesTcpOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, port),
            MaxLineBytes = maxLineBytes,
        });

    [Fact]
    public async Task Each_line_of_a_connection_is_one_record_also_when_split_across_packets()
    {
        var input = Create(Loopback.FreePort());
        await using var running = new RunningInput(input);
        var endpoint = await input.Listening.WaitAsync(RunningInput.Patience);

        using var client = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        await client.ConnectAsync(endpoint);
        var stream = client.GetStream();
        await stream.WriteAsync("{\"a\":1}\n\n{\"b\":"u8.ToArray());
        await Task.Delay(50);
        await stream.WriteAsync("2}\r\n{\"c\":3}"u8.ToArray());
        client.Client.Shutdown(SocketShutdown.Send); // the last line ends with the connection

        var r1 = await running.NextAsync();
        var r2 = await running.NextAsync();
        var r3 = await running.NextAsync();
        Assert.Equal(["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"], new[] { r1.Text, r2.Text, r3.Text });
        Assert.Equal((0L, 8L, 9L, 18L), (r1.Offset, r1.EndOffset, r2.Offset, r2.EndOffset));
        var source = Assert.IsType<NetworkSource>(r1.Source);
        Assert.Equal(("tcp", client.Client.LocalEndPoint!.ToString()), (source.Transport, source.Peer));
        Assert.Null(input.Checkpoint());
    }

    [Fact]
    public async Task Port_zero_listens_on_a_free_port()
    {
        var input = Create(0);
        await using var running = new RunningInput(input);
        var endpoint = await input.Listening.WaitAsync(RunningInput.Patience);
        Assert.NotEqual(0, endpoint.Port);

        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(endpoint);
        await client.GetStream().WriteAsync("{\"ok\":true}\n"u8.ToArray());
        Assert.Equal("{\"ok\":true}", (await running.NextAsync()).Text);
    }

    [Fact]
    public async Task Over_long_lines_are_cut_and_counted()
    {
        var input = Create(Loopback.FreePort(), maxLineBytes: 256);
        await using var running = new RunningInput(input);
        var endpoint = await input.Listening.WaitAsync(RunningInput.Patience);
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(endpoint);
        var longLine = "{\"x\":\"" + new string('y', 1000) + "\"}";
        await client.GetStream().WriteAsync(System.Text.Encoding.UTF8.GetBytes(longLine + "\n{\"next\":1}\n"));
        Assert.Equal(longLine[..256], (await running.NextAsync()).Text);
        Assert.Equal("{\"next\":1}", (await running.NextAsync()).Text);
        Assert.Equal(1, running.Counter("gumshoe_input_problems_total", "{input=\"jl\",reason=\"line_too_long\"}"));
    }

    [Fact]
    public async Task Cancellation_stops_promptly_while_a_connection_waits_on_a_full_channel()
    {
        var port = Loopback.FreePort();
        var input = Create(port);
        var running = new RunningInput(input, capacity: 1);
        var endpoint = await input.Listening.WaitAsync(RunningInput.Patience);
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(endpoint);
        await client.GetStream().WriteAsync("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n"u8.ToArray());
        await running.UntilCounterAsync("gumshoe_input_lines_total", "{input=\"jl\"}", 3);

        var took = await running.StopAsync();
        await running.DisposeAsync();
        Assert.True(took < TimeSpan.FromSeconds(2), $"took {took}");
        Assert.Equal(2, running.Counter("gumshoe_input_dropped_total", "{input=\"jl\",reason=\"shutdown\"}"));
        using var again = new TcpListener(IPAddress.Loopback, port);
        again.Start();
    }
}
