using Gumshoe.Engine.Config;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Pipeline;

/// <summary>Live mode's own duties towards rules: reload on a config change keeping unchanged rules' windows, and
/// closing windows on wall time when the stream goes quiet.</summary>
public sealed class LiveRulesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-liverules-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Log => Path.Combine(_dir, "events.jsonl");
    private string Alerts => Path.Combine(_dir, "alerts.jsonl");

    private string Config(string rules) => $$"""
        inputs:
          - name: app
            type: file
            paths: ["{{Log}}"]
            start_at: beginning
            parser: json
        rules:
        {{rules}}
        """;

    private static string Line(DateTimeOffset t, string action, string outcome = "failure") =>
        $$$"""{"@timestamp":"{{{Gumshoe.Engine.Events.EventTime.Format(t)}}}","event":{"action":"{{{action}}}","outcome":"{{{outcome}}}"},"source":{"ip":"10.0.0.1"}}""";

    private LiveRunner Runner(string configPath)
    {
        var metrics = new MetricsRegistry();
        var config = GumshoeConfig.Load(configPath, BuiltInComponents.Create(), _ => null);
        return new LiveRunner(config, RuleSet.Compile(config, metrics), new LiveRunOptions
        {
            DataDirectory = Path.Combine(_dir, "data"), AlertsOut = Alerts, RunAnalytics = false,
        }, metrics, NullLoggerFactory.Instance);
    }

    private string[] AlertLines() => File.Exists(Alerts) ? File.ReadAllLines(Alerts) : [];

    private static async Task Until(Func<bool> done, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < until, "timed out waiting for " + what);
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task AConfigFileChangeReloadsTheRulesKeepingTheWindowsOfUnchangedOnes()
    {
        const string keep = "  - {name: burst, type: threshold, when: 'event.outcome == \"failure\"', group_by: [source.ip], count: 3, within: 1h}\n"
            + "  - {name: seen, when: 'event.outcome == \"failure\"', group_by: [source.ip]}\n";
        var configPath = Path.Combine(_dir, "gumshoe.yml");
        File.WriteAllText(configPath, Config(keep + "  - {name: other, when: 'event.action == \"x\"'}\n"));
        var t0 = new DateTimeOffset(2026, 3, 4, 10, 0, 0, TimeSpan.Zero);
        File.WriteAllLines(Log, [Line(t0, "login"), Line(t0.AddSeconds(1), "login")]);

        var runner = Runner(configPath);
        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(stop.Token);
        try
        {
            await Until(() => AlertLines().Length == 2, "the first two events"); // 'seen' fires once per event
            var before = runner.Rules;
            File.WriteAllText(configPath, Config(keep + "  - {name: other, when: 'event.action == \"y\"'}\n"));
            await Until(() => !ReferenceEquals(runner.Rules, before), "the reload");
            Assert.Equal(["burst", "seen", "other"], runner.Rules.Rules.Select(r => r.Name));
            Assert.Equal(1, runner.Rules.Rules[0].ActiveKeys); // burst kept its window: two events of 10.0.0.1

            File.AppendAllLines(Log, [Line(t0.AddSeconds(2), "login")]);
            await Until(() => AlertLines().Any(l => l.Contains("\"rule\":\"burst\"")), "the burst alert");
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }
        var burst = AlertLines().Single(l => l.Contains("\"rule\":\"burst\""));
        Assert.Contains("\"count\":3", burst);
        Assert.Contains("\"first_seen\":\"2026-03-04T10:00:00", burst);
    }

    [Fact]
    public async Task AnAbsenceFiresOnWallTimeWhenTheStreamGoesQuiet()
    {
        var configPath = Path.Combine(_dir, "gumshoe.yml");
        File.WriteAllText(configPath, Config("  - {name: no-reply, type: absence, when: 'event.action == \"request\"', expect: 'event.action == \"reply\"', group_by: [source.ip], within: 2s, allowed_lateness: 0s}\n"));
        // event time is now: nothing later arrives, so only the wall clock can close the window
        File.WriteAllLines(Log, [Line(DateTimeOffset.UtcNow, "request")]);

        var runner = Runner(configPath);
        using var stop = new CancellationTokenSource();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var run = runner.RunAsync(stop.Token);
        try
        {
            await Until(() => AlertLines().Length > 0, "the absence alert");
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1.5), $"fired after {watch.Elapsed}, before the window could have closed");
        Assert.Contains("\"rule\":\"no-reply\"", Assert.Single(AlertLines()));
    }
}
