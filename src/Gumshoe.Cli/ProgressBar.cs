using System.Diagnostics;

namespace Gumshoe.Cli;

/// <summary>A one-line progress bar on stderr for long replays, shown only when stderr is a terminal.</summary>
public sealed class ProgressBar : IDisposable
{
    private readonly long _total;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDraw;

    private ProgressBar(long total) => _total = total;

    /// <summary>A bar over the files' sizes, or null when stderr is not a terminal.</summary>
    public static ProgressBar? ForFiles(IEnumerable<string> files)
    {
        if (Console.IsErrorRedirected) return null;
        long total = 0;
        foreach (var f in files)
        {
            if (f == "-" || f.EndsWith(".gz", StringComparison.Ordinal)) return new ProgressBar(0);
            total += new FileInfo(f).Length;
        }
        return new ProgressBar(total);
    }

    /// <summary>Redraws at most four times a second.</summary>
    public void Report(long bytes)
    {
        var now = _clock.ElapsedMilliseconds;
        if (now - _lastDraw < 250) return;
        _lastDraw = now;
        var rate = bytes / Math.Max(0.001, _clock.Elapsed.TotalSeconds) / 1e6;
        if (_total <= 0)
        {
            Console.Error.Write($"\r{bytes / 1e6,8:F1} MB  {rate,6:F1} MB/s ");
            return;
        }
        var frac = Math.Clamp((double)bytes / _total, 0, 1);
        const int width = 30;
        var filled = (int)(frac * width);
        Console.Error.Write($"\r\u001b[36m[{new string('#', filled)}{new string('.', width - filled)}]\u001b[0m {frac * 100,5:F1}%  {bytes / 1e6:F0}/{_total / 1e6:F0} MB  {rate:F0} MB/s ");
    }

    public void Dispose()
    {
        if (_lastDraw > 0) Console.Error.Write("\r\u001b[K");
    }
}
