using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Gumshoe.Engine.Inputs;

/// <summary>Options of the <c>file</c> input.</summary>
public sealed record FileTailOptions
{
    /// <summary>Paths or globs (<c>/var/log/auth.log</c>, <c>/var/log/nginx/*.log</c>).</summary>
    public required IReadOnlyList<string> Paths { get; init; }
    /// <summary>Where to start in files that exist at the very first start: <c>beginning</c> or <c>end</c>.</summary>
    public bool StartAtEnd { get; init; }
    /// <summary>How often globs are re-expanded and rotations looked for.</summary>
    public TimeSpan ScanInterval { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>How long to wait for more data on an idle file before looking again.</summary>
    public TimeSpan ReadInterval { get; init; } = TimeSpan.FromMilliseconds(20);
    /// <summary>How long a file renamed away by rotation is still read after it last grew.</summary>
    public TimeSpan RotateWait { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Bytes from the start of a file that identify it.</summary>
    public int FingerprintBytes { get; init; } = 1024;
    /// <summary>Longest line kept; the rest of a longer line is skipped and counted.</summary>
    public int MaxLineBytes { get; init; } = LineSplitter.DefaultMaxLineBytes;
}

/// <summary>
/// Tails files matched by globs, rotation-safe. A file is known by its device, inode and a fingerprint of its first
/// bytes, not by its name: a file renamed away is read to its end, a <c>copytruncate</c> copy is recognised and
/// not read twice, a truncation is noticed even after the file regrew, and a restart resumes each file at the last
/// acknowledged byte, finding renamed (or compressed) files in the same folders by identity.
/// </summary>
public sealed class FileTailInput : IInput
{
    private readonly FileTailOptions _options;
    private readonly List<TailedFile> _files = [];
    private readonly Lock _lock = new();
    private bool _restored;
    private bool _hadCheckpoint;
    private long _scannedTicks;          // start (UTC ticks) of the last completed scan: every file born before it is in _files
    private long _restoredScannedTicks;  // the same, from the checkpoint restored
    // Fingerprints of contents read and then left behind (a truncated file's old content, a finished file that is
    // gone): an archive of one found after a restart is known content, never a file born while stopped.
    private readonly List<(int Length, ulong Hash)> _retired = [];
    private const int RetiredKept = 64;
    private volatile bool _scanned;

    public FileTailInput(string name, IParser parser, ParseContext context, FileTailOptions options)
    {
        Name = name;
        Parser = parser;
        ParseContext = context;
        _options = options;
    }

    public string Name { get; }
    public IParser Parser { get; }
    public ParseContext ParseContext { get; }
    public FileTailOptions Options => _options;

    /// <summary>Builds the input from its configuration node.</summary>
    public static IInput Create(ConfigNode node, ComponentContext context)
    {
        var name = node.Required("name").AsString();
        var paths = node.Required("paths").AsStringList();
        if (paths.Count == 0) throw node.Error("'paths' needs at least one path or glob");
        var options = new FileTailOptions
        {
            Paths = paths.Select(p => Path.GetFullPath(p, node.BaseDirectory)).ToList(),
            StartAtEnd = (node.Get("start_at") is { } s ? s.AsEnum("beginning", "end") : "end") == "end",
            ScanInterval = node.DurationAt("scan_interval") ?? TimeSpan.FromMilliseconds(250),
            RotateWait = node.DurationAt("rotate_wait") ?? TimeSpan.FromSeconds(5),
            MaxLineBytes = node.Int("max_line_bytes", 256, 64 << 20) ?? LineSplitter.DefaultMaxLineBytes,
        };
        var parserNode = node.Required("parser");
        return new FileTailInput(name, context.ResolveParser(parserNode.AsString(), parserNode), InputConfig.ParseContextOf(node), options);
    }

    // ---------------------------------------------------------------- checkpoint

    public JsonNode? Checkpoint()
    {
        // a fresh tail has no position before its first scan decided where each file starts (start_at: end): an
        // empty list committed now would make the next start read the existing files from their beginning
        if (!_hadCheckpoint && !_scanned) return null;
        var arr = new JsonArray();
        lock (_lock)
        {
            foreach (var f in _files)
            {
                arr.Add(new JsonObject
                {
                    ["path"] = f.Path,
                    ["dev"] = f.Device,
                    ["ino"] = f.Inode,
                    ["fp_len"] = f.FingerprintLength,
                    ["fp"] = f.Fingerprint,
                    ["offset"] = f.Acked,
                    ["gz"] = f.IsGzip,
                    ["end"] = f.Closed ? f.Offset : -1,
                    ["rotated"] = !f.AtGlobPath,
                });
            }
        }
        var retired = new JsonArray();
        lock (_lock) foreach (var (len, fp) in _retired) retired.Add(new JsonObject { ["fp_len"] = len, ["fp"] = fp });
        return new JsonObject { ["files"] = arr, ["scanned"] = Interlocked.Read(ref _scannedTicks), ["retired"] = retired };
    }

    public void Restore(JsonNode? state)
    {
        _restored = true;
        if (state?["files"] is not JsonArray files) return;
        _hadCheckpoint = true;
        _restoredScannedTicks = (long?)state["scanned"] ?? 0;
        lock (_lock)
        {
            if (state["retired"] is JsonArray retired)
                foreach (var r in retired)
                    if (r is not null) _retired.Add(((int)r["fp_len"]!, (ulong)r["fp"]!));
            foreach (var f in files)
            {
                if (f is null) continue;
                var t = new TailedFile(Name, (string)f["path"]!, ParseContext)
                {
                    Device = (ulong)f["dev"]!, Inode = (ulong)f["ino"]!,
                    FingerprintLength = (int)f["fp_len"]!, Fingerprint = (ulong)f["fp"]!,
                    IsGzip = (bool?)f["gz"] ?? false,
                };
                t.Offset = t.Acked = (long)f["offset"]!;
                t.KnownEnd = (long?)f["end"] ?? -1;
                t.AtGlobPath = !((bool?)f["rotated"] ?? false);
                t.Closed = true; // located and opened by the first scan
                _files.Add(t);
            }
        }
    }

    // ---------------------------------------------------------------- run

    public async Task RunAsync(ChannelWriter<RawRecord> output, InputRun run, CancellationToken cancellationToken)
    {
        if (!_restored) Restore(null);
        var reader = new Reader(this, output, run);
        using var wake = new SemaphoreSlim(0, 1);
        using var watchers = Watch(wake, run);
        await reader.LocateRestoredAsync(cancellationToken);
        var firstScan = true;
        var nextScan = DateTime.UtcNow;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (DateTime.UtcNow >= nextScan)
            {
                await reader.ScanAsync(firstScan && !_hadCheckpoint && _options.StartAtEnd, cancellationToken);
                firstScan = false;
                _scanned = true;
                nextScan = DateTime.UtcNow + _options.ScanInterval;
            }
            var any = await reader.ReadAllAsync(cancellationToken);
            if (!run.Follow && !any)
            {
                await reader.FinishAllAsync(cancellationToken);
                return;
            }
            if (!any)
            {
                // inotify wakes us as soon as a file changes; the timeout is the fallback for filesystems without it
                try { await wake.WaitAsync(watchers.Count > 0 ? _options.ReadInterval * 5 : _options.ReadInterval, cancellationToken); }
                catch (OperationCanceledException) { break; }
            }
        }
    }

    // One watcher per folder of the globs; any change there wakes the read loop.
    private WatcherSet Watch(SemaphoreSlim wake, InputRun run)
    {
        var set = new WatcherSet();
        if (!run.Follow) return set;
        foreach (var dir in _options.Paths.Select(p => Path.GetDirectoryName(p.Split('*', '?', '[')[0]) ?? "/").Distinct(StringComparer.Ordinal))
        {
            if (!Directory.Exists(dir)) continue;
            try
            {
                var w = new FileSystemWatcher(dir)
                {
                    IncludeSubdirectories = _options.Paths.Any(p => p.Contains("**", StringComparison.Ordinal)),
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
                };
                FileSystemEventHandler poke = (_, _) => { if (wake.CurrentCount == 0) try { wake.Release(); } catch (SemaphoreFullException) { } };
                w.Changed += poke;
                w.Created += poke;
                w.Deleted += poke;
                w.Renamed += (s, e) => poke(s, e);
                w.EnableRaisingEvents = true;
                set.Add(w);
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
            {
                run.Logger.LogDebug("input {Input}: no change notifications for {Dir} ({Error}); polling", Name, dir, ex.Message);
            }
        }
        return set;
    }

    private sealed class WatcherSet : List<FileSystemWatcher>, IDisposable
    {
        public void Dispose()
        {
            foreach (var w in this) w.Dispose();
        }
    }

    // Remembers a content the input has finished with (called under _lock or before the reader runs).
    private void Retire(int length, ulong hash)
    {
        if (length <= 0 || _retired.Contains((length, hash))) return;
        if (_retired.Count >= RetiredKept) _retired.RemoveAt(0);
        _retired.Add((length, hash));
    }

    /// <summary>Files currently known to the input (for status and tests).</summary>
    public IReadOnlyList<(string Path, long Offset, bool Open)> Files
    {
        get { lock (_lock) return _files.Select(f => (f.Path ?? "", f.Acked, !f.Closed)).ToList(); }
    }

    private sealed class TailedFile(string input, string path, ParseContext context) : SourceCursor(input, path)
    {
        public ulong Device;
        public ulong Inode;
        public int FingerprintLength;
        public ulong Fingerprint;
        public long Offset;               // next byte to read
        public long LastSize = -1;
        public bool IsGzip;
        public bool Closed;
        public bool AtGlobPath = true;    // false once renamed away or replaced at its path
        public long KnownEnd = -1;        // where reading ended when the file was closed
        // Discovery order: restored files in checkpoint order, then files born while stopped (oldest first), then
        // files found since. Rotated files are read in this order: an archive's mtime is when it was compressed, not
        // when its lines were written, so mtimes would put a file's last lines after its successor's first ones.
        public readonly long Seq = Interlocked.Increment(ref s_seq);
        private static long s_seq;
        public DateTime LastGrowth = DateTime.UtcNow;
        public DateTime LastSeen = DateTime.UtcNow;
        public SafeFileHandle? Handle;
        public Stream? GzStream;
        public LineSplitter? Splitter;
        public ParseContext Context = context;
        public bool SameIdentity(FileIdentity id) => id.Device == Device && id.Inode == Inode;
        public override string? Identity => $"{Device}:{Inode}";
    }

    private sealed class Reader(FileTailInput input, ChannelWriter<RawRecord> output, InputRun run)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private readonly List<RawRecord> _batch = [];
        private readonly Metrics.Counter _linesRead = run.Metrics.Counter("gumshoe_input_lines_total", "input", input.Name);
        private readonly Metrics.Counter _bytesRead = run.Metrics.Counter("gumshoe_input_bytes_total", "input", input.Name);
        private FileTailOptions Opt => input._options;

        // Finds each checkpointed file again: at its path, elsewhere in its folder (renamed, compressed), or as the
        // copy left by copytruncate. A file that cannot be found any more is reported and forgotten.
        public async Task LocateRestoredAsync(CancellationToken ct)
        {
            List<TailedFile> restored;
            lock (input._lock) restored = input._files.ToList();
            foreach (var f in restored)
            {
                var found = FindByIdentity(f);
                if (found is { } hit)
                {
                    if (hit.Path != f.Path || hit.Gzip) f.AtGlobPath = false;
                    f.Path = hit.Path;
                    f.IsGzip = hit.Gzip;
                    // an archive is another inode: the original's number is free for the next file and names nothing of ours
                    if (hit.Gzip && FileIdentity.OfPath(hit.Path) is { } archive) { f.Device = archive.Device; f.Inode = archive.Inode; }
                    if (!Open(f)) continue;
                    if (hit.Truncated)
                    {
                        // Same inode but new content: read what the copytruncate copy still holds, then start over.
                        await DrainCopyAsync(f, ct);
                        Restart(f);
                    }
                    continue;
                }
                if (FindCopy(f, exceptInode: null) is { } copy)
                {
                    f.Path = copy.Path;
                    f.IsGzip = copy.Gzip;
                    f.AtGlobPath = false;
                    var id = FileIdentity.OfPath(copy.Path);
                    if (id is { } i) { f.Device = i.Device; f.Inode = i.Inode; }
                    if (Open(f)) continue;
                }
                if (f.KnownEnd < 0 || f.Acked < f.KnownEnd)
                {
                    // a file still being drained at the stop has no known end: whatever it held past this byte, if anything, is lost
                    if (f.KnownEnd < 0)
                        run.Logger.LogWarning("input {Input}: {Path} (inode {Inode}) is gone; it was read up to byte {Offset}, its end was not seen", input.Name, f.Path, f.Inode, f.Acked);
                    else
                        run.Logger.LogWarning("input {Input}: {Path} (inode {Inode}) is gone before it was read to its end (byte {Offset} of {End})", input.Name, f.Path, f.Inode, f.Acked, f.KnownEnd);
                    run.Metrics.Counter("gumshoe_input_errors_total", "input", input.Name, "reason", "file_gone").Add();
                }
                Forget(f);
            }
            AdoptBornWhileDown();
        }

        // A file created at the glob path after the last scan before the checkpoint and rotated away while the engine
        // was down is in no checkpoint and no longer matches the glob: it is found among the rotated siblings (a name
        // that extends a tailed file's name) as a file no entry knows — neither its identity nor, for a copy or an
        // archive of a known file, its leading bytes — last written after that scan. Nothing of it was committed, so
        // it is read from its beginning, before the files at the glob paths.
        private void AdoptBornWhileDown()
        {
            if (input._restoredScannedTicks == 0) return; // a first start, or a checkpoint from before this was recorded
            var since = new DateTime(input._restoredScannedTicks, DateTimeKind.Utc) - TimeSpan.FromSeconds(1);
            List<TailedFile> known;
            lock (input._lock) known = input._files.ToList();
            var globbed = new HashSet<string>(Glob.Expand(Opt.Paths), StringComparer.Ordinal);
            var stems = new HashSet<string>(globbed.Select(Path.GetFileName).OfType<string>(), StringComparer.Ordinal);
            foreach (var k in known) if (Path.GetFileName(k.Path) is { } n && k.AtGlobPath) stems.Add(n);
            List<(int Length, ulong Hash)> retired;
            lock (input._lock) retired = input._retired.ToList();
            var orphans = new List<(string Path, FileIdentity Id, bool Gzip, DateTime Written, int FpLength, ulong Fp)>();
            foreach (var candidate in Neighbours(null).Distinct(StringComparer.Ordinal))
            {
                if (globbed.Contains(candidate)) continue;
                var name = Path.GetFileName(candidate);
                if (!stems.Any(stem => name.Length > stem.Length + 1 && name.StartsWith(stem, StringComparison.Ordinal) && name[stem.Length] is '.' or '-' or '_')) continue;
                if (FileIdentity.OfPath(candidate) is not { IsRegular: true } id) continue;
                var gzip = candidate.EndsWith(".gz", StringComparison.Ordinal);
                // the candidate's leading bytes, read (and for an archive decompressed) once per fingerprint length
                var prints = new Dictionary<int, (int Length, ulong Hash)>();
                (int Length, ulong Hash) Print(int length)
                {
                    if (!prints.TryGetValue(length, out var p)) prints[length] = p = ComputeFingerprint(candidate, gzip, length);
                    return p;
                }
                bool StartsLike(int length, ulong hash) => Print(length) == (length, hash);
                // the same inode number with other leading bytes is a newer file that got a deleted one's number
                if (known.Any(k => k.SameIdentity(id) && (k.FingerprintLength <= 0 || StartsLike(k.FingerprintLength, k.Fingerprint)))) continue;
                DateTime written;
                try { written = File.GetLastWriteTimeUtc(candidate); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { continue; }
                if (written < since) continue;
                if (known.Any(k => k.FingerprintLength > 0 && StartsLike(k.FingerprintLength, k.Fingerprint))) continue; // a copy or archive of a known file
                if (retired.Any(r => StartsLike(r.Length, r.Hash))) continue; // of a content read before
                var (fpLen, fp) = Print(Opt.FingerprintBytes);
                if (fpLen > 0) orphans.Add((candidate, id, gzip, written, fpLen, fp));
            }
            foreach (var (path, id, gzip, written, fpLen, fp) in orphans.OrderBy(o => o.Written))
            {
                var t = new TailedFile(input.Name, path, input.ParseContext)
                {
                    Device = id.Device, Inode = id.Inode, FingerprintLength = fpLen, Fingerprint = fp, IsGzip = gzip, AtGlobPath = false,
                };
                if (!Open(t)) continue;
                lock (input._lock) input._files.Add(t);
                run.Logger.LogInformation("input {Input}: {Path} was created and rotated away while stopped; reading it from the start", input.Name, path);
                run.Metrics.Counter("gumshoe_input_rotations_total", "input", input.Name, "kind", "while_stopped").Add();
            }
        }

        private (string Path, bool Gzip, bool Truncated)? FindByIdentity(TailedFile f)
        {
            // 1. at its last path
            if (f.Path is not null && FileIdentity.OfPath(f.Path) is { } id && f.SameIdentity(id))
            {
                var truncated = id.Size < f.Acked || !FingerprintMatches(f.Path, f, gzip: f.IsGzip);
                // copytruncate empties the live file; a rotated file with other content under its inode number is
                // another file that got the number after ours was deleted (e.g. the copy of the next copytruncate)
                if (!truncated || f.AtGlobPath) return (f.Path, f.IsGzip, truncated);
            }
            // 2. renamed within its folder (or the folders of the globs)
            foreach (var candidate in Neighbours(f))
            {
                if (FileIdentity.OfPath(candidate) is { } cid && f.SameIdentity(cid) && cid.IsRegular && FingerprintMatches(candidate, f, gzip: false))
                    return (candidate, false, false);
            }
            // 3. compressed after the rename: a .gz whose decompressed start has the same fingerprint
            foreach (var candidate in Neighbours(f))
            {
                if (candidate.EndsWith(".gz", StringComparison.Ordinal) && FingerprintMatches(candidate, f, gzip: true))
                    return (candidate, true, false);
            }
            return null;
        }

        // A copy of the file's content under another inode (copytruncate), long enough to hold what was not read; or,
        // when the copy was compressed (and deleted) since, its archive.
        private (string Path, bool Gzip)? FindCopy(TailedFile f, ulong? exceptInode)
        {
            if (f.FingerprintLength <= 0) return null;
            foreach (var candidate in Neighbours(f))
            {
                if (candidate.EndsWith(".gz", StringComparison.Ordinal)) continue;
                if (FileIdentity.OfPath(candidate) is not { IsRegular: true } cid) continue;
                if (cid.Inode == f.Inode || cid.Inode == exceptInode) continue;
                if (cid.Size >= f.Offset && FingerprintMatches(candidate, f, gzip: false)) return (candidate, false);
            }
            foreach (var candidate in Neighbours(f))
            {
                if (!candidate.EndsWith(".gz", StringComparison.Ordinal)) continue;
                if (FingerprintMatches(candidate, f, gzip: true)) return (candidate, true);
            }
            return null;
        }

        private IEnumerable<string> Neighbours(TailedFile? f)
        {
            var dirs = new HashSet<string>(StringComparer.Ordinal);
            if (f?.Path is not null && Path.GetDirectoryName(f.Path) is { } d) dirs.Add(d);
            foreach (var p in Opt.Paths)
            {
                if (Path.GetDirectoryName(p) is { } gd) dirs.Add(gd);
                // a symlinked log: rotated targets live beside the target
                try { if (new FileInfo(p).LinkTarget is { } target && Path.GetDirectoryName(Path.GetFullPath(target, Path.GetDirectoryName(p)!)) is { } td) dirs.Add(td); }
                catch (IOException) { }
            }
            foreach (var dir in dirs)
            {
                string[] entries;
                try { entries = Directory.GetFiles(dir); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { continue; }
                foreach (var e in entries) yield return e;
            }
        }

        private void Forget(TailedFile f)
        {
            lock (input._lock)
            {
                input._files.Remove(f);
                input.Retire(f.FingerprintLength, f.Fingerprint);
            }
        }

        private bool FingerprintMatches(string path, TailedFile f, bool gzip) => FingerprintMatches(path, f.FingerprintLength, f.Fingerprint, gzip);

        private bool FingerprintMatches(string path, int length, ulong hash, bool gzip)
        {
            var (len, fp) = ComputeFingerprint(path, gzip, length);
            return len == length && fp == hash;
        }

        private (int Length, ulong Hash) ComputeFingerprint(string path, bool gzip, int max)
        {
            try
            {
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096);
                using Stream s = gzip ? new GZipStream(fs, CompressionMode.Decompress) : fs;
                var buf = new byte[max];
                var n = 0;
                int r;
                while (n < max && (r = s.Read(buf, n, max - n)) > 0) n += r;
                return (n, Fnv(buf.AsSpan(0, n)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException) { return (-1, 0); }
        }

        private static ulong Fnv(ReadOnlySpan<byte> data)
        {
            var h = 14695981039346656037UL;
            foreach (var b in data) { h ^= b; h *= 1099511628211UL; }
            return h;
        }

        private bool Open(TailedFile f)
        {
            try
            {
                if (f.IsGzip)
                {
                    var fs = new FileStream(f.Path!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    f.GzStream = new GZipStream(fs, CompressionMode.Decompress);
                    // skip what was already read
                    var skip = f.Offset;
                    var buf = new byte[65536];
                    while (skip > 0)
                    {
                        var r = f.GzStream.Read(buf, 0, (int)Math.Min(buf.Length, skip));
                        if (r <= 0) break;
                        skip -= r;
                    }
                    f.AtGlobPath = false;
                }
                else
                {
                    f.Handle = File.OpenHandle(f.Path!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    if (FileIdentity.OfHandle(f.Handle) is { } id)
                    {
                        f.Device = id.Device;
                        f.Inode = id.Inode;
                        f.LastSize = id.Size;
                    }
                }
                f.Splitter = new LineSplitter(Opt.MaxLineBytes);
                f.Closed = false;
                f.LastGrowth = DateTime.UtcNow;
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                run.Logger.LogWarning("input {Input}: cannot open {Path}: {Error}", input.Name, f.Path, ex.Message);
                run.Metrics.Counter("gumshoe_input_errors_total", "input", input.Name, "reason", "open_failed").Add();
                return false;
            }
        }

        private void Close(TailedFile f)
        {
            f.Handle?.Dispose();
            f.Handle = null;
            f.GzStream?.Dispose();
            f.GzStream = null;
            f.Closed = true;
        }

        private void Restart(TailedFile f)
        {
            run.Logger.LogInformation("input {Input}: {Path} was truncated; reading it from the start", input.Name, f.Path);
            run.Metrics.Counter("gumshoe_input_rotations_total", "input", input.Name, "kind", "truncate").Add();
            f.Offset = 0;
            f.Acked = 0;
            f.Splitter?.Reset();
            lock (input._lock) input.Retire(f.FingerprintLength, f.Fingerprint);
            f.FingerprintLength = 0;
            f.Fingerprint = Fnv([]);
            f.LastSize = 0;
        }

        // After a truncation: the lines between our offset and the truncation may survive in a copy.
        private async Task DrainCopyAsync(TailedFile f, CancellationToken ct)
        {
            // an incomplete line held back is re-read from the copy in full
            var start = f.Splitter is { PendingStart: >= 0 } sp ? sp.PendingStart : f.Offset;
            f.Splitter?.Reset();
            f.Offset = start;
            if (FindCopy(f, exceptInode: f.Inode) is not { } found || FileIdentity.OfPath(found.Path) is not { } cid) return;
            var copy = new TailedFile(input.Name, found.Path, f.Context)
            {
                Device = cid.Device, Inode = cid.Inode, FingerprintLength = f.FingerprintLength, Fingerprint = f.Fingerprint,
                Offset = f.Offset, AtGlobPath = false, IsGzip = found.Gzip,
            };
            copy.Acked = f.Offset;
            if (!Open(copy)) return;
            lock (input._lock) input._files.Add(copy);
            run.Metrics.Counter("gumshoe_input_rotations_total", "input", input.Name, "kind", "copytruncate").Add();
            while (await ReadFileAsync(copy, ct)) { }
            await FinishAsync(copy, ct);
        }

        // Expands the globs: new files start at 0 (or at the end on a first start with start_at: end); a path that
        // now names another file means the old one was rotated away; a copy of a known file is not read again.
        public async Task ScanAsync(bool startAtEnd, CancellationToken ct)
        {
            var now = DateTime.UtcNow;
            var started = now.Ticks;
            List<TailedFile> known;
            lock (input._lock) known = input._files.ToList();
            var seen = new HashSet<TailedFile>();
            foreach (var path in Glob.Expand(Opt.Paths))
            {
                FileIdentity? maybe;
                try { maybe = FileIdentity.OfPath(path); }
                catch (Exception) { maybe = null; }
                if (maybe is not { } id) continue;
                if (!id.IsRegular)
                {
                    run.Metrics.Counter("gumshoe_input_errors_total", "input", input.Name, "reason", "not_a_regular_file").Add();
                    continue;
                }
                var match = known.FirstOrDefault(k => k.SameIdentity(id) && !k.IsGzip);
                if (match is { Closed: true } && match.FingerprintLength > 0 && !FingerprintMatches(path, match, gzip: false))
                {
                    // The inode of a deleted file was reused by a new one: the old entry is stale, the file is new.
                    Forget(match);
                    known.Remove(match);
                    match = null;
                }
                if (match is not null)
                {
                    seen.Add(match);
                    match.LastSeen = now;
                    match.AtGlobPath = true;
                    match.Path = path;
                    if (match.Closed && id.Size > match.Offset) Open(match);
                    continue;
                }
                var (fpLen, fp) = ComputeFingerprint(path, gzip: false, Opt.FingerprintBytes);
                if (fpLen < 0) continue;
                // copytruncate's copy (or a hard link / cp of a known file): same leading bytes, another inode
                var original = known.FirstOrDefault(k => k.FingerprintLength > 0 && k.FingerprintLength <= fpLen && PrefixFingerprint(path, k.FingerprintLength) == k.Fingerprint);
                var t = new TailedFile(input.Name, path, input.ParseContext)
                {
                    Device = id.Device, Inode = id.Inode, FingerprintLength = fpLen, Fingerprint = fp,
                };
                if (original is not null)
                {
                    // Known content: skip what the original had already delivered; read only what lies beyond.
                    t.Offset = Math.Min(original.Acked, id.Size);
                    t.AtGlobPath = true;
                }
                else t.Offset = startAtEnd ? id.Size : 0;
                t.Acked = t.Offset;
                if (!Open(t)) continue;
                lock (input._lock) input._files.Add(t);
                seen.Add(t);
                run.Logger.LogInformation("input {Input}: reading {Path} from byte {Offset}", input.Name, path, t.Offset);
            }
            foreach (var k in known)
            {
                if (seen.Contains(k)) continue;
                if (k.AtGlobPath)
                {
                    k.AtGlobPath = false; // renamed away, replaced, or deleted: drain it
                    k.LastGrowth = now;
                    run.Metrics.Counter("gumshoe_input_rotations_total", "input", input.Name, "kind", "rename").Add();
                }
                if (k.Closed && now - k.LastSeen > TimeSpan.FromMinutes(10))
                    Forget(k); // long gone; nothing can match it again
            }
            Interlocked.Exchange(ref input._scannedTicks, started);
            await Task.CompletedTask;
        }

        private ulong PrefixFingerprint(string path, int len)
        {
            var (l, h) = ComputeFingerprint(path, gzip: false, len);
            return l == len ? h : 0;
        }

        /// <summary>Reads every open file once; true when any data was read.</summary>
        public async Task<bool> ReadAllAsync(CancellationToken ct)
        {
            List<TailedFile> open;
            // rotated-away files first, oldest first, each to its end, so their last lines precede the new file's first
            lock (input._lock) open = input._files.Where(f => !f.Closed).OrderBy(f => f.AtGlobPath).ThenBy(f => f.Seq).ToList();
            var any = false;
            foreach (var f in open)
            {
                var got = await ReadFileAsync(f, ct);
                if (got && !f.AtGlobPath) while (await ReadFileAsync(f, ct)) { }
                if (got) any = true;
                else if (!f.AtGlobPath && (!run.Follow || DateTime.UtcNow - f.LastGrowth > Opt.RotateWait)) await FinishAsync(f, ct);
            }
            return any;
        }

        public async Task FinishAllAsync(CancellationToken ct)
        {
            List<TailedFile> open;
            lock (input._lock) open = input._files.Where(f => !f.Closed).ToList();
            foreach (var f in open) await FinishAsync(f, ct);
        }

        // The file will not grow any more: deliver a last line without newline, then close.
        private async Task FinishAsync(TailedFile f, CancellationToken ct)
        {
            if (f.Splitter is { } sp)
            {
                sp.Flush(f.Offset, Deliver(f));
                await PublishAsync(ct);
            }
            f.KnownEnd = f.Offset;
            Close(f);
        }

        private async Task<bool> ReadFileAsync(TailedFile f, CancellationToken ct)
        {
            if (f.GzStream is { } gz)
            {
                var n = gz.Read(_buffer, 0, _buffer.Length);
                if (n <= 0) return false;
                f.Splitter!.Feed(_buffer.AsSpan(0, n), f.Offset, Deliver(f));
                f.Offset += n;
                _bytesRead.Add(n);
                await PublishAsync(ct);
                return true;
            }
            if (f.Handle is null) return false;
            var id = FileIdentity.OfHandle(f.Handle);
            if (id is { } st)
            {
                if (st.Size < f.Offset || (st.Size != f.LastSize && f.FingerprintLength > 0 && !HandleFingerprintMatches(f)))
                {
                    await DrainCopyAsync(f, ct);
                    Restart(f);
                }
                f.LastSize = st.Size;
                if (st.Size <= f.Offset) return false;
            }
            int read;
            try { read = RandomAccess.Read(f.Handle, _buffer, f.Offset); }
            catch (IOException ex)
            {
                run.Logger.LogWarning("input {Input}: read error on {Path}: {Error}", input.Name, f.Path, ex.Message);
                run.Metrics.Counter("gumshoe_input_errors_total", "input", input.Name, "reason", "read_failed").Add();
                return false;
            }
            if (read <= 0) return false;
            if (f.FingerprintLength < Opt.FingerprintBytes && f.Offset < Opt.FingerprintBytes) UpdateFingerprint(f);
            f.Splitter!.Feed(_buffer.AsSpan(0, read), f.Offset, Deliver(f));
            f.Offset += read;
            f.LastGrowth = DateTime.UtcNow;
            _bytesRead.Add(read);
            await PublishAsync(ct);
            return true;
        }

        private bool HandleFingerprintMatches(TailedFile f)
        {
            var buf = new byte[f.FingerprintLength];
            var n = RandomAccess.Read(f.Handle!, buf, 0);
            return n == f.FingerprintLength && Fnv(buf) == f.Fingerprint;
        }

        private void UpdateFingerprint(TailedFile f)
        {
            var buf = new byte[Opt.FingerprintBytes];
            var n = RandomAccess.Read(f.Handle!, buf, 0);
            f.FingerprintLength = n;
            f.Fingerprint = Fnv(buf.AsSpan(0, n));
        }

        private LineSplitter.LineHandler Deliver(TailedFile f) => (text, offset, end, problems) =>
        {
            _linesRead.Add();
            if (problems != LineProblem.None)
                foreach (var reason in LineProblems.Reasons(problems))
                    run.Metrics.Counter("gumshoe_input_problems_total", "input", input.Name, "reason", reason).Add();
            _batch.Add(new RawRecord(text, f, offset, end, DateTimeOffset.UtcNow) { Context = f.Context });
        };

        private async Task PublishAsync(CancellationToken ct)
        {
            foreach (var r in _batch) await output.WriteAsync(r, ct);
            _batch.Clear();
        }
    }
}
