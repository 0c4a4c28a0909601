using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Parsers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Inputs;

public sealed class FileTailInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-tail-").FullName;
    private string Log => Path.Combine(_dir, "auth.log");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Runs a tail input in the background, collecting and acknowledging every line.</summary>
    private sealed class Tail : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;
        private readonly Task _consume;
        public readonly FileTailInput Input;
        public readonly List<string> Lines = [];
        public readonly MetricsRegistry Metrics = new();

        public Tail(string pattern, JsonNode? state, bool startAtEnd = false)
        {
            Input = new FileTailInput("t", new SyslogLineParser(), new ParseContext(), new FileTailOptions
            {
                Paths = [pattern], StartAtEnd = startAtEnd, ScanInterval = TimeSpan.FromMilliseconds(50),
                ReadInterval = TimeSpan.FromMilliseconds(10), RotateWait = TimeSpan.FromMilliseconds(500),
            });
            Input.Restore(state);
            var channel = Channel.CreateBounded<RawRecord>(16);
            _run = Task.Run(() => Input.RunAsync(channel.Writer, new InputRun(true, Metrics, NullLogger.Instance), _stop.Token));
            _consume = Task.Run(async () =>
            {
                try
                {
                    await foreach (var r in channel.Reader.ReadAllAsync(_stop.Token))
                    {
                        lock (Lines) Lines.Add(r.Text);
                        r.Source.Acked = r.EndOffset;
                    }
                }
                catch (OperationCanceledException) { }
            });
        }

        public async Task WaitForAsync(int count, int timeoutMs = 10_000)
        {
            var sw = Stopwatch.StartNew();
            while (sw.ElapsedMilliseconds < timeoutMs)
            {
                lock (Lines) if (Lines.Count >= count) return;
                await Task.Delay(10);
            }
            lock (Lines) Assert.Fail($"expected {count} lines, got {Lines.Count}");
        }

        /// <summary>Waits for the tail's first scan (which decides where each file starts), failing the test when it does not come.</summary>
        public async Task WaitForFirstScanAsync()
        {
            var sw = Stopwatch.StartNew();
            while (Input.Checkpoint() is null)
            {
                Assert.True(sw.ElapsedMilliseconds < 10_000, "the tail never scanned");
                await Task.Delay(10);
            }
        }

        /// <summary>Stops and returns the checkpoint, as a clean shutdown would.</summary>
        public async Task<JsonNode?> StopAsync()
        {
            await Task.Delay(100); // let the consumer acknowledge what it has
            _stop.Cancel();
            try { await _run; } catch (OperationCanceledException) { }
            try { await _consume; } catch (OperationCanceledException) { }
            return Input.Checkpoint();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested) await StopAsync();
        }
    }

    private static void Append(string path, int from, int to)
    {
        using var w = File.AppendText(path);
        for (var i = from; i < to; i++) w.Write($"line {i:D6} some padding to make the lines a bit longer\n");
    }

    private static IEnumerable<string> Expected(int from, int to) =>
        Enumerable.Range(from, to - from).Select(i => $"line {i:D6} some padding to make the lines a bit longer");

    private static void AssertExactlyOnce(IEnumerable<string> expected, List<string> got)
    {
        lock (got)
        {
            var dupes = got.GroupBy(x => x).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.Empty(dupes);
            Assert.Equal(expected.Order(), got.Order());
        }
    }

    [Fact]
    public async Task AFileThatAppearsAfterTheStartIsReadFromItsBeginning()
    {
        await using var tail = new Tail(Log, null, startAtEnd: true);
        await tail.WaitForFirstScanAsync();
        Append(Log, 0, 50);
        await tail.WaitForAsync(50);
        AssertExactlyOnce(Expected(0, 50), tail.Lines);
    }

    [Fact]
    public async Task StartAtEndSkipsWhatAFileHeldAtTheFirstStart()
    {
        Append(Log, 0, 20);
        await using var tail = new Tail(Log, null, startAtEnd: true);
        await tail.WaitForFirstScanAsync();
        Append(Log, 20, 30);
        await tail.WaitForAsync(10);
        AssertExactlyOnce(Expected(20, 30), tail.Lines);
    }

    [Fact]
    public async Task ARenamedFileIsReadToItsEndIncludingLinesWrittenAfterTheRename()
    {
        Append(Log, 0, 100);
        await using var tail = new Tail(Log, null);
        await tail.WaitForAsync(100);
        File.Move(Log, Log + ".1");
        Append(Log + ".1", 100, 120); // the writer still had the old file open
        Append(Log, 120, 200);        // logrotate's "create": a new file at the path
        await tail.WaitForAsync(200);
        AssertExactlyOnce(Expected(0, 200), tail.Lines);
    }

    [Fact]
    public async Task ACopytruncateCopyIsNotReadAgainAndNewLinesAreRead()
    {
        Append(Log, 0, 100);
        await using var tail = new Tail(Path.Combine(_dir, "auth.log*"), null); // the glob also matches the copy
        await tail.WaitForAsync(100);
        File.Copy(Log, Log + ".1");
        new FileStream(Log, FileMode.Open).SetLength(0);
        Append(Log, 100, 150);
        await tail.WaitForAsync(150);
        await Task.Delay(300);
        AssertExactlyOnce(Expected(0, 150), tail.Lines);
    }

    [Fact]
    public async Task ASymlinkSwappedToANewFileIsFollowedAndTheOldTargetFinished()
    {
        var a = Path.Combine(_dir, "a.log");
        var b = Path.Combine(_dir, "b.log");
        Append(a, 0, 50);
        File.CreateSymbolicLink(Log, a);
        await using var tail = new Tail(Log, null);
        await tail.WaitForAsync(50);
        Append(b, 50, 80);
        var tmp = Log + ".new";
        File.CreateSymbolicLink(tmp, b);
        File.Move(tmp, Log, overwrite: true);
        Append(a, 80, 90); // late lines to the old target
        await tail.WaitForAsync(90);
        AssertExactlyOnce(Expected(0, 90), tail.Lines);
    }

    [Fact]
    public async Task ARestartResumesExactlyWhereTheLastAcknowledgedLineEnded()
    {
        Append(Log, 0, 100);
        var first = new Tail(Log, null);
        await first.WaitForAsync(100);
        var state = await first.StopAsync();
        Append(Log, 100, 130);
        await using var second = new Tail(Log, state);
        await second.WaitForAsync(30);
        await Task.Delay(200);
        AssertExactlyOnce(Expected(0, 100), first.Lines);
        AssertExactlyOnce(Expected(100, 130), second.Lines);
    }

    [Fact]
    public async Task ARotationWhileStoppedIsFoundByIdentityAndBothFilesAreRead()
    {
        Append(Log, 0, 100);
        var first = new Tail(Log, null);
        await first.WaitForAsync(100);
        var state = await first.StopAsync();
        Append(Log, 100, 120);
        File.Move(Log, Log + ".1");
        Append(Log, 120, 150);
        await using var second = new Tail(Log, state);
        await second.WaitForAsync(50);
        await Task.Delay(300);
        AssertExactlyOnce(Expected(100, 150), second.Lines);
    }

    [Fact]
    public async Task FilesCreatedAndRotatedAwayWhileStoppedAreReadOnceAndOlderOrKnownFilesAreNot()
    {
        Append(Log, 0, 100);
        File.WriteAllText(Log + ".9", "an old rotated file from before the first start\n");
        File.SetLastWriteTimeUtc(Log + ".9", DateTime.UtcNow.AddHours(-3));
        var first = new Tail(Log, null);
        await first.WaitForAsync(100);
        var state = await first.StopAsync();
        await Task.Delay(1100); // the old file's scan lies in the past by more than the clock slack

        // while stopped: the known file gets more lines and is rotated (with a copy of it lying around too); a new file
        // is born, written and rotated and compressed; another is born and rotated; a third is born at the path
        Append(Log, 100, 120);
        File.Move(Log, Log + ".1");
        File.Copy(Log + ".1", Path.Combine(_dir, "auth.log-copy"));
        Append(Log, 120, 150);
        File.Move(Log + ".1", Log + ".2");
        File.Move(Log, Log + ".1");
        using (var src = File.OpenRead(Log + ".1"))
        using (var gz = new GZipStream(File.Create(Log + ".1.gz"), CompressionLevel.Fastest))
            src.CopyTo(gz);
        File.SetLastWriteTimeUtc(Log + ".1.gz", File.GetLastWriteTimeUtc(Log + ".1")); // as gzip keeps it
        File.Delete(Log + ".1");
        Append(Log, 150, 170);
        File.Move(Log + ".2", Log + ".3");
        File.Move(Log + ".1.gz", Log + ".2.gz");
        File.Move(Log, Log + ".1");
        Append(Log, 170, 200);

        await using var second = new Tail(Log, state);
        await second.WaitForAsync(100);
        await Task.Delay(700);
        AssertExactlyOnce(Expected(100, 200), second.Lines);
        Assert.Equal(2, second.Metrics.Counter("gumshoe_input_rotations_total", "input", "t", "kind", "while_stopped").Value);
        var again = await second.StopAsync();

        // and a restart after that reads none of them again
        await using var third = new Tail(Log, again);
        await Task.Delay(700);
        lock (third.Lines) Assert.Empty(third.Lines);
    }

    [Fact]
    public async Task ARotatedFileCompressedWhileStoppedIsReadFromTheArchive()
    {
        Append(Log, 0, 100);
        var first = new Tail(Log, null);
        await first.WaitForAsync(100);
        var state = await first.StopAsync();
        Append(Log, 100, 120);
        File.Move(Log, Log + ".1");
        using (var src = File.OpenRead(Log + ".1"))
        using (var gz = new GZipStream(File.Create(Log + ".1.gz"), CompressionLevel.Fastest))
            src.CopyTo(gz);
        File.Delete(Log + ".1");
        Append(Log, 120, 150);
        await using var second = new Tail(Log, state);
        await second.WaitForAsync(50);
        await Task.Delay(300);
        AssertExactlyOnce(Expected(100, 150), second.Lines);
    }

    [Fact]
    public async Task ATruncationIsNoticedAfterARestartEvenWhenTheFileGrewPastTheOldOffset()
    {
        Append(Log, 0, 10);
        var first = new Tail(Log, null);
        await first.WaitForAsync(10);
        var state = await first.StopAsync();
        File.WriteAllText(Log, "");
        Append(Log, 1000, 1100); // new content, longer than before, same inode
        await using var second = new Tail(Log, state);
        await second.WaitForAsync(100);
        AssertExactlyOnce(Expected(1000, 1100), second.Lines);
    }

    [Fact]
    public async Task CopytruncateWhileStoppedReadsTheRestFromTheCopyAndTheNewContentOnce()
    {
        Append(Log, 0, 100);
        var first = new Tail(Log, null);
        await first.WaitForAsync(100);
        var state = await first.StopAsync();
        Append(Log, 100, 120);          // written after the stop
        File.Copy(Log, Log + ".1");     // copytruncate
        File.WriteAllText(Log, "");
        Append(Log, 120, 300);          // and the file regrew past the old offset
        await using var second = new Tail(Log, state);
        await second.WaitForAsync(200);
        await Task.Delay(300);
        AssertExactlyOnce(Expected(100, 300), second.Lines);
    }

    [Fact]
    public async Task CopytruncateWhileStoppedWithTheCopyCompressedSinceReadsTheRestFromTheArchiveOnce()
    {
        Append(Log, 0, 100);
        var first = new Tail(Log, null);
        await first.WaitForAsync(100);
        var state = await first.StopAsync();
        Append(Log, 100, 120);
        File.Copy(Log, Log + ".1");     // copytruncate
        File.WriteAllText(Log, "");
        Append(Log, 120, 300);
        Compress(Log + ".1", Log + ".2.gz"); // delaycompress at the next rotation
        await using var second = new Tail(Log, state);
        await second.WaitForAsync(200);
        await Task.Delay(300);
        AssertExactlyOnce(Expected(100, 300), second.Lines);
    }

    [Fact]
    public async Task AFileRotatedAndCompressedWhileStoppedWhoseInodeWasReusedAtItsPathIsNotReadAgain()
    {
        // what the soak met: a file renamed away (the checkpoint still names it by its old path), compressed and
        // deleted while stopped, and the new file at the old path got the freed inode number
        Append(Log, 0, 100);
        var first = new Tail(Log, null);
        await first.WaitForAsync(100);
        var state = await first.StopAsync();
        File.Move(Log, Log + ".1");
        Compress(Log + ".1", Log + ".2.gz");
        Append(Log, 1000, 1050);
        var reused = FileIdentity.OfPath(Log)!.Value;
        var entry = state!["files"]!.AsArray().Single()!;
        Assert.Equal(Log, (string?)entry["path"]);
        entry["ino"] = reused.Inode;
        entry["dev"] = reused.Device;
        await using var second = new Tail(Log, state);
        await second.WaitForAsync(50);
        await Task.Delay(400);
        AssertExactlyOnce(Expected(1000, 1050), second.Lines);
    }

    [Fact]
    public async Task ARotatedFileWhoseInodeWentToTheNextCopytruncateCopyIsNotRestartedOnThatCopy()
    {
        // the soak's second case: the rotated file .1 is compressed away while stopped and the next copytruncate's
        // copy (.1 again) gets its inode number: that copy holds the live file's lines, which must not be read twice
        Append(Log, 0, 100);
        var first = new Tail(Log, null);
        await first.WaitForAsync(100);
        File.Move(Log, Log + ".1");
        Append(Log, 100, 150);
        await first.WaitForAsync(150);
        await Task.Delay(300); // the scan notices the rename
        var state = await first.StopAsync();
        var rotated = state!["files"]!.AsArray().Single(e => (bool?)e!["rotated"] == true)!;
        Append(Log, 150, 160);
        Compress(Log + ".1", Log + ".2.gz");
        File.Copy(Log, Log + ".1");     // copytruncate
        File.WriteAllText(Log, "");
        Append(Log, 160, 200);
        var reused = FileIdentity.OfPath(Log + ".1")!.Value;
        rotated["path"] = Log + ".1";
        rotated["ino"] = reused.Inode;
        rotated["dev"] = reused.Device;
        await using var second = new Tail(Log, state);
        await second.WaitForAsync(50);
        await Task.Delay(400);
        AssertExactlyOnce(Expected(150, 200), second.Lines);
    }

    [Fact]
    public async Task FilesFoundAfterARestartAreReadInTheOrderTheirLinesWereWrittenNotByModificationTime()
    {
        // the soak's third case: while stopped the known file is renamed, compressed (the archive's mtime is the
        // compression's), and its successor copied by copytruncate (the copy keeps the older mtime); the known
        // file's last lines come first all the same, or a threshold rule counts out of order
        Append(Log, 0, 100);
        var first = new Tail(Log, null);
        await first.WaitForAsync(100);
        var state = await first.StopAsync();
        Append(Log, 100, 120);
        File.Move(Log, Log + ".1");
        Append(Log, 120, 150);
        Compress(Log + ".1", Log + ".2.gz");
        File.Copy(Log, Log + ".1");
        File.SetLastWriteTimeUtc(Log + ".1", File.GetLastWriteTimeUtc(Log + ".2.gz") - TimeSpan.FromMilliseconds(1));
        File.WriteAllText(Log, "");
        Append(Log, 150, 170);
        await using var second = new Tail(Log, state);
        await second.WaitForAsync(70);
        await Task.Delay(300);
        lock (second.Lines) Assert.Equal(Expected(100, 170), second.Lines);
    }

    [Fact]
    public async Task AFileBornAndRotatedWhileStoppedIsReadEvenWhenItGotTheInodeNumberOfAFileKnownOnlyByItsArchive()
    {
        // the soak's fourth case: a known file found compressed after a restart keeps no claim on its old inode
        // number; the next file that gets the number, born and rotated away while stopped, is still read
        Append(Log, 0, 100);
        var first = new Tail(Log, null);
        await first.WaitForAsync(100);
        var s1 = await first.StopAsync();
        File.Move(Log, Log + ".1");
        Compress(Log + ".1", Log + ".2.gz");
        Append(Log, 100, 150);
        var second = new Tail(Log, s1);
        await second.WaitForAsync(50);
        var s2 = await second.StopAsync();
        var archived = s2!["files"]!.AsArray().Single(e => (string?)e!["path"] == Log + ".2.gz")!;
        Assert.Equal(FileIdentity.OfPath(Log + ".2.gz")!.Value.Inode, (ulong)archived["ino"]!);

        File.Move(Log, Log + ".1");     // known, rotated while stopped
        Append(Log, 150, 200);          // born while stopped …
        File.Move(Log, Log + ".0");     // … and rotated away
        Append(Log, 200, 220);
        var born = FileIdentity.OfPath(Log + ".0")!.Value;
        archived["ino"] = born.Inode;   // as if the archive's entry still named the number the new file got
        archived["dev"] = born.Device;
        await using var third = new Tail(Log, s2);
        await third.WaitForAsync(70);
        await Task.Delay(300);
        AssertExactlyOnce(Expected(150, 220), third.Lines);
    }

    private static void Compress(string path, string archive)
    {
        using (var src = File.OpenRead(path))
        using (var gz = new GZipStream(File.Create(archive), CompressionLevel.Fastest))
            src.CopyTo(gz);
        File.Delete(path);
    }

    [Fact]
    public async Task AFileDeletedWhileTailedIsNotACrash()
    {
        Append(Log, 0, 10);
        await using var tail = new Tail(Log, null);
        await tail.WaitForAsync(10);
        File.Delete(Log);
        await Task.Delay(800);
        Append(Log, 10, 20);
        await tail.WaitForAsync(20);
        AssertExactlyOnce(Expected(0, 20), tail.Lines);
    }

    [Fact]
    public async Task APathReplacedByADirectoryIsCountedNotACrash()
    {
        Append(Log, 0, 10);
        await using var tail = new Tail(Log, null);
        await tail.WaitForAsync(10);
        File.Delete(Log);
        Directory.CreateDirectory(Log);
        await Task.Delay(300);
        Assert.True(tail.Metrics.Counter("gumshoe_input_errors_total", "input", "t", "reason", "not_a_regular_file").Value > 0);
    }
}
