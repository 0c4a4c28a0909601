using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Gumshoe.LogGen;

namespace Gumshoe.Soak;

/// <summary>
/// The crash, rotation and restart soak: a writer appends a generated sshd log at a steady rate and rotates it
/// the ways real systems do, while the engine is killed with SIGKILL at random moments and restarted. At the end
/// the alerts file is compared with a replay of every line written. Exit 1 on any lost or duplicated alert.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var o = SoakOptions.Parse(args);
        if (o.LatencySeconds > 0) return LatencyProbe.Run(o);
        Directory.CreateDirectory(o.Work);
        o.Journal = new StreamWriter(Path.Combine(o.Work, "engine.log")) { AutoFlush = true };
        var logs = Path.Combine(o.Work, "logs");
        if (Directory.Exists(logs)) Directory.Delete(logs, true);
        Directory.CreateDirectory(logs);
        var data = Path.Combine(o.Work, "data");
        if (Directory.Exists(data)) Directory.Delete(data, true);
        var alerts = Path.Combine(o.Work, "alerts.jsonl");
        File.Delete(alerts);
        var all = Path.Combine(o.Work, "all.log");

        var writer = new RotatingWriter(logs, all, o);
        var engine = new Engine(o, Path.Combine(logs, "auth.log"), alerts, data);
        var rng = new Random(o.Seed);
        // the launcher builds the engine when its sources changed: done here, or a kill would land in the build
        engine.Build();
        var sw = Stopwatch.StartNew();
        engine.Start();
        // lines written before the engine's very first start are not its business: start the clock once it reads
        writer.WriteBatch(10);
        if (!engine.WaitForFirstCheckpoint(TimeSpan.FromSeconds(120)))
        {
            Console.Error.WriteLine($"soak: the engine wrote no checkpoint in 120 s after its first start (see {Path.Combine(o.Work, "engine.log")})");
            engine.Stop();
            return 1;
        }
        var killsDone = 0;
        var lineTarget = o.Lines;
        var killEvery = lineTarget / (o.Kills + 1);
        var nextKill = killEvery / 2 + rng.NextInt64(Math.Max(1, killEvery / 2));
        while (writer.Written < lineTarget)
        {
            writer.WriteBatch(Math.Min(lineTarget - writer.Written, Math.Max(1, o.Rate / 100)));
            if (writer.Written >= nextKill && killsDone < o.Kills)
            {
                // sometimes kill right after a rotation, sometimes mid-stream; a checkpoint may be in flight
                if (rng.Next(3) == 0) writer.Rotate();
                engine.Kill();
                killsDone++;
                Thread.Sleep(rng.Next(0, 400));
                engine.Start();
                nextKill += killEvery;
            }
            Thread.Sleep(10);
        }
        writer.Close();
        Console.Error.WriteLine($"soak: wrote {writer.Written} lines with {writer.Rotations} rotations ({string.Join(", ", writer.RotationKinds.Select(kv => $"{kv.Key} {kv.Value}"))}) and {killsDone} kills in {sw.Elapsed.TotalSeconds:F0}s; waiting for the engine to catch up");
        // what the rule's replay of every line gives
        var expectedPath = Path.Combine(o.Work, "expected.jsonl");
        var replay = Process.Start(new ProcessStartInfo(o.Gumshoe, ["replay", "-c", o.Config, all, "--alerts-out", expectedPath]) { RedirectStandardError = true })!;
        replay.StandardError.ReadToEnd();
        replay.WaitForExit();
        var expected = Keys(expectedPath);
        // the engine has caught up once it wrote as many alerts as the replay (or the settle time ran out);
        // a little longer shows any extra ones
        engine.WaitForAlerts(alerts, expected.Values.Sum(), TimeSpan.FromSeconds(o.SettleSeconds));
        Thread.Sleep(2000);
        var stopTime = engine.Stop();
        var got = Keys(alerts);
        var lost = expected.Keys.Sum(k => Math.Max(0, expected[k] - got.GetValueOrDefault(k)));
        var dup = got.Keys.Sum(k => Math.Max(0, got[k] - expected.GetValueOrDefault(k)));
        var rec = engine.Recoveries;
        var summary = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"soak: lines={writer.Written} rotations={writer.Rotations} kills={killsDone} ")
            .Append(CultureInfo.InvariantCulture, $"alerts expected={expected.Values.Sum()} got={got.Values.Sum()} lost={lost} duplicated={dup} ")
            .Append(CultureInfo.InvariantCulture, $"recovery_ms p50={Pct(rec, 0.5):F0} max={(rec.Count > 0 ? rec.Max() : 0):F0} sigterm_stop_ms={stopTime:F0}");
        Console.WriteLine(summary);
        if (lost > 0 || dup > 0)
        {
            foreach (var k in expected.Keys.Where(k => got.GetValueOrDefault(k) < expected[k]).Take(5)) Console.WriteLine("lost: " + k);
            foreach (var k in got.Keys.Where(k => got[k] > expected.GetValueOrDefault(k)).Take(5)) Console.WriteLine("extra: " + k);
            return 1;
        }
        return expected.Count == 0 ? 1 : 0;
    }

    private static double Pct(List<double> xs, double p)
    {
        if (xs.Count == 0) return 0;
        var s = xs.Order().ToList();
        return s[(int)Math.Min(s.Count - 1, Math.Floor(p * s.Count))];
    }

    // alerts compared by what they say, not where the lines were (file names differ between live and replay)
    private static Dictionary<string, int> Keys(string path)
    {
        var d = new Dictionary<string, int>();
        if (!File.Exists(path)) return d;
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            var key = $"{r.GetProperty("rule").GetString()} {r.GetProperty("group").GetRawText()} {r.GetProperty("first_seen").GetString()} {r.GetProperty("last_seen").GetString()} {r.GetProperty("count").GetInt32()}";
            d[key] = d.GetValueOrDefault(key) + 1;
        }
        return d;
    }
}

