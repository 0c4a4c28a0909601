using System.Text.Json;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Actions;

public sealed class ActionJournalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-journal-").FullName;
    private readonly MetricsRegistry _metrics = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly ActionJournalOptions Fast = new() { Backoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(100), Attempts = 4 };

    private ActionJournal Journal(IAction action, ActionJournalOptions? options = null) =>
        new(options ?? Fast, (_, _) => action, _dir, _metrics, NullLoggerFactory.Instance);

    private static ActionRequest Request(string key, string ip = "1.2.3.4")
    {
        var e = new Event { Timestamp = DateTimeOffset.UnixEpoch };
        e.Set("source.ip", ip);
        return new ActionRequest(key, "r", null, e, new Dictionary<string, string> { ["rule"] = "r", ["source.ip"] = ip, ["title"] = "t \"q\"\n" });
    }

    // Appends one line per run: how many times did it really run?
    private ExecAction Counter() => new("/bin/sh", ["-c", "printf '%s\\n' \"$GUMSHOE_ACTION_KEY\" >> \"$OUT\""],
        [new("OUT", Path.Combine(_dir, "runs.txt"))], TimeSpan.FromSeconds(10));

    private string[] Runs() => File.Exists(Path.Combine(_dir, "runs.txt")) ? File.ReadAllLines(Path.Combine(_dir, "runs.txt")) : [];

    private static JsonNode Durable(ActionJournal j) => JsonNode.Parse(j.Snapshot().ToJsonString())!;

    [Fact]
    public async Task NothingRunsBeforeTheCheckpointHoldingItIsCommitted()
    {
        await using var j = Journal(Counter());
        j.Start();
        j.Enqueue(Counter(), 0, Request("a"));
        _ = j.Snapshot(); // written, but the commit "crashes": never confirmed
        j.CommitFailed();
        await Task.Delay(300);
        Assert.Empty(Runs());
        Assert.True(j.NeedsCommit);
    }

    [Fact]
    public async Task ACommittedRequestRunsOnceAndIsRecordedDone()
    {
        var action = Counter();
        await using var j = Journal(action);
        j.Start();
        j.Enqueue(action, 0, Request("a"));
        _ = j.Snapshot();
        j.Committed();
        Assert.True(await j.WaitIdleAsync(TimeSpan.FromSeconds(10)));
        j.Enqueue(action, 0, Request("a")); // the same alert derived again: a duplicate
        _ = j.Snapshot();
        j.Committed();
        await Task.Delay(200);
        Assert.Equal(["a"], Runs());
        Assert.Equal("a", (string?)j.Snapshot()["done"]![0]);
    }

    [Fact]
    public async Task AfterACrashPendingRequestsResumeAndDoneOnesNeverRunAgain()
    {
        var action = Counter();
        JsonNode committedWithPending, committedWithDone;
        await using (var before = Journal(action))
        {
            // not started: the process dies after the commit, before the action ran
            before.Enqueue(action, 0, Request("a"));
            committedWithPending = Durable(before);
            before.Committed();
        }
        Assert.Empty(Runs());
        await using (var restarted = Journal(action))
        {
            restarted.Restore(committedWithPending);
            restarted.Start();
            Assert.True(await restarted.WaitIdleAsync(TimeSpan.FromSeconds(10)));
            committedWithDone = Durable(restarted);
            restarted.Committed();
        }
        Assert.Equal(["a"], Runs());
        await using (var again = Journal(action))
        {
            again.Restore(committedWithDone);
            again.Start();
            again.Enqueue(action, 0, Request("a"));
            _ = again.Snapshot();
            again.Committed();
            await Task.Delay(300);
        }
        Assert.Equal(["a"], Runs());
    }

    // Appends a line, then sleeps: still running when the stop comes.
    private ExecAction Slow(string seconds) => new("/bin/sh", ["-c", $"printf '%s\\n' \"$GUMSHOE_ACTION_KEY\" >> \"$OUT\"; sleep {seconds}"],
        [new("OUT", Path.Combine(_dir, "runs.txt"))], TimeSpan.FromSeconds(30));

    // Starts the journal with the requests committed, and returns once every one of them has started running.
    private async Task RunningAsync(ActionJournal j, IAction action, params string[] keys)
    {
        j.Start();
        foreach (var key in keys) j.Enqueue(action, 0, Request(key));
        _ = j.Snapshot();
        j.Committed();
        while (Runs().Length < keys.Length) await Task.Delay(10);
    }

    [Fact]
    public async Task ACleanStopLetsRunningActionsFinishSoTheLastSnapshotHasThemDone()
    {
        var slow = Slow("0.5");
        JsonNode last;
        await using (var j = Journal(slow))
        {
            await RunningAsync(j, slow, "a", "b");
            await j.StopAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, j.Unfinished);
            last = Durable(j);
        }
        await using (var restarted = Journal(slow))
        {
            restarted.Restore(last);
            restarted.Start();
            restarted.Enqueue(slow, 0, Request("a")); // derived again after the restart
            _ = restarted.Snapshot();
            restarted.Committed();
            await Task.Delay(300);
            Assert.Equal(0, restarted.Unfinished);
        }
        Assert.Equal(["a", "b"], Runs().Order());
    }

    [Fact]
    public async Task AnActionStillRunningAfterTheGraceIsInterruptedAndResumesOnTheNextStart()
    {
        var slow = Slow("30");
        JsonNode last;
        await using (var j = Journal(slow))
        {
            await RunningAsync(j, slow, "a");
            var stopping = System.Diagnostics.Stopwatch.StartNew();
            await j.StopAsync(TimeSpan.FromMilliseconds(200));
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(5), $"stopping took {stopping.Elapsed}");
            Assert.Equal(1, j.Unfinished);
            last = Durable(j);
        }
        var quick = Counter();
        await using (var restarted = Journal(quick))
        {
            restarted.Restore(last);
            restarted.Start();
            Assert.True(await restarted.WaitIdleAsync(TimeSpan.FromSeconds(10)));
        }
        Assert.Equal(["a", "a"], Runs());
    }

    [Fact]
    public async Task AFailingWebhookIsRetriedWithTheSameKeyUntilItSucceeds()
    {
        using var receiver = new WebhookReceiver((503, null), (502, null), (200, null));
        var action = Webhook(receiver.Url);
        await using var j = Journal(action);
        j.Start();
        j.Enqueue(action, 0, Request("k-1"));
        _ = j.Snapshot();
        j.Committed();
        Assert.True(await j.WaitIdleAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(3, receiver.Received.Count);
        Assert.All(receiver.Received, r => Assert.Equal("k-1", r.Key));
        Assert.Equal(2, _metrics.Counter("gumshoe_actions_retries_total").Value);
        Assert.Equal(1, _metrics.Counter("gumshoe_actions_total", "outcome", "succeeded").Value);
        Assert.False(File.Exists(j.DeadLetterPath));
    }

    [Fact]
    public async Task RetryAfterIsHonoured()
    {
        using var receiver = new WebhookReceiver((429, "1"), (200, null));
        var action = Webhook(receiver.Url);
        await using var j = Journal(action);
        j.Start();
        j.Enqueue(action, 0, Request("k"));
        _ = j.Snapshot();
        j.Committed();
        Assert.True(await j.WaitIdleAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, receiver.Received.Count);
        Assert.True(receiver.Received[1].At - receiver.Received[0].At >= TimeSpan.FromMilliseconds(900));
    }

    [Fact]
    public async Task APermanentFailureIsDeadLetteredWithoutRetry()
    {
        using var receiver = new WebhookReceiver((400, null));
        var action = Webhook(receiver.Url);
        await using var j = Journal(action);
        j.Start();
        j.Enqueue(action, 0, Request("k"));
        _ = j.Snapshot();
        j.Committed();
        Assert.True(await j.WaitIdleAsync(TimeSpan.FromSeconds(10)));
        Assert.Single(receiver.Received);
        var dead = JsonDocument.Parse(File.ReadAllLines(j.DeadLetterPath).Single()).RootElement;
        Assert.Equal("k", dead.GetProperty("key").GetString());
        Assert.Equal(1, dead.GetProperty("attempts").GetInt32());
        Assert.Contains("HTTP 400", dead.GetProperty("error").GetString());
        Assert.Equal("done", j.Snapshot()["done"]!.AsArray().Count == 1 ? "done" : "pending");
    }

    [Fact]
    public async Task RetriesStopAtTheAttemptLimitWithADeadLetterRecord()
    {
        var failing = new ExecAction("/bin/false", [], [], TimeSpan.FromSeconds(5));
        await using var j = Journal(failing);
        j.Start();
        j.Enqueue(failing, 0, Request("k"));
        _ = j.Snapshot();
        j.Committed();
        Assert.True(await j.WaitIdleAsync(TimeSpan.FromSeconds(10)));
        var dead = JsonDocument.Parse(File.ReadAllLines(j.DeadLetterPath).Single()).RootElement;
        Assert.Equal(4, dead.GetProperty("attempts").GetInt32());
        Assert.Equal(1, _metrics.Counter("gumshoe_actions_total", "outcome", "dead_lettered").Value);
    }

    [Fact]
    public async Task TheWebhookBodyEscapesFieldValues()
    {
        using var receiver = new WebhookReceiver();
        var action = Webhook(receiver.Url);
        await action.ExecuteAsync(Request("k", ip: "1.2.3.4"), CancellationToken.None);
        var body = JsonDocument.Parse(receiver.Received.Single().Body).RootElement;
        Assert.Equal("t \"q\"\n from 1.2.3.4", body.GetProperty("text").GetString());
        Assert.Equal("1.2.3.4", body.GetProperty("tags")[0].GetString());
        Assert.StartsWith("application/json", receiver.Received[0].ContentType);
    }

    [Fact]
    public void BackoffDoublesWithJitterUpToTheCap()
    {
        var j = Journal(Counter(), new ActionJournalOptions { Backoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(10) });
        for (var i = 0; i < 20; i++)
        {
            Assert.InRange(j.Backoff(1).TotalSeconds, 0.5, 1.0);
            Assert.InRange(j.Backoff(3).TotalSeconds, 2.0, 4.0);
            Assert.InRange(j.Backoff(10).TotalSeconds, 5.0, 10.0);
        }
    }

    private static IAction Webhook(string url)
    {
        var path = Rules.RuleKit.WriteConfig($$"""
            rules:
              - name: r
                when: event.action == "x"
                then:
                  - webhook:
                      url: {{url}}
                      body: {text: "{title} from {source.ip}", tags: ["{source.ip}"]}
            """);
        var config = Gumshoe.Engine.Config.GumshoeConfig.Load(path, BuiltInComponents.Create(), _ => null);
        return Gumshoe.Engine.Rules.RuleSet.Compile(config, new MetricsRegistry()).FindAction("r", 0)!;
    }
}
