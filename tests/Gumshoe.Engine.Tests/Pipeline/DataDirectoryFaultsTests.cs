using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Tests.Inputs;
using Gumshoe.Engine.Tests.Inputs.Saas.Fakes;
using Gumshoe.Engine.Tests.Parsers;
using Gumshoe.Engine.Tests.Storage;

namespace Gumshoe.Engine.Tests.Pipeline;

/// <summary>
/// The data directory on a real filesystem that fills up or refuses writes under a live run (a small tmpfs mounted
/// for the test, made immutable with chattr; the suite runs as root, as CI does): the engine stops consuming input, says so in its log and on
/// <c>/metrics</c>, and once the filesystem works again it goes on — also after a SIGKILL in the bad time — with
/// exactly the alerts of a replay, in the alerts file and in its SQLite store.
/// </summary>
[Collection(nameof(StoredAlertsAcrossKillsTests))]
public sealed class DataDirectoryFaultsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-datadir-").FullName;
    private readonly string _data;
    private readonly List<string> _output = [];
    private readonly string[] _lines = File.ReadAllLines(SharedData.File("logs/OpenSSH_2k.log"));
    private int _port = Loopback.FreePort();
    private readonly List<Process> _started = []; // killed at the end, so a failed test leaves no run behind

    public DataDirectoryFaultsTests()
    {
        _data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(_data);
        // a failure to mount is a failed test, not a skipped one: the behaviour is only shown on a real filesystem
        Run("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", _data);
    }

    public void Dispose()
    {
        foreach (var p in _started)
        {
            try { if (!p.HasExited) p.Kill(); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Run("chattr", "-i", _data); } catch (InvalidOperationException) { }
        try { Run("umount", "-l", _data); } catch (InvalidOperationException) { }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string Log => Path.Combine(_dir, "auth.log");
    private string AlertsOut => Path.Combine(_dir, "alerts.jsonl");

    private string WriteConfig()
    {
        var path = Path.Combine(_dir, "gumshoe.yml");
        File.WriteAllText(path, $$"""
            inputs:
              - name: auth
                type: file
                paths: ["{{Log}}"]
                start_at: beginning
                parser: sshd
            rules:
              - name: ssh-bruteforce
                type: threshold
                when: event.action in ["ssh_auth_failed", "ssh_invalid_user"]
                group_by: [source.ip]
                count: 5
                within: 60s
                then:
                  - alert: {title: "SSH brute force from {source.ip}"}
            storage:
              type: sqlite
            """);
        return path;
    }

    [Fact]
    public async Task A_full_data_directory_holds_the_input_back_and_the_run_goes_on_without_loss_when_space_returns()
    {
        var config = WriteConfig();
        File.WriteAllLines(Log, _lines.Take(700));
        var run = StartRun(config); // disposed by the fixture
        await WaitForAsync(() => Metric("gumshoe_pipeline_events_total") >= 700, "the first lines to be processed");

        var filler = Path.Combine(_data, "filler");
        Fill(filler);
        File.AppendAllLines(Log, _lines.Skip(700).Take(700));
        await WaitForAsync(() => Metric("gumshoe_checkpoint_healthy") == 0, "the checkpoint to be reported unhealthy");
        await WaitForAsync(() => Said("cannot write the checkpoint") || Said("cannot store alerts"), "the log to say why");
        var failures = Metric("gumshoe_checkpoint_failures_total");
        Assert.True(failures >= 1, Story($"failures {failures}"));
        // held back: what was read before the first failed commit stays unacknowledged, and nothing more is read
        var held = Metric("gumshoe_pipeline_events_total");
        File.AppendAllLines(Log, _lines.Skip(1400).Take(300));
        await Task.Delay(2500);
        Assert.True(Metric("gumshoe_pipeline_events_total") == held, Story($"{held} events before, {Metric("gumshoe_pipeline_events_total")} after"));

        File.Delete(filler);
        File.AppendAllLines(Log, _lines.Skip(1700));
        await WaitForAsync(() => Metric("gumshoe_checkpoint_healthy") == 1, "checkpoints to work again");
        await WaitForAsync(() => Said("checkpoints work again"), "the log to say it resumed");
        await FinishAndCompareAsync(run, config);
    }

    [Fact]
    public async Task A_data_directory_that_refuses_writes_holds_the_input_back_and_a_kill_meanwhile_loses_and_repeats_nothing()
    {
        var config = WriteConfig();
        File.WriteAllLines(Log, _lines.Take(700));
        var run = StartRun(config);
        await WaitForAsync(() => Metric("gumshoe_pipeline_events_total") >= 700, "the first lines to be processed");

        // immutable: no file can be created or renamed there (the checkpoint is a new file renamed into place), as on a
        // filesystem remounted read-only; a plain read-only remount is refused while SQLite holds its files open
        Run("chattr", "+i", _data);
        File.AppendAllLines(Log, _lines.Skip(700).Take(700));
        await WaitForAsync(() => Metric("gumshoe_checkpoint_healthy") == 0, "the checkpoint to be reported unhealthy");
        await WaitForAsync(() => Said("cannot write the checkpoint") || Said("cannot store alerts"), "the log to say why");
        run.Kill(); // SIGKILL while nothing can be committed
        await run.WaitForExitAsync();
        run.Dispose();

        Run("chattr", "-i", _data);
        File.AppendAllLines(Log, _lines.Skip(1400));
        var again = StartRun(config); // disposed by the fixture
        await FinishAndCompareAsync(again, config);
    }

    // waits for every alert of a replay of the whole log, stops with SIGTERM, and compares the file and the store
    private async Task FinishAndCompareAsync(Process run, string config)
    {
        var replayFile = Path.Combine(_dir, "replay.jsonl");
        Cli("replay", "-c", config, Log, "--alerts-out", replayFile);
        var expected = AlertIds(replayFile);
        Assert.True(expected.Count > 10, $"only {expected.Count} alerts in the replay");
        await WaitForAsync(() => AlertIds(AlertsOut).Count >= expected.Count, $"{expected.Count} alerts", seconds: 60);
        await Task.Delay(1000); // whatever arrives now would be a duplicate
        Assert.Equal(0, await GumshoeProcess.StopAsync(run));
        Assert.Equal(expected, AlertIds(AlertsOut));
        var stored = Cli("alerts", "export", "-c", config, "--data-dir", _data).Split('\n').Where(l => l.StartsWith('{'))
            .Select(l => (string)JsonNode.Parse(l)!["id"]!).Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(stored), Story($"the store holds {stored.Count} alerts, the replay {expected.Count}"));
    }

    // A run that listens for /metrics itself: the port picked may have been taken meanwhile by a parallel test (a
    // restart is safe). Only the engine's own "metrics on" line proves it: another test's engine answering on the same
    // port would be watched instead, its counters never moving (seen once in CI).
    private Process StartRun(string config)
    {
        for (var attempt = 0; ; attempt++)
        {
            int from;
            lock (_output) from = _output.Count; // what an earlier run of the test said does not count
            var p = GumshoeProcess.Start(
                ["run", "-v", "-c", config, "--alerts-out", AlertsOut, "--data-dir", _data, "--metrics-listen", $"127.0.0.1:{_port}"],
                new Dictionary<string, string>(), _output);
            _started.Add(p);
            var listening = $"metrics on http://127.0.0.1:{_port}/metrics";
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < TimeSpan.FromSeconds(30) && !p.HasExited && !SaidSince(from, "cannot listen on") && !SaidSince(from, listening)) Thread.Sleep(50);
            if (SaidSince(from, listening)) return p;
            Assert.True(SaidSince(from, "cannot listen on") && attempt < 3, Story(p.HasExited ? $"the run exited ({p.ExitCode}) before listening" : "the run did not listen within 30 s"));
            p.Kill();
            p.WaitForExit();
            p.Dispose();
            lock (_output) _output.Clear();
            _port = Loopback.FreePort();
        }
    }

    // writes until the filesystem refuses even a single byte (ENOSPC)
    private static void Fill(string path)
    {
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, bufferSize: 1);
        foreach (var size in new[] { 64 * 1024, 4096, 1 })
        {
            var block = new byte[size];
            try
            {
                while (true) f.Write(block);
            }
            catch (IOException) { }
        }
    }

    private double Metric(string name)
    {
        foreach (var line in MetricsText().Split('\n'))
            if (line.StartsWith(name + " ", StringComparison.Ordinal) || line.StartsWith(name + "{", StringComparison.Ordinal))
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        return double.NaN;
    }

    private string MetricsText()
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            return http.GetStringAsync($"http://127.0.0.1:{_port}/metrics").GetAwaiter().GetResult();
        }
        catch (HttpRequestException ex) { return ex.Message; }
        catch (TaskCanceledException) { return "(timed out)"; }
    }

    private bool Said(string text) => SaidSince(0, text);

    private bool SaidSince(int from, string text)
    {
        lock (_output) return _output.Skip(from).Any(l => l.Contains(text, StringComparison.Ordinal));
    }

    private async Task WaitForAsync(Func<bool> condition, string what, int seconds = 30)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if (condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail(Story($"waited {seconds} s for {what}; /metrics said:\n{MetricsText()}"));
    }

    private string Story(string message)
    {
        lock (_output) return message + "\n" + string.Join("\n", _output.TakeLast(40));
    }

    private static List<string> AlertIds(string file) =>
        !File.Exists(file) ? [] : [.. File.ReadAllLines(file).Where(l => l.StartsWith('{')).Select(l => (string)JsonNode.Parse(l)!["id"]!).Order(StringComparer.Ordinal)];

    private string Cli(params string[] args)
    {
        var output = new List<string>();
        using var p = GumshoeProcess.Start(args, new Dictionary<string, string>(), output);
        p.WaitForExit();
        lock (output) Assert.True(p.ExitCode == 0, $"gumshoe {string.Join(' ', args)} exited {p.ExitCode}: {string.Join("\n", output)}");
        lock (output) return string.Join("\n", output);
    }

    private static void Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {err}");
    }
}
