using System.Text;
using Gumshoe.Engine.Inputs;

namespace Gumshoe.Engine.Tests.Inputs;

public sealed class LineSplitterTests
{
    private static List<(string Text, long Offset, long End, LineProblem Problems)> Split(byte[] data, int chunk = 7, int max = LineSplitter.DefaultMaxLineBytes, bool flush = true)
    {
        var lines = new List<(string, long, long, LineProblem)>();
        var s = new LineSplitter(max);
        for (var i = 0; i < data.Length; i += chunk)
            s.Feed(data.AsSpan(i, Math.Min(chunk, data.Length - i)), i, (t, o, e, p) => lines.Add((t, o, e, p)));
        if (flush) s.Flush(data.Length, (t, o, e, p) => lines.Add((t, o, e, p)));
        return lines;
    }

    [Fact]
    public void LinesSplitAcrossChunksKeepTheirByteOffsets()
    {
        var lines = Split(Encoding.UTF8.GetBytes("first line\nsecond\r\nthird one here\n"));
        Assert.Equal(["first line", "second", "third one here"], lines.Select(l => l.Text));
        Assert.Equal([0L, 11, 19], lines.Select(l => l.Offset));
        Assert.Equal([11L, 19, 34], lines.Select(l => l.End));
    }

    [Fact]
    public void InvalidUtf8AndNulBytesAreFlaggedAndTheLineStillDelivered()
    {
        var data = new byte[] { (byte)'a', 0xFF, 0xFE, (byte)'b', (byte)'\n', (byte)'c', 0, (byte)'d', (byte)'\n' };
        var lines = Split(data, chunk: 3);
        Assert.Equal(2, lines.Count);
        Assert.Equal(LineProblem.InvalidUtf8, lines[0].Problems);
        Assert.Equal("a\uFFFD\uFFFDb", lines[0].Text);
        Assert.Equal(LineProblem.NulBytes, lines[1].Problems);
        Assert.Equal("c\uFFFDd", lines[1].Text);
    }

    [Fact]
    public void AHugeLineIsCutAtTheCapAndTheNextLineIsIntact()
    {
        var big = new string('x', 10 * 1024 * 1024);
        var lines = Split(Encoding.ASCII.GetBytes(big + "\nnext\n"), chunk: 65536, max: 1 << 20);
        Assert.Equal(2, lines.Count);
        Assert.Equal(1 << 20, lines[0].Text.Length);
        Assert.Equal(LineProblem.TooLong, lines[0].Problems);
        Assert.Equal(big.Length + 1, lines[0].End);
        Assert.Equal(("next", (long)big.Length + 1), (lines[1].Text, lines[1].Offset));
    }

    [Fact]
    public void ATruncatedLastLineIsHeldUntilFlushAndThenFlagged()
    {
        Assert.Single(Split(Encoding.ASCII.GetBytes("done\npartial"), flush: false));
        var lines = Split(Encoding.ASCII.GetBytes("done\npartial"));
        Assert.Equal(("partial", LineProblem.NoNewline), (lines[1].Text, lines[1].Problems));
    }
}
