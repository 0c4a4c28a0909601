using System.Text;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Engine.Tests.Inputs;

public class StdinInputTests
{
    /// <summary>A stream whose reads never finish and ignore cancellation, like a console nobody types into.</summary>
    private sealed class SilentStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(new TaskCompletionSource<int>().Task);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task Lines_are_read_until_the_end_of_the_stream_and_the_input_returns()
    {
        var bytes = Encoding.UTF8.GetBytes("first\r\nsecond\n\nlast without newline");
        var input = new StdinInput("in", new PassthroughParser(), new ParseContext(), openStream: () => new MemoryStream(bytes));
        await using var running = new RunningInput(input);
        await running.Run.WaitAsync(RunningInput.Patience);

        var records = new List<RawRecord>();
        while (running.Records.TryRead(out var r)) records.Add(r);
        Assert.Equal(["first", "second", "", "last without newline"], records.Select(r => r.Text));
        Assert.Equal([(0L, 7L), (7L, 14L), (14L, 15L), (15L, bytes.Length)], records.Select(r => (r.Offset, r.EndOffset)));
        Assert.All(records, r => Assert.Null(r.Source.Path));
        Assert.Null(input.Checkpoint());
        Assert.Equal(bytes.Length, running.Counter("gumshoe_input_bytes_total", "{input=\"in\"}"));
        Assert.Equal(1, running.Counter("gumshoe_input_problems_total", "{input=\"in\",reason=\"truncated_last_line\"}"));
    }

    [Fact]
    public async Task Cancellation_stops_it_even_while_a_read_hangs()
    {
        var input = new StdinInput("in", new PassthroughParser(), new ParseContext(), openStream: () => new SilentStream());
        var running = new RunningInput(input);
        await Task.Delay(50);
        Assert.False(running.Run.IsCompleted);
        var took = await running.StopAsync();
        await running.DisposeAsync();
        Assert.True(took < TimeSpan.FromSeconds(1), $"took {took}");
    }

    [Fact]
    public async Task A_full_channel_holds_reading_back_and_nothing_is_lost()
    {
        var text = string.Concat(Enumerable.Range(0, 100).Select(i => $"line {i}\n"));
        var input = new StdinInput("in", new PassthroughParser(), new ParseContext(), openStream: () => new MemoryStream(Encoding.UTF8.GetBytes(text)));
        await using var running = new RunningInput(input, capacity: 1);
        var texts = await running.NextTextsAsync(100);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"line {i}"), texts);
        await running.Run.WaitAsync(RunningInput.Patience);
    }
}
