using System.Text;
using Gumshoe.Engine.Inputs;

namespace Gumshoe.Engine.Tests.Inputs;

public sealed class ParallelLineReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-plr-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Lines of every length from empty to several blocks, CRLF ends, invalid UTF-8, and a last line without a newline.
    private string WriteLog()
    {
        var rng = new Random(5);
        var data = new MemoryStream();
        for (var i = 0; i < 3000; i++)
        {
            var length = rng.Next(20) == 0 ? rng.Next(2_000, 9_000) : rng.Next(0, 120);
            var line = new byte[length];
            for (var j = 0; j < length; j++) line[j] = (byte)('a' + rng.Next(26));
            if (length > 3 && rng.Next(50) == 0) line[1] = 0xFF;
            data.Write(line);
            data.Write(rng.Next(10) == 0 ? "\r\n"u8 : "\n"u8);
        }
        data.Write("the end, unterminated"u8);
        var path = Path.Combine(_dir, "mixed.log");
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    private static List<(string Line, long Offset, LineProblem Problems)> Lines(IEnumerable<LineBlock> blocks)
    {
        var lines = new List<(string, long, LineProblem)>();
        foreach (var b in blocks)
            for (var i = 0; i < b.Count; i++) lines.Add((Encoding.Latin1.GetString(b.Line(i)), b.Offset(i), b.Problems(i)));
        return lines;
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 3)]
    [InlineData(3, 1)]
    public void AReadingThreadGivesTheBlocksTheConsumerWouldHaveReadItself(int workers, int inFlight)
    {
        var path = WriteLog();
        var processed = 0;
        var here = new ParallelLineReader<LineBlock>(workers, () => new LineBlock(4096));
        var ahead = new ParallelLineReader<LineBlock>(workers, () => new LineBlock(4096)) { ReadOnOwnThread = true };
        var expected = Lines(here.Read(new LogFileReader(path), _ => { }, inFlight));
        long lastBytes = 0;
        var got = Lines(ahead.Read(new LogFileReader(path), _ => Interlocked.Increment(ref processed), inFlight, b => lastBytes = b));
        Assert.Equal(3001, expected.Count);
        Assert.Equal(expected, got);
        Assert.True(processed > 50, $"{processed} blocks processed");
        Assert.Equal(new FileInfo(path).Length, lastBytes);
    }

    [Fact]
    public void AnEnumerationLeftEarlyStopsTheReaderAndWaitsForItsWorkers()
    {
        var path = WriteLog();
        var running = 0;
        var reader = new ParallelLineReader<LineBlock>(2, () => new LineBlock(4096)) { ReadOnOwnThread = true };
        foreach (var _ in reader.Read(new LogFileReader(path), _ =>
        {
            Interlocked.Increment(ref running);
            Thread.Sleep(20);
            Interlocked.Decrement(ref running);
        }, 3))
            break;
        Assert.Equal(0, Volatile.Read(ref running));
    }

    [Fact]
    public void AWorkersFailureReachesTheConsumerAtItsBlock()
    {
        var path = WriteLog();
        var seen = 0;
        var reader = new ParallelLineReader<LineBlock>(2, () => new LineBlock(4096)) { ReadOnOwnThread = true };
        var blocks = reader.Read(new LogFileReader(path), b =>
        {
            if (b.Offset(0) > 0) throw new InvalidOperationException("bad block");
        }, 3);
        var error = Assert.Throws<InvalidOperationException>(() => { foreach (var _ in blocks) seen++; });
        Assert.Equal("bad block", error.Message);
        Assert.Equal(1, seen);
    }

    [Fact]
    public void AFileThatCannotBeReadFailsTheEnumeration()
    {
        var reader = new ParallelLineReader<LineBlock>(2, () => new LineBlock(4096)) { ReadOnOwnThread = true };
        Assert.Throws<FileNotFoundException>(() => reader.Read(new LogFileReader(Path.Combine(_dir, "missing.log")), _ => { }, 3).ToList());
    }
}
