using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Tests.Inputs.Saas.Fakes;
using Xunit.Abstractions;

namespace Gumshoe.Engine.Tests.Inputs.Saas;

/// <summary>Runs alone: it starts and kills real processes on timers and measures a stop deadline.</summary>
[CollectionDefinition(nameof(CollectModeTests), DisableParallelization = true)]
public sealed class CollectModeCollection;

/// <summary>The contract of issue 9 end to end: the real CLI, the example config, the fakes, kill -9 and restarts.</summary>
[Collection(nameof(CollectModeTests))]
public sealed class CollectModeTests(ITestOutputHelper log) : IDisposable
{
    private readonly PollerHarness _h = new();
    private readonly List<string> _output = [];

    public void Dispose() => _h.Dispose();

    /// <summary>Every event of every provider the fake serves, as provider/id.</summary>
    internal static List<string> Wanted() =>
        new[] { "google_workspace", "slack", "okta", "github", "azure_ad", "aws" }
            .SelectMany(p => PollerHarness.Expected(p).Select(e => PollerHarness.Get(e, "event.provider") + "/" + PollerHarness.Get(e, "event.id")))
            .Concat(PollerHarness.AccessLogIds().Select(id => "slack/" + id))
            .Concat(GoogleApplicationsTests.ExpectedIds().Select(id => "google_workspace/" + id))
            .Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task Run_in_collect_mode_survives_kill_9_at_many_moments_and_writes_every_event_once()
    {
        _h.Fake.PageDelay = TimeSpan.FromMilliseconds(150);
        var file = Path.Combine(_h.Directory, "events.jsonl");
        var data = Path.Combine(_h.Directory, "data");
        var checkpoint = Path.Combine(data, "checkpoint.json");
        var want = Wanted();
        var random = new Random(Environment.TickCount);
        var kills = new List<string>();

        // the moments: during start-up, while lines are written past the last checkpoint (in the middle of a poll:
        // pages are held back 150 ms each), just after a checkpoint, and at random times
        Func<Process, Task<string>> pastCheckpoint = async p =>
        {
            var n = random.Next(1, 12);
            return await Until(p, () => Uncommitted(file, checkpoint) >= n, $"{n} lines past the checkpoint");
        };
        var points = new List<Func<Process, Task<string>>>
        {
            async _ => { var ms = random.Next(0, 400); await Task.Delay(ms); return $"start-up + {ms} ms"; },
            pastCheckpoint, pastCheckpoint,
            async p => { var t = File.Exists(checkpoint) ? File.GetLastWriteTimeUtc(checkpoint) : DateTime.MinValue; return await Until(p, () => File.Exists(checkpoint) && File.GetLastWriteTimeUtc(checkpoint) > t, "just after a checkpoint"); },
            pastCheckpoint,
        };
        for (var i = 0; i < 4; i++) points.Add(async _ => { var ms = random.Next(500, 5000); await Task.Delay(ms); return $"after {ms} ms"; });

        foreach (var point in points)
        {
            using var run = Start(file, data);
            var at = await point(run);
            if (run.HasExited) Assert.Fail($"the collector exited by itself ({run.ExitCode}) before the kill {at}; output: {Output()}");
            run.Kill();   // SIGKILL: no final checkpoint, no flush
            await run.WaitForExitAsync();
            // a killed collector may leave lines after its last checkpoint: the restart cuts them off
            kills.Add($"{at}: {Lines(file)} lines, {Uncommitted(file, checkpoint)} uncommitted{(File.Exists(checkpoint) ? "" : ", no checkpoint")}");
        }

        using var last = Start(file, data);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && !(Ids(file).Distinct().Count() >= want.Count && File.Exists(checkpoint))) await Task.Delay(250);
        await Task.Delay(1500);   // anything arriving now would be a duplicate
        var signalled = DateTime.UtcNow;
        var stopped = Stopwatch.StartNew();
        Signal(last, "TERM");
        await last.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var stopTime = stopped.Elapsed;
        Assert.True(stopTime < TimeSpan.FromSeconds(10), $"stopped after {stopTime}");
        Assert.True(last.ExitCode == 0, $"exit code {last.ExitCode} after SIGTERM; output: {Output()}");
        Assert.True(File.Exists(checkpoint), "no checkpoint file after SIGTERM");
        Assert.True(WrittenAt(checkpoint) >= signalled.AddMilliseconds(-50), "the checkpoint was not written at the stop");

