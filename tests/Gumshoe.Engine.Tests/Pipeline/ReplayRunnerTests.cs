using System.Text;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Outputs;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Tests.Rules;
using Gumshoe.LogGen;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Pipeline;

/// <summary>
/// A replay parses ahead on worker threads, block by block, and still gives exactly what parsing one line after the
/// other on the calling thread gives: the same alerts in the same order, the same counters and the same events.
/// </summary>
public sealed class ReplayRunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-replay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>About 1.3 MB of generated sshd lines (twenty 64 KiB blocks) with awkward ones between them.</summary>
    private string WriteLog(string name, ulong seed, int lines)
    {
        var path = Path.Combine(_dir, name);
        var generator = new SshdLogGenerator(seed, new DateTime(2026, 3, 4, 10, 0, 0)) { SecondsPerLine = 0.3 };
        using var f = File.Create(path);
        for (var i = 0; i < lines; i++)
        {
            f.Write(Encoding.UTF8.GetBytes(generator.NextLine() + "\n"));
            switch (i % 997)
            {
                case 1: f.Write("Mar  4 10:00:00 gate cron[1]: (root) CMD (run-parts)\n"u8); break; // unmatched
                case 2: f.Write([.. "Mar  4 10:00:01 gate sshd[1]: Invalid user "u8, 0xff, 0xfe, .. " from 1.2.3.4\n"u8]); break; // invalid UTF-8
                case 3: f.Write("Mar  4 10:00:02 gate sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2\r\n"u8); break;
                case 4: f.Write("not a syslog line at all\n\n"u8); break;
                case 5: f.Write("Feb 31 10:00:00 gate sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2\n"u8); break; // no such day
            }
        }
        return path;
    }

    private string Config(string parser, string rules) => RuleKit.WriteConfig($$"""
        inputs:
          - name: auth
            type: file
            paths: ["{{_dir}}/auth.log"]
            parser: {{parser}}
        rules:
        {{rules}}
        """);

    private (string[] Alerts, string[] Counters, long Events, long Skipped) Replay(string configPath, string[] files, int workers, bool prefilter = true)
    {
        var config = GumshoeConfig.Load(configPath, BuiltInComponents.Create(), _ => null);
        var metrics = new MetricsRegistry();
        var pipeline = new EventPipeline(RuleSet.Compile(config, metrics), metrics, NullLogger.Instance);
        var alertsPath = Path.Combine(_dir, $"alerts-{workers}-{prefilter}.jsonl");
        var runner = new ReplayRunner(pipeline, "auth", config.Inputs[0].Parser, TimeZoneInfo.Utc)
        {
            Workers = workers,
            Prefilter = prefilter,
            Reference = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero),
        };
        using (var alerts = new JsonLinesFile(alertsPath) { FlushEachLine = false })
        {
            pipeline.AlertsOut = alerts;
            runner.Run(files);
        }
        var counters = metrics.Snapshot().Select(c => $"{c.Name}{c.Labels} {c.Value}").ToArray();
        return (File.ReadAllLines(alertsPath), counters, runner.Events, runner.Skipped);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WorkersParsingAheadGiveWhatOneThreadGives(bool prefilter)
    {
        var log = WriteLog("auth.log", 11, 12_000);
        var config = Config("sshd", ReplayPrefilterTests.EveryType);
        var one = Replay(config, [log], workers: 0, prefilter);
        var two = Replay(config, [log], workers: 2, prefilter);
        var three = Replay(config, [log], workers: 3, prefilter);
        Assert.True(one.Alerts.Length > 100, $"only {one.Alerts.Length} alerts");
        Assert.Contains(one.Alerts, a => a.Contains("\"invalid-without-close\""));
        Assert.Equal(prefilter, one.Skipped > 1000);
        Assert.Equal((one.Events, one.Skipped), (two.Events, two.Skipped));
        Assert.Equal(one.Alerts, two.Alerts);
        Assert.Equal(one.Counters, two.Counters);
        Assert.Equal(one.Alerts, three.Alerts);
        Assert.Equal(one.Counters, three.Counters);
        Assert.Contains(one.Counters, c => c.Contains("status=\"unmatched\"") && !c.EndsWith(" 0"));
    }

    [Fact]
    public void FilesMergedInEventTimeGiveTheSameAlertsWithWorkers()
    {
        var first = WriteLog("auth.log", 12, 6_000);
        var second = WriteLog("auth.log.1", 13, 6_000); // the same hours: lines of both files interleave
        var config = Config("sshd", ReplayPrefilterTests.EveryType);
        var one = Replay(config, [first, second], workers: 0);
        var two = Replay(config, [first, second], workers: 2);
        Assert.True(one.Alerts.Length > 100, $"only {one.Alerts.Length} alerts");
        Assert.Equal(one.Alerts, two.Alerts);
        Assert.Equal(one.Counters, two.Counters);
        Assert.Equal((one.Events, one.Skipped), (two.Events, two.Skipped));
    }

    [Fact]
    public void BrokenLinesAreCountedInLineOrderWithWorkers()
    {
        // JSON lines: every tenth one broken (a failure with its reason, sampled into the log in line order)
        var log = Path.Combine(_dir, "auth.log");
        using (var w = new StreamWriter(log))
            for (var i = 0; i < 20_000; i++)
                w.WriteLine(i % 10 == 3
                    ? "{\"@timestamp\": \"2026-03-04T10:00:00Z\", broken"
                    : $"{{\"@timestamp\": \"2026-03-04T10:{i / 600 % 60:00}:{i / 10 % 60:00}Z\", \"event\": {{\"action\": \"login\", \"outcome\": \"{(i % 7 == 0 ? "success" : "failure")}\"}}, \"source\": {{\"ip\": \"10.0.{i % 5}.{i % 11}\"}}}}");
        var config = Config("json", """
              - name: failures
                type: threshold
                when: event.outcome == "failure"
                group_by: [source.ip]
                count: 10
                within: 1m
            """);
        var one = Replay(config, [log], workers: 0);
        var two = Replay(config, [log], workers: 2);
        Assert.True(one.Alerts.Length > 10, $"only {one.Alerts.Length} alerts");
        Assert.Contains(one.Counters, c => c.Contains("status=\"failed\"") && c.EndsWith(" 2000"));
        Assert.Equal(one.Alerts, two.Alerts);
        Assert.Equal(one.Counters, two.Counters);
        Assert.Equal(18_000, two.Events);
    }
}
