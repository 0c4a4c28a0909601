using Gumshoe.Engine.Config;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Outputs;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Tests.Parsers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Rules;

/// <summary>The same log replayed and tailed live (with a restart in the middle) gives the same alerts, and each
/// alert's exec action runs exactly once.</summary>
public sealed class ReplayEqualsLiveTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-rel-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Config(string logPath) => RuleKit.WriteConfig($$"""
        inputs:
          - name: auth
            type: file
            paths: ["{{logPath}}"]
            start_at: beginning
            parser: sshd
        rules:
          - name: bruteforce
            type: threshold
            when: event.outcome == "failure" and event.action in ["ssh_auth_failed", "ssh_invalid_user"]
            group_by: [source.ip]
            count: 5
            within: 60s
            then:
              - exec:
                  # still running when the first run stops: a clean stop lets it finish and records it done
                  argv: ["/bin/sh", "-c", "printf '%s\\n' \"$GUMSHOE_ACTION_KEY\" >> \"$OUT\"; sleep 0.5", "sh"]
                  env: {OUT: "{{_dir}}/runs.txt"}
          - name: spraying
            type: distinct_count
            when: event.outcome == "failure"
            group_by: [source.ip/24]
            field: user.name
            count: 3
            within: 10m
          - name: failures-then-disconnect
            type: sequence
            group_by: [source.ip]
            within: 5m
            steps:
              - when: event.outcome == "failure"
                count: 3
                within: 2m
              - when: event.action == "ssh_preauth_disconnect"
          - name: root-attempts
            when: user.name == "root"
            group_by: [source.ip]
            suppress: 10m
        """);

    [Fact]
    public async Task ATailedLogWithARestartMidWindowGivesTheReplayedAlertsAndRunsEachActionOnce()
    {
        var lines = File.ReadAllLines(SharedData.File("logs/OpenSSH_2k.log"));
        var replayLog = Path.Combine(_dir, "auth.log");
        File.WriteAllLines(replayLog, lines);

        // replay
        var metrics = new MetricsRegistry();
        var config = GumshoeConfig.Load(Config(replayLog), BuiltInComponents.Create(), _ => null);
        var rules = RuleSet.Compile(config, metrics);
        var pipeline = new EventPipeline(rules, metrics, NullLogger.Instance);
        var replayAlerts = Path.Combine(_dir, "replay-alerts.jsonl");
        using (var alerts = new JsonLinesFile(replayAlerts))
        {
            pipeline.AlertsOut = alerts;
            new ReplayRunner(pipeline, "auth", config.Inputs[0].Parser, config.Inputs[0].ParseContext.TimeZone).Run([replayLog]);
        }
        var expected = File.ReadAllLines(replayAlerts);
        Assert.True(expected.Length > 10, $"only {expected.Length} alerts");

        // live: the first half, a clean stop, then the rest (state restored mid-window)
        var liveLog = replayLog; // the same path, so the alerts' log.file.path agree too
        File.Delete(liveLog);
        var liveAlerts = Path.Combine(_dir, "live-alerts.jsonl");
        var liveConfig = Config(liveLog);
        var half = lines.Length / 2;
        File.WriteAllLines(liveLog, lines[..half]);
        await RunUntil(liveConfig, liveAlerts, () => LineCount(liveAlerts) == expected.Count(l => Offset(l) < ByteLength(lines, half)));
        File.AppendAllLines(liveLog, lines[half..]);
        await RunUntil(liveConfig, liveAlerts, () => LineCount(liveAlerts) >= expected.Length
            && LineCount(Path.Combine(_dir, "runs.txt")) >= expected.Count(l => l.Contains("\"rule\":\"bruteforce\"")));

        var live = File.ReadAllLines(liveAlerts);
        Assert.Equal(expected, live);
        var runs = File.ReadAllLines(Path.Combine(_dir, "runs.txt"));
        Assert.Equal(expected.Count(l => l.Contains("\"rule\":\"bruteforce\"")), runs.Length);
        Assert.Equal(runs.Length, runs.Distinct().Count());
    }

    private async Task RunUntil(string configPath, string alertsOut, Func<bool> done)
    {
        var metrics = new MetricsRegistry();
        var config = GumshoeConfig.Load(configPath, BuiltInComponents.Create(), _ => null);
        var runner = new LiveRunner(config, RuleSet.Compile(config, metrics), new LiveRunOptions
        {
            DataDirectory = Path.Combine(_dir, "data"), AlertsOut = alertsOut, ReloadRules = false,
        }, metrics, NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(stop.Token);
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!done() && DateTime.UtcNow < until) await Task.Delay(100);
        await Task.Delay(300); // nothing more should come
        await stop.CancelAsync();
        await run;
    }

    private static int LineCount(string path) => File.Exists(path) ? File.ReadAllLines(path).Length : 0;

    private static long ByteLength(string[] lines, int count) => lines.Take(count).Sum(l => System.Text.Encoding.UTF8.GetByteCount(l) + 1L);

    // an alert belongs to the first half when all its events do
    private static long Offset(string alertLine) =>
        System.Text.Json.JsonDocument.Parse(alertLine).RootElement.GetProperty("events").EnumerateArray().Max(e => e.GetProperty("log.offset").GetInt64());
}