        log.WriteLine($"kills: {string.Join(" | ", kills)}; SIGTERM stop took {stopTime.TotalSeconds:0.0} s");
        var got = Ids(file);
        var duplicated = got.GroupBy(x => x).Where(g => g.Count() > 1).Select(g => $"{g.Key}×{g.Count()}").ToList();
        var missing = want.Except(got).ToList();
        var extra = got.Except(want).ToList();
        if (duplicated.Count + missing.Count + extra.Count > 0)
            Assert.Fail($"{got.Count} lines for {want.Count} events: duplicated {string.Join(", ", duplicated.Take(5))}; missing {string.Join(", ", missing.Take(5))}; "
                + $"unexpected {string.Join(", ", extra.Take(5))}; kills: {string.Join(" | ", kills)}; output: {Output()}");
    }

    [Fact]
    public async Task Sigterm_right_after_start_stops_cleanly_with_a_final_checkpoint()
    {
        var file = Path.Combine(_h.Directory, "events.jsonl");
        var data = Path.Combine(_h.Directory, "data");
        var checkpoint = Path.Combine(data, "checkpoint.json");
        using var run = Start(file, data);
        // the first checkpoint is committed before any input starts: signal at once, while the pollers start up
        var at = await Until(run, () => File.Exists(checkpoint), "first checkpoint");
        var signalled = DateTime.UtcNow;
        Signal(run, "TERM");
        await run.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode} after SIGTERM at {at}; output: {Output()}");
        Assert.True(WrittenAt(checkpoint) >= signalled.AddMilliseconds(-50), $"the checkpoint was not written at the stop; output: {Output()}");
    }

    private static DateTime WrittenAt(string checkpoint) =>
        DateTime.Parse((string)JsonNode.Parse(File.ReadAllText(checkpoint))!["written"]!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

    private static async Task<string> Until(Process p, Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (p.HasExited || DateTime.UtcNow > deadline) return what + " (never happened)";
            await Task.Delay(5);
        }
        return what;
    }

    private static void Signal(Process p, string signal) => GumshoeProcess.Signal(p, signal);

    private string Output()
    {
        lock (_output) return string.Join(" | ", _output.TakeLast(10));
    }

    // how many lines the events file holds past the length the last checkpoint counts (written, not yet committed)
    private static int Uncommitted(string file, string checkpoint)
    {
        try
        {
            if (!File.Exists(file) || !File.Exists(checkpoint)) return 0;
            var committed = (long?)JsonNode.Parse(File.ReadAllText(checkpoint))?["outputs"]?["events"] ?? 0;
            var bytes = File.ReadAllBytes(file);
            return committed >= bytes.Length ? 0 : bytes.AsSpan((int)committed).Count((byte)'\n');
        }
        catch (Exception ex) when (ex is IOException or System.Text.Json.JsonException) { return 0; }
    }

    private static int Lines(string file)
    {
        try { return !File.Exists(file) ? 0 : File.ReadAllLines(file).Count(l => l.Length > 0); }
        catch (IOException) { return 0; }
    }

    private static List<string> Ids(string file) =>
        !File.Exists(file) ? [] : File.ReadAllLines(file).Where(l => l.EndsWith('}')).Select(l => JsonNode.Parse(l)!)
            .Select(e => PollerHarness.Get(e, "event.provider") + "/" + PollerHarness.Get(e, "event.id")).ToList();

    private Process Start(string file, string data) =>
        GumshoeProcess.Start(["run", "-c", Path.Combine(SaasPollerTests.RepoRoot(), "examples", "saas-pollers.yml"), "--mode", "collect",
            "--events-out", file, "--data-dir", data, "--metrics-listen", $"127.0.0.1:{Loopback.FreePort()}"], _h.Environment, _output);
}
