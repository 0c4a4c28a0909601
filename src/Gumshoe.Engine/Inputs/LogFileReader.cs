using System.IO.Compression;

namespace Gumshoe.Engine.Inputs;

/// <summary>
/// Reads a whole log file (plain or .gz, or <c>-</c> for stdin) once, line by line with byte offsets: the
/// reading side of <c>replay</c> and <c>parse</c>.
/// </summary>
public sealed class LogFileReader(string path, int maxLineBytes = LineSplitter.DefaultMaxLineBytes)
{
    public string Path { get; } = path;

    /// <summary>The file's last-write time: the reference clock for year-less stamps in a replay.</summary>
    public DateTimeOffset LastWrite => Path == "-" ? DateTimeOffset.UtcNow : new DateTimeOffset(File.GetLastWriteTimeUtc(Path), TimeSpan.Zero);

    /// <summary>Calls <paramref name="onLine"/> for every line, the last one even without a newline.</summary>
    public void ReadAll(LineSplitter.LineHandler onLine, CancellationToken cancellationToken = default)
    {
        using var stream = Open();
        var splitter = new LineSplitter(maxLineBytes);
        var buffer = new byte[1 << 17];
        long offset = 0;
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            splitter.Feed(buffer.AsSpan(0, n), offset, onLine);
            offset += n;
        }
        splitter.Flush(offset, onLine);
    }

    /// <summary>The lines, pulled one at a time (for merging several files by event time).</summary>
    public IEnumerable<(string Text, long Offset, long End, LineProblem Problems)> Lines()
    {
        var pending = new List<(string, long, long, LineProblem)>();
        LineSplitter.RawLineHandler add = (bytes, offset, end, problems) => pending.Add((LineSplitter.Decode(bytes, ref problems), offset, end, problems));
        foreach (var _ in FeedLines(add))
        {
            foreach (var line in pending) yield return line;
            pending.Clear();
        }
    }

    /// <summary>
    /// Hands every line's raw bytes to <paramref name="onLine"/>, one read buffer per step of the enumeration (so
    /// several files can be read in step); each step yields the bytes read so far.
    /// </summary>
    public IEnumerable<long> FeedLines(LineSplitter.RawLineHandler onLine)
    {
        using var stream = Open();
        var splitter = new LineSplitter(maxLineBytes);
        var buffer = new byte[1 << 17];
        long position = 0;
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            splitter.FeedRaw(buffer.AsSpan(0, n), position, onLine);
            position += n;
            yield return position;
        }
        splitter.FlushRaw(position, onLine);
        yield return position;
    }

    private Stream Open()
    {
        if (Path == "-") return Console.OpenStandardInput();
        var fs = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        if (Path.EndsWith(".gz", StringComparison.Ordinal)) return new GZipStream(fs, CompressionMode.Decompress);
        return fs;
    }
}