/// <summary>Soak settings: the short CI setting by default.</summary>
public sealed record SoakOptions
{
    public long Lines { get; init; } = 30_000;
    public int Kills { get; init; } = 4;
    public int Rate { get; init; } = 5_000;
    public int Seed { get; init; } = 7;
    public int SettleSeconds { get; init; } = 90;
    /// <summary>When set, measures line-to-alert latency for this many seconds instead of soaking.</summary>
    public int LatencySeconds { get; init; }
    public string Gumshoe { get; init; } = Path.GetFullPath("gumshoe");
    public string Config { get; init; } = Path.GetFullPath("examples/ssh-bruteforce.yml");
    public string Work { get; init; } = Path.Combine(Path.GetTempPath(), "gumshoe-soak");
    /// <summary>engine.log in the work folder: each engine start's log, the kills and the rotations, in order.</summary>
    public StreamWriter Journal { get; set; } = StreamWriter.Null;

    public static SoakOptions Parse(string[] args)
    {
        var o = new SoakOptions();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            o = args[i] switch
            {
                "--lines" => o with { Lines = long.Parse(v, CultureInfo.InvariantCulture) },
                "--kills" => o with { Kills = int.Parse(v, CultureInfo.InvariantCulture) },
                "--rate" => o with { Rate = int.Parse(v, CultureInfo.InvariantCulture) },
                "--seed" => o with { Seed = int.Parse(v, CultureInfo.InvariantCulture) },
                "--gumshoe" => o with { Gumshoe = Path.GetFullPath(v) },
                "--config" => o with { Config = Path.GetFullPath(v) },
                "--work" => o with { Work = Path.GetFullPath(v) },
                "--latency" => o with { LatencySeconds = int.Parse(v, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]} (--lines --kills --rate --seed --gumshoe --config --work --latency SECONDS)"),
            };
        }
        return o;
    }
}

/// <summary>Appends generated lines to logs/auth.log (and every line to all.log) and rotates it four ways.</summary>
public sealed class RotatingWriter
{
    private readonly string _dir;
    private readonly string _path;
    private readonly FileStream _all;
    private readonly SshdLogGenerator _gen;
    private readonly SoakOptions _o;
    private FileStream _current;
    private bool _symlinked;
    private int _generation;
    private long _sinceRotation;

