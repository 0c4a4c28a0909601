using System.Diagnostics;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Tests.Inputs.Saas.Fakes;

namespace Gumshoe.Engine.Tests.Inputs.Saas;

/// <summary>The contract of issue 9 end to end: the real CLI, the example config, the fakes, kill -9 and restarts.</summary>
/// <summary>Runs alone: it starts and kills real processes on timers, which other test classes running in parallel
/// disturbed (seen in CI: a restart re-read everything once, as if no checkpoint had been committed).</summary>
[CollectionDefinition(nameof(CollectModeTests), DisableParallelization = true)]
public sealed class CollectModeCollection;

[Collection(nameof(CollectModeTests))]
public sealed class CollectModeTests : IDisposable
{
    private readonly PollerHarness _h = new();
    private readonly List<string> _output = [];

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task Run_in_collect_mode_survives_kill_9_and_writes_every_event_once()
    {
        _h.Fake.PageDelay = TimeSpan.FromMilliseconds(40);
        var file = Path.Combine(_h.Directory, "events.jsonl");
        var data = Path.Combine(_h.Directory, "data");
        var want = new[] { "google_workspace", "slack", "okta", "github", "azure_ad", "aws" }
            .SelectMany(p => PollerHarness.Expected(p).Select(e => PollerHarness.Get(e, "event.provider") + "/" + PollerHarness.Get(e, "event.id")))
            .Concat(PollerHarness.AccessLogIds().Select(id => "slack/" + id)).Order(StringComparer.Ordinal).ToList();

        foreach (var killAt in new[] { 1.5, 3.0 })
        {
            using var run = Start(file, data);
            await Task.Delay(TimeSpan.FromSeconds(killAt));
            run.Kill();   // SIGKILL: no checkpoint, no flush
            await run.WaitForExitAsync();
        }
        using var last = Start(file, data);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        List<string> got = [];
        while (DateTime.UtcNow < deadline)
        {
            got = Ids(file);
            if (got.Count >= want.Count) break;
            await Task.Delay(500);
        }
        await Task.Delay(1500);   // anything arriving now would be a duplicate
        var stopped = Stopwatch.StartNew();
        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", last.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })) await kill!.WaitForExitAsync();
        await last.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(10));

        got = Ids(file);
        if (got.Count != want.Count) Assert.Fail($"{got.Count} of {want.Count} events; output: {string.Join(" | ", _output.Take(8))}");
        Assert.Equal(want, got.Order(StringComparer.Ordinal));
    }

    private static List<string> Ids(string file) =>
        !File.Exists(file) ? [] : File.ReadAllLines(file).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!)
            .Select(e => PollerHarness.Get(e, "event.provider") + "/" + PollerHarness.Get(e, "event.id")).ToList();

    private Process Start(string file, string data)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "gumshoe.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { cli, "run", "-c", Path.Combine(SaasPollerTests.RepoRoot(), "examples", "saas-pollers.yml"), "--mode", "collect",
                     "--events-out", file, "--data-dir", data, "--metrics-listen", $"127.0.0.1:{Loopback.FreePort()}" })
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in _h.Environment) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, a) => { if (a.Data is not null) lock (_output) _output.Add(a.Data); };
        p.ErrorDataReceived += (_, a) => { if (a.Data is not null) lock (_output) _output.Add(a.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }
}
