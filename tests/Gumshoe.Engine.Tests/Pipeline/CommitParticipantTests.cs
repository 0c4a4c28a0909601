using Gumshoe.Engine.Config;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Outputs;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Storage;
using Gumshoe.Engine.Tests.Parsers;
using Gumshoe.Engine.Tests.Rules;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Pipeline;

/// <summary>
/// Results stored elsewhere (the alert store) are held before positions move: a live run commits a checkpoint only
/// after its participants flushed, consumes nothing while they fail, and resumes when they work again. A replay with
/// <see cref="ReplayActions"/> runs each action once, also when the same log is replayed again.
/// </summary>
public sealed class CommitParticipantTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-commit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Config(string log) => RuleKit.WriteConfig($$"""
        inputs:
          - name: auth
            type: file
            paths: ["{{log}}"]
            start_at: beginning
            parser: sshd
        rules:
          - name: bruteforce
            type: threshold
            when: event.action in ["ssh_auth_failed", "ssh_invalid_user"]
            group_by: [source.ip]
            count: 5
            within: 60s
            then:
              - exec:
                  argv: ["/bin/sh", "-c", "printf '%s\\n' \"$GUMSHOE_ACTION_KEY\" >> \"$OUT\"", "sh"]
                  env: {OUT: "{{_dir}}/runs.txt"}
        """);

    /// <summary>Holds alerts like the alert store; fails its first flushes like a database that is down.</summary>
    private sealed class FlakyStore(int failures) : ICommitParticipant
    {
        private readonly List<Alert> _held = [];
        public readonly List<Alert> Stored = [];
        public int Failures = failures;
        public int Attempts;
        public void Hold(Alert a) { lock (_held) _held.Add(a); }
        public bool HasPending { get { lock (_held) return _held.Count > 0; } }
        public Task FlushAsync(CancellationToken ct)
        {
            Interlocked.Increment(ref Attempts);
            if (Failures-- > 0) throw new StorageException("database is down");
            lock (_held) { Stored.AddRange(_held); _held.Clear(); }
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_live_run_commits_only_what_its_store_holds_and_waits_while_the_store_fails()
    {
        var log = Path.Combine(_dir, "auth.log");
        File.Copy(SharedData.File("logs/OpenSSH_2k.log"), log);
        var expected = ReplayAlertIds(log);
        var data = Path.Combine(_dir, "data");
        var checkpoint = Path.Combine(data, "checkpoint.json");
        var metrics = new MetricsRegistry();
        var config = GumshoeConfig.Load(Config(log), BuiltInComponents.Create(), _ => null);
        var store = new FlakyStore(failures: 3);
        var runner = new LiveRunner(config, RuleSet.Compile(config, metrics), new LiveRunOptions
        {
            DataDirectory = data, ReloadRules = false, Observe = p => p.AlertRaised += store.Hold, Participants = [store],
        }, metrics, NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(stop.Token);

        // while the store fails: no checkpoint, no action run, input held back, the failure visible on /metrics
        var until = DateTime.UtcNow.AddSeconds(20);
        while (Volatile.Read(ref store.Attempts) < 2 && DateTime.UtcNow < until) await Task.Delay(50);
        Assert.False(File.Exists(checkpoint));
        Assert.False(File.Exists(Path.Combine(_dir, "runs.txt")));
        Assert.Equal(0, metrics.Gauge("gumshoe_checkpoint_healthy").Value);
        Assert.True(metrics.Counter("gumshoe_checkpoint_failures_total").Value >= 1);

        // it works again: everything is stored once, then committed, then acted on
        until = DateTime.UtcNow.AddSeconds(30);
        while ((store.Stored.Count < expected.Count || RunCount() < expected.Count) && DateTime.UtcNow < until) await Task.Delay(100);
        await stop.CancelAsync();
        await run;
        Assert.Equal(expected, store.Stored.Select(a => a.Id).Order(StringComparer.Ordinal).ToList());
        Assert.True(File.Exists(checkpoint));
        Assert.Equal(1, metrics.Gauge("gumshoe_checkpoint_healthy").Value);
        Assert.Equal(expected.Count, RunCount());
    }

    [Fact]
    public async Task A_replay_with_its_actions_runs_each_once_and_a_second_replay_runs_none()
    {
        var log = Path.Combine(_dir, "auth.log");
        File.Copy(SharedData.File("logs/OpenSSH_2k.log"), log);
        var expected = ReplayAlertIds(log);
        for (var pass = 0; pass < 2; pass++)
        {
            var metrics = new MetricsRegistry();
            var config = GumshoeConfig.Load(Config(log), BuiltInComponents.Create(), _ => null);
            var rules = RuleSet.Compile(config, metrics);
            var pipeline = new EventPipeline(rules, metrics, NullLogger.Instance);
            var store = new FlakyStore(failures: 0);
            pipeline.AlertRaised += store.Hold;
            await using (var actions = new ReplayActions(config, rules, Path.Combine(_dir, "data"), [store], metrics, NullLoggerFactory.Instance))
            {
                pipeline.AlertRaised += _ => actions.AfterAlert();
                new ReplayRunner(pipeline, "auth", config.Inputs[0].Parser, config.Inputs[0].ParseContext.TimeZone).Run([log]);
                Assert.True(await actions.FinishAsync(TimeSpan.FromSeconds(30)));
            }
            Assert.Equal(expected.Count, store.Stored.Count);
            Assert.Equal(pass == 0 ? expected.Count : 0, metrics.Counter("gumshoe_actions_total", "outcome", "succeeded").Value);
            Assert.Equal(expected.Count, RunCount());
        }
        var runs = File.ReadAllLines(Path.Combine(_dir, "runs.txt"));
        Assert.Equal(runs.Length, runs.Distinct().Count());
    }

    private int RunCount()
    {
        var path = Path.Combine(_dir, "runs.txt");
        return File.Exists(path) ? File.ReadAllLines(path).Length : 0;
    }

    private List<string> ReplayAlertIds(string log)
    {
        var metrics = new MetricsRegistry();
        var config = GumshoeConfig.Load(Config(log), BuiltInComponents.Create(), _ => null);
        var pipeline = new EventPipeline(RuleSet.Compile(config, metrics), metrics, NullLogger.Instance);
        var ids = new List<string>();
        pipeline.AlertRaised += a => ids.Add(a.Id);
        new ReplayRunner(pipeline, "auth", config.Inputs[0].Parser, config.Inputs[0].ParseContext.TimeZone).Run([log]);
        return [.. ids.Order(StringComparer.Ordinal)];
    }
}
