using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Decisions;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Storage;
using Gumshoe.Engine.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Decisions;

public sealed class DecisionActionTests : IAsyncDisposable
{
    private readonly SqliteTestDatabase _db = new();

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    private (GumshoeConfig Config, RecordingEffect Effect) Load(string yaml)
    {
        var effect = new RecordingEffect("firewall");
        var registry = BuiltInComponents.Create().AddAction("firewall", (node, _) => { node.Get("url"); return effect; });
        var path = Path.Combine(_db.DataDirectory, "gumshoe.yml");
        File.WriteAllText(path, yaml);
        var config = GumshoeConfig.Load(path, registry);
        config.Components.Storage.DataDirectory = _db.DataDirectory;
        config.Components.Storage.Clock = _db.Clock;
        return (config, effect);
    }

    private static DecisionAction Create(GumshoeConfig config, string yaml)
    {
        var stream = new YamlDotNet.RepresentationModel.YamlStream();
        stream.Load(new StringReader(yaml));
        var node = new ConfigNode(stream.Documents[0].RootNode, config.File, Path.GetDirectoryName(config.File)!, _ => null);
        var action = (DecisionAction)config.Components.Registry.CreateAction("decision", node, config.Components);
        node.EnsureNoUnknownKeys("decision");
        return action;
    }

    private static ActionRequest AlertRequest(string ip, int minute)
    {
        var alert = new Alert
        {
            Rule = "ssh-bruteforce", Group = [new("source.ip", ip)], Count = 5,
            FirstSeen = new DateTimeOffset(2024, 5, 1, 10, minute, 0, TimeSpan.Zero), LastSeen = new DateTimeOffset(2024, 5, 1, 10, minute, 30, TimeSpan.Zero),
        };
        var e = new Event { Timestamp = alert.LastSeen };
        e.Set("source.ip", ip);
        e.Set("user.name", "root");
        return new ActionRequest($"ssh-bruteforce|{ip}|{minute}|0", alert.Rule, alert, e,
            new Dictionary<string, string> { ["source.ip"] = ip, ["count"] = "5", ["rule"] = alert.Rule });
    }

    private const string Policy = """
        scope: ip
        duration: 1h
        escalate: [x4, 24h, permanent]
        reason: "{count} failed SSH logins for {user.name}"
        explain: "Your address {source.ip} tried to log in too often."
        remediation: Wait an hour or call the helpdesk.
        priority: 7
        self_release: {max: 2}
        grace: 10m
        allow: {cidrs: [10.0.0.0/8]}
        on_apply: [{firewall: {url: "http://127.0.0.1:9/block"}}]
        on_release: [{firewall: {url: "http://127.0.0.1:9/unblock"}}]
        """;

    [Fact]
    public async Task A_rule_alert_creates_a_decision_whose_effects_run_once_through_the_registered_actions()
    {
        var (config, effect) = Load("storage: {type: sqlite}\n");
        var action = Create(config, Policy);
        await action.ExecuteAsync(AlertRequest("203.0.113.9", 0), default);
        await action.ExecuteAsync(AlertRequest("203.0.113.9", 0), default);   // a replay of the same alert

        var store = await config.Components.Storage.GetAsync();
        var d = Assert.Single(await store.Decisions.ListAsync());
        Assert.Equal(("ip", "203.0.113.9", "ssh-bruteforce", "5 failed SSH logins for root", 7, 2), (d.Scope, d.Value, d.Rule, d.Reason, d.Priority, d.SelfReleaseMax));
        Assert.Equal("Your address 203.0.113.9 tried to log in too often.", d.Explain);
        Assert.Equal("rule:ssh-bruteforce", (await store.Audit.ListAsync(d.Id))[0].Actor);
        Assert.Equal(2, config.Components.Storage.Effects.Count);

        var runner = new OutboxRunner(store, config.Components.Storage.Effects, NullLogger.Instance);
        await runner.RunOnceAsync();
        await store.Decisions.ReleaseAsync(d.Id, "alice", "fixed");
        await runner.RunOnceAsync();
        await runner.RunOnceAsync();
        Assert.Equal(["apply", "release"], effect.Runs.Select(r => r.Values["transition"]));

        // the escalation ladder: x4 of the first hour
        _db.Clock.Advance(TimeSpan.FromMinutes(11));
        await action.ExecuteAsync(AlertRequest("203.0.113.9", 20), default);
        var second = Assert.Single(await store.Decisions.ListAsync());
        Assert.Equal((1, _db.Clock.Now.AddHours(4)), (second.Level, second.Expires!.Value));
        await config.Components.Storage.DisposeAsync();
    }

    [Fact]
    public async Task An_allow_listed_address_is_left_alone_and_a_missing_field_is_a_clear_non_retryable_failure()
    {
        var (config, _) = Load("storage: {type: sqlite}\n");
        var action = Create(config, Policy);
        await action.ExecuteAsync(AlertRequest("10.1.1.1", 0), default);
        var store = await config.Components.Storage.GetAsync();
        Assert.Empty(await store.Decisions.ListAsync());

        var userAction = Create(config, "scope: field\nfield: host.name\n");
        var ex = await Assert.ThrowsAsync<ActionFailedException>(() => userAction.ExecuteAsync(AlertRequest("203.0.113.1", 0), default));
        Assert.False(ex.Retryable);
        Assert.Contains("host.name", ex.Message);
        await config.Components.Storage.DisposeAsync();
    }

    [Theory]
    [InlineData("scope: planet\n", "unknown scope 'planet'")]
    [InlineData("scope: ip\nduration: soon\n", "expected a duration")]
    [InlineData("scope: ip\nduration: permanent\nescalate: [x2]\n", "multiplier needs a finite duration")]
    [InlineData("scope: field\n", "needs 'field: NAME'")]
    [InlineData("scope: ip\non_apply: [{nope: {}}]\n", "unknown action 'nope'")]
    [InlineData("scope: ip\nself_release: {maximum: 2}\n", "unknown key 'maximum'")]
    public void Bad_decision_options_are_config_errors_with_a_location(string yaml, string message)
    {
        var (config, _) = Load("storage: {type: sqlite}\n");
        var ex = Assert.Throws<ConfigException>(() => Create(config, yaml));
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void The_storage_section_is_read_and_validated()
    {
        var (config, _) = Load("""
            storage:
              type: postgres
              connection_string: Host=127.0.0.1;Username=gumshoe;Password=x;Database=gumshoe
              retention: {alerts: 30d, audit: 2w, decisions: 7d after release/expiry}
              allow: {cidrs: [192.0.2.0/24], users: [svc-backup]}
            """);
        var options = Assert.IsType<StorageOptions>(config.Sections["storage"]);
        Assert.Equal((StorageType.Postgres, TimeSpan.FromDays(30), TimeSpan.FromDays(14), TimeSpan.FromDays(7)),
            (options.Type, options.Retention.Alerts, options.Retention.Audit, options.Retention.Decisions));
        Assert.True(options.Allow.Allows("user", "svc-backup"));
        Assert.Same(options, config.Components.Storage.Options);

        var ex = Assert.Throws<ConfigException>(() => Load("storage:\n  type: postgres\n"));
        Assert.Contains("connection_string", ex.Message);
        Assert.Equal(2L, ex.Line);
    }
}
