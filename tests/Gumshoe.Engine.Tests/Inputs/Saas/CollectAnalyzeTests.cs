using System.Diagnostics;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Tests.Inputs.Saas.Fakes;
using Xunit.Abstractions;

namespace Gumshoe.Engine.Tests.Inputs.Saas;

/// <summary>
/// The file-based pair without a cluster: <c>run --mode collect --events-out FILE</c> polls the fakes, <c>run --mode
/// analyze --events-in FILE</c> tails that file and runs the rules; the alerts equal those of <c>run --mode all</c>.
/// </summary>
[Collection(nameof(CollectModeTests))]
public sealed class CollectAnalyzeTests(ITestOutputHelper log) : IDisposable
{
    private readonly PollerHarness _h = new();
    private readonly List<string> _output = [];

    public void Dispose() => _h.Dispose();

    // rules that read the typed fields (an IP address compared as one, distinct addresses, per-input event order);
    // groups stay within one provider and lateness is generous, so the alerts do not depend on how the pollers'
    // events interleave in time
    private const string Rules = """

        rules:
          - name: failures-per-provider
            type: threshold
            when: event.outcome == "failure"
            group_by: [event.provider]
            count: 2
            within: 30d
            allowed_lateness: 30d
            then:
              - alert: {title: "{count} failed logins at {event.provider}"}
          - name: addresses-per-user
            type: distinct_count
            when: event.outcome == "success"
            group_by: [event.provider, user.email]
            field: source.ip
            count: 2
            within: 30d
            allowed_lateness: 30d
            then:
              - alert: {title: "{user.email} from {count} addresses"}
          - name: documentation-network
            type: threshold
            when: source.ip in cidr("203.0.113.0/24", "198.51.100.0/24")
            group_by: [event.provider, event.id]
            count: 1
            within: 1s
            allowed_lateness: 30d
            then:
              - alert: {title: "login from a documentation network: {source.ip}"}
        """;

    [Fact]
    public async Task Analyze_reading_a_collectors_file_raises_the_same_alerts_as_an_all_in_one_run()
    {
        _h.Fake.PageDelay = TimeSpan.FromMilliseconds(100);
        var config = Path.Combine(_h.Directory, "pair.yml");
        File.WriteAllText(config, _h.ConfigYaml() + Rules);
        var want = new[] { "google_workspace", "slack", "okta", "github", "azure_ad", "aws" }
            .Sum(p => PollerHarness.Expected(p).Count) + PollerHarness.AccessLogIds().Count;

        // all in one
        var allEvents = Path.Combine(_h.Directory, "all-events.jsonl");
        var allAlerts = Path.Combine(_h.Directory, "all-alerts.jsonl");
        var all = Run("run", "-c", config, "--events-out", allEvents, "--alerts-out", allAlerts, "--data-dir", Path.Combine(_h.Directory, "all"));
        await UntilAsync(() => Lines(allEvents) >= want, all, "the all-in-one run's events");
        await Task.Delay(1500);
        Assert.Equal(0, await GumshoeProcess.StopAsync(all));

        // the pair, running side by side; the collector is killed once mid-way and restarted
        var file = Path.Combine(_h.Directory, "collected.jsonl");
        var pairAlerts = Path.Combine(_h.Directory, "pair-alerts.jsonl");
        string[] collectArgs = ["run", "-c", config, "--mode", "collect", "--events-out", file, "--data-dir", Path.Combine(_h.Directory, "collect")];
        var analyze = Run("run", "-c", config, "--mode", "analyze", "--events-in", file, "--alerts-out", pairAlerts, "--data-dir", Path.Combine(_h.Directory, "analyze"));
        var collect = Run(collectArgs);
        await UntilAsync(() => Lines(file) >= 10, collect, "the collector's first events");
        collect.Kill();
        await collect.WaitForExitAsync();
        collect = Run(collectArgs);
        await UntilAsync(() => Ids(file).Distinct().Count() >= want, collect, "the collector's events");
        Assert.Equal(want, Ids(file).Count);   // once each, though the collector was killed
        var expected = Alerts(allAlerts);
        await UntilAsync(() => Alerts(pairAlerts).Count >= expected.Count, analyze, "the analyser's alerts");
        await Task.Delay(1500);   // an extra alert would arrive now
        Assert.Equal(0, await GumshoeProcess.StopAsync(collect));
        Assert.Equal(0, await GumshoeProcess.StopAsync(analyze));

        var got = Alerts(pairAlerts);
        log.WriteLine($"{expected.Count} alerts: {string.Join(" | ", expected)}");
        Assert.True(expected.Count >= 5, "the rules should fire on the sample events");
        Assert.Contains(expected, a => a.StartsWith("documentation-network", StringComparison.Ordinal));
        Assert.Equal(expected, got);
    }

    private Process Run(params string[] args) =>
        GumshoeProcess.Start([.. args, "--metrics-listen", $"127.0.0.1:{Loopback.FreePort()}"], _h.Environment, _output);

    private async Task UntilAsync(Func<bool> condition, Process p, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!condition())
        {
            if (p.HasExited || DateTime.UtcNow > deadline)
            {
                string tail;
                lock (_output) tail = string.Join(" | ", _output.TakeLast(10));
                Assert.Fail($"waiting for {what}: {(p.HasExited ? $"exited {p.ExitCode}" : "timed out")}; output: {tail}");
            }
            await Task.Delay(100);
        }
    }

    private static int Lines(string file) => Ids(file).Count;

    private static List<string> Ids(string file) =>
        !File.Exists(file) ? [] : ReadShared(file).Where(l => l.EndsWith('}')).Select(l => JsonNode.Parse(l)!)
            .Select(e => PollerHarness.Get(e, "event.provider") + "/" + PollerHarness.Get(e, "event.id")).ToList();

    // what identifies an alert regardless of when it was raised: rule, group, count and the event times it spans
    private static List<string> Alerts(string file) =>
        !File.Exists(file) ? [] : ReadShared(file).Where(l => l.EndsWith('}')).Select(l => JsonNode.Parse(l)!)
            .Select(a => $"{a["rule"]} {a["group"]!.ToJsonString()} count={a["count"]} {a["first_seen"]}..{a["last_seen"]}")
            .Order(StringComparer.Ordinal).ToList();

    private static string[] ReadShared(string file)
    {
        using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(fs);
        return reader.ReadToEnd().Split('\n');
    }
}