    public RotatingWriter(string dir, string allPath, SoakOptions o)
    {
        _dir = dir;
        _o = o;
        _path = Path.Combine(dir, "auth.log");
        _all = new FileStream(allPath, FileMode.Create, FileAccess.Write, FileShare.Read);
        // event times end near now, so year-less stamps resolve to this year live and in the replay
        _gen = new SshdLogGenerator((ulong)o.Seed, DateTime.UtcNow.AddSeconds(-o.Lines * 0.25 - 600)) { SecondsPerLine = 0.2 };
        _current = OpenAppend(_path);
    }

    public long Written { get; private set; }
    public int Rotations { get; private set; }
    public Dictionary<string, int> RotationKinds { get; } = [];

    private static FileStream OpenAppend(string path) => new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);

    public void WriteBatch(long n)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < n; i++) sb.Append(_gen.NextLine()).Append('\n');
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        _current.Write(bytes);
        _current.Flush();
        _all.Write(bytes);
        Written += n;
        _sinceRotation += n;
        if (_sinceRotation >= _o.Lines / 10) Rotate();
    }

    public void Rotate()
    {
        _sinceRotation = 0;
        Rotations++;
        var kind = (Rotations % 4) switch
        {
            1 => "rename",
            2 => "copytruncate",
            3 => "symlink",
            _ => "rename",
        };
        RotationKinds[kind] = RotationKinds.GetValueOrDefault(kind) + 1;
        lock (_o.Journal) _o.Journal.WriteLine($"--- rotate {kind} after line {Written} {DateTime.UtcNow:O}");
        switch (kind)
        {
            case "rename":
                ShiftOld();
                File.Move(_path, _path + ".1");
                // the daemon writes a little more to the renamed file before it reopens
                var late = new StringBuilder();
                for (var i = 0; i < 5; i++) late.Append(_gen.NextLine()).Append('\n');
                var bytes = Encoding.UTF8.GetBytes(late.ToString());
                _current.Write(bytes);
                _current.Flush();
                _all.Write(bytes);
                Written += 5;
                _current.Dispose();
                if (_symlinked)
                {
                    // the moved symlink still points at the old target; the new log is a plain file again
                    _symlinked = false;
                }
                _current = OpenAppend(_path);
                break;
            case "copytruncate":
                if (_symlinked) goto case "rename";
                ShiftOld();
                File.Copy(_path, _path + ".1");
                _current.SetLength(0);
                _current.Position = 0;
                break;
            case "symlink":
                var target = Path.Combine(_dir, $"auth-{++_generation}.log");
                _current.Dispose();
                _current = OpenAppend(target);
                var tmp = _path + ".tmp";
                File.CreateSymbolicLink(tmp, target);
                if (!_symlinked) ShiftOld(moveCurrentTo1: true);
                File.Move(tmp, _path, overwrite: true);
                _symlinked = true;
                break;
        }
    }

    // auth.log.4.gz is dropped, .N.gz → .N+1.gz, .1 → .2.gz (delaycompress)
    private void ShiftOld(bool moveCurrentTo1 = false)
    {
        File.Delete(_path + ".6.gz");
        for (var n = 5; n >= 2; n--)
            if (File.Exists($"{_path}.{n}.gz")) File.Move($"{_path}.{n}.gz", $"{_path}.{n + 1}.gz");
        if (File.Exists(_path + ".1"))
        {
            var src = _path + ".1";
            var real = new FileInfo(src).LinkTarget is { } t ? Path.GetFullPath(t, _dir) : src;
            using (var input = File.OpenRead(real))
            using (var gz = new GZipStream(File.Create(_path + ".2.gz"), CompressionLevel.Fastest))
                input.CopyTo(gz);
            File.Delete(src);
            if (real != src) File.Delete(real);
        }
        if (moveCurrentTo1) File.Move(_path, _path + ".1");
    }

    public void Close()
    {
        _current.Dispose();
        _all.Dispose();
    }
}

/// <summary>The engine under test: started through the launcher, killed with SIGKILL, stopped with SIGTERM.</summary>
public sealed class Engine(SoakOptions o, string input, string alerts, string data)
{
    private Process? _p;
    private readonly int _metricsPort = FreePort();
    public List<double> Recoveries { get; } = [];
    private string Checkpoint => Path.Combine(data, "checkpoint.json");

    public void Start()
    {
        var before = File.Exists(Checkpoint) ? File.GetLastWriteTimeUtc(Checkpoint) : DateTime.MinValue;
        var psi = new ProcessStartInfo(o.Gumshoe, ["run", "-v", "-c", o.Config, "--alerts-out", alerts, "--data-dir", data, "--metrics-listen", $"127.0.0.1:{_metricsPort}"])
        {
            RedirectStandardError = true, RedirectStandardOutput = true,
        };
        psi.Environment["GUMSHOE_INPUT"] = input;
        // for diagnosis: every event the engine parsed, to compare with all.log
        if (Environment.GetEnvironmentVariable("GUMSHOE_SOAK_EVENTS") == "1")
        {
            psi.ArgumentList.Add("--events-out");
            psi.ArgumentList.Add(Path.Combine(Path.GetDirectoryName(alerts)!, "events.jsonl"));
        }
        var sw = Stopwatch.StartNew();
        _p = Process.Start(psi)!;
        var log = o.Journal;
        lock (log) log.WriteLine($"--- start {DateTime.UtcNow:O}");
        _p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (log) log.WriteLine(e.Data); // the whole story of each start, for diagnosis
            if (e.Data.Contains("fail", StringComparison.OrdinalIgnoreCase)) Console.Error.WriteLine("engine: " + e.Data);
        };
        _p.BeginErrorReadLine();
        _p.BeginOutputReadLine();
        if (before == DateTime.MinValue) return; // the first start has nothing to recover
        // recovered = the first checkpoint after the restart is committed (measured while the writer goes on)
        var p = _p;
        _ = Task.Run(() =>
        {
            while (sw.Elapsed < TimeSpan.FromSeconds(30) && !p.HasExited)
            {
                if (File.GetLastWriteTimeUtc(Checkpoint) > before)
                {
                    lock (Recoveries) Recoveries.Add(sw.Elapsed.TotalMilliseconds);
                    return;
                }
                Thread.Sleep(5);
            }
        });
    }

    public void Kill()
    {
        _p?.Kill(entireProcessTree: false); // SIGKILL
        _p?.WaitForExit();
        lock (o.Journal) o.Journal.WriteLine($"--- SIGKILL {DateTime.UtcNow:O}");
    }

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Waits until the engine committed its first checkpoint.</summary>
    /// <summary>Whether the engine wrote its first checkpoint (it reads the log) in time.</summary>
    public bool WaitForFirstCheckpoint(TimeSpan max)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < max && !File.Exists(Checkpoint)) Thread.Sleep(20);
        return File.Exists(Checkpoint);
    }

    /// <summary>Has the launcher bring its build up to date (<c>gumshoe version</c>), untimed.</summary>
    public void Build()
    {
        using var p = Process.Start(new ProcessStartInfo(o.Gumshoe, ["version"]) { RedirectStandardOutput = true })!;
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"'{o.Gumshoe} version' failed with exit code {p.ExitCode}");
    }

    /// <summary>Waits until the alerts file holds at least <paramref name="count"/> lines, or the time runs out.</summary>
    public void WaitForAlerts(string alertsPath, int count, TimeSpan max)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < max)
        {
            if (File.Exists(alertsPath) && File.ReadLines(alertsPath).Count(l => l.Length > 0) >= count) return;
            Thread.Sleep(200);
        }
    }

    /// <summary>SIGTERM, and the milliseconds until the process exited.</summary>
    public double Stop()
    {
        if (_p is null) return 0;
        var sw = Stopwatch.StartNew();
        Process.Start("kill", ["-TERM", _p.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        if (!_p.WaitForExit(10_000)) { _p.Kill(); return -1; }
        return sw.Elapsed.TotalMilliseconds;
    }
}
