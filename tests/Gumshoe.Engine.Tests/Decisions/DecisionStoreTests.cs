using System.Net;
using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Decisions;
using Gumshoe.Engine.Storage;
using Gumshoe.Engine.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Decisions;

public sealed class DecisionStoreSqliteTests : DecisionStoreTests<SqliteTestDatabase>;

public sealed class DecisionStorePostgresTests : DecisionStoreTests<PostgresTestDatabase>;

/// <summary>The decision lifecycle, run against each backend.</summary>
public abstract class DecisionStoreTests<TDb> : IAsyncLifetime where TDb : TestDatabase, new()
{
    private TDb _db = null!;
    private GumshoeStore _store = null!;
    private readonly RecordingEffect _apply = new("apply");
    private readonly RecordingEffect _release = new("release");

    public async Task InitializeAsync()
    {
        _db = new TDb();
        _store = await _db.OpenAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _db.DisposeAsync();
    }

    private TestClock Clock => _db.Clock;

    private static DecisionRequest Penalty(string value = "203.0.113.7", string window = "w1", string rule = "ssh-bruteforce") => new()
    {
        Scope = DecisionScope.Ip, Value = value, Reason = "too many failed logins", Rule = rule, Window = window, AlertId = "a-" + window,
        Steps = [TimeSpan.FromHours(1)], OnApply = ["apply"], OnRelease = ["release"],
    };

    private OutboxRunner Runner(GumshoeStore? store = null) =>
        new(store ?? _store, new Dictionary<string, IAction> { ["apply"] = _apply, ["release"] = _release }, NullLogger.Instance)
        { RetryDelay = TimeSpan.FromSeconds(10) };

    private async Task ReopenAsync()
    {
        await _store.DisposeAsync();
        _store = await _db.OpenAsync();
    }

    [Fact]
    public async Task A_penalty_creates_an_active_decision_with_an_audit_entry_and_one_pending_effect()
    {
        var outcome = await _store.Decisions.ApplyAsync(Penalty(), "rule:ssh-bruteforce");

        Assert.Equal(DecisionOutcomeKind.Created, outcome.Kind);
        var d = outcome.Decision!;
        Assert.Equal((DecisionState.Active, "ip", "203.0.113.7", Clock.Now.AddHours(1)), (d.State, d.Scope, d.Value, d.Expires!.Value));
        Assert.Equal(d, await _store.Decisions.GetAsync(d.Id));
        var audit = Assert.Single(await _store.Audit.ListAsync(d.Id));
        Assert.Equal(("rule:ssh-bruteforce", "create", "too many failed logins"), (audit.Actor, audit.Action, audit.Reason));
        var effect = Assert.Single(await _store.Outbox.ListAsync(d.Id));
        Assert.Equal((OutboxState.Pending, "apply"), (effect.State, effect.Transition));
    }

    [Fact]
    public async Task The_same_trigger_applied_twice_changes_nothing_the_second_time()
    {
        var first = await _store.Decisions.ApplyAsync(Penalty(), "rule:ssh-bruteforce");
        Clock.Advance(TimeSpan.FromMinutes(5));
        var second = await _store.Decisions.ApplyAsync(Penalty(), "rule:ssh-bruteforce");

        Assert.Equal(DecisionOutcomeKind.Duplicate, second.Kind);
        Assert.Equal(first.Decision, second.Decision);
        Assert.Single(await _store.Decisions.ListAsync());
        Assert.Single(await _store.Outbox.ListAsync());
        Assert.Single(await _store.Audit.ListAsync());
    }

    [Fact]
    public async Task Two_nodes_applying_the_same_trigger_at_once_make_one_decision_and_one_effect()
    {
        await using var other = await _db.OpenAsync();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? _store : other).Decisions.ApplyAsync(Penalty(), $"node{i % 2}")));

        Assert.Single(outcomes, o => o.Kind == DecisionOutcomeKind.Created);
        Assert.All(outcomes.Where(o => o.Kind != DecisionOutcomeKind.Created), o => Assert.Equal(DecisionOutcomeKind.Duplicate, o.Kind));
        Assert.Single(await _store.Decisions.ListAsync());
        Assert.Single(await _store.Outbox.ListAsync());
    }

    [Fact]
    public async Task A_repeat_while_active_extends_the_decision_without_a_second_apply_effect()
    {
        var first = (await _store.Decisions.ApplyAsync(Penalty(window: "w1"), "rule")).Decision!;
        Clock.Advance(TimeSpan.FromMinutes(30));
        var repeat = await _store.Decisions.ApplyAsync(Penalty(window: "w2"), "rule");

        Assert.Equal(DecisionOutcomeKind.Extended, repeat.Kind);
        Assert.Equal(first.Id, repeat.Decision!.Id);
        Assert.Equal(Clock.Now.AddHours(1), repeat.Decision.Expires);
        Assert.Single(await _store.Outbox.ListAsync());
        Assert.Equal(["extend", "create"], (await _store.Audit.ListAsync(first.Id)).Select(a => a.Action));
    }

    [Fact]
    public async Task Repeats_escalate_along_the_ladder_up_to_permanent_and_decay_after_quiet_periods()
    {
        var ladder = Penalty() with { Steps = [TimeSpan.FromHours(1), TimeSpan.FromHours(4), TimeSpan.FromHours(24), null], Decay = TimeSpan.FromDays(7) };
        var first = await _store.Decisions.ApplyAsync(ladder with { Window = "w1" }, "rule");
        Assert.Equal((0, Clock.Now.AddHours(1)), (first.Decision!.Level, first.Decision.Expires!.Value));

        // expires, then the entity offends again within the decay period: next step
        Clock.Advance(TimeSpan.FromHours(2));
        var second = await _store.Decisions.ApplyAsync(ladder with { Window = "w2" }, "rule");
        Assert.Equal(DecisionOutcomeKind.Created, second.Kind);
        Assert.Equal((1, Clock.Now.AddHours(4)), (second.Decision!.Level, second.Decision.Expires!.Value));
        Assert.Equal(DecisionState.Expired, (await _store.Decisions.GetAsync(first.Decision.Id))!.State);

        // while active: escalates in place
        Clock.Advance(TimeSpan.FromHours(1));
        var third = await _store.Decisions.ApplyAsync(ladder with { Window = "w3" }, "rule");
        Assert.Equal((DecisionOutcomeKind.Escalated, second.Decision.Id, 2), (third.Kind, third.Decision!.Id, third.Decision.Level));
        Assert.Equal(Clock.Now.AddHours(24), third.Decision.Expires);

        var fourth = await _store.Decisions.ApplyAsync(ladder with { Window = "w4" }, "rule");
        Assert.Equal((3, true), (fourth.Decision!.Level, fourth.Decision.IsPermanent));
        Assert.Equal(["escalate", "escalate", "create"], (await _store.Audit.ListAsync(second.Decision.Id)).Select(a => a.Action));

        // released by the helpdesk; two quiet weeks later the next offence is two steps lower
        await _store.Decisions.ReleaseAsync(fourth.Decision.Id, "alice", "reimaged the host");
        Clock.Advance(TimeSpan.FromDays(14) + TimeSpan.FromHours(1));
        var later = await _store.Decisions.ApplyAsync(ladder with { Window = "w5" }, "rule");
        Assert.Equal((2, Clock.Now.AddHours(24)), (later.Decision!.Level, later.Decision.Expires!.Value));

        // and after a long quiet time it starts over
        await _store.Decisions.ReleaseAsync(later.Decision.Id, "alice", "ok");
        Clock.Advance(TimeSpan.FromDays(60));
        var fresh = await _store.Decisions.ApplyAsync(ladder with { Window = "w6" }, "rule");
        Assert.Equal(0, fresh.Decision!.Level);
    }

    [Fact]
    public async Task A_decision_expires_on_its_own_and_journals_its_release_effect_once()
    {
        var d = (await _store.Decisions.ApplyAsync(Penalty(), "rule")).Decision!;
        Clock.Advance(TimeSpan.FromHours(1));

        Assert.Empty(await _store.Decisions.ListAsync());   // past its end even before the sweep
        Assert.Equal(1, await _store.Decisions.ExpireDueAsync());
        Assert.Equal(0, await _store.Decisions.ExpireDueAsync());
        var expired = (await _store.Decisions.GetAsync(d.Id))!;
        Assert.Equal((DecisionState.Expired, d.Expires, "system"), (expired.State, expired.Ended, expired.EndedBy));
        Assert.Equal(["expire", "create"], (await _store.Audit.ListAsync(d.Id)).Select(a => a.Action));
        Assert.Equal(["apply", "release"], (await _store.Outbox.ListAsync(d.Id)).Select(e => e.Transition));
    }

    [Fact]
    public async Task A_release_by_hand_records_who_and_why_and_a_second_release_does_nothing()
    {
        var d = (await _store.Decisions.ApplyAsync(Penalty(), "rule")).Decision!;
        Clock.Advance(TimeSpan.FromMinutes(10));
        var released = await _store.Decisions.ReleaseAsync(d.Id, "alice", "false positive: scanner");

        Assert.Equal((DecisionState.Released, "alice", "false positive: scanner", Clock.Now), (released!.State, released.EndedBy, released.EndReason, released.Ended!.Value));
        Assert.Null(await _store.Decisions.ReleaseAsync(d.Id, "bob", "again"));
        var entry = (await _store.Audit.ListAsync(d.Id))[0];
        Assert.Equal(("alice", "release", "false positive: scanner"), (entry.Actor, entry.Action, entry.Reason));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.Decisions.ReleaseAsync(d.Id, "alice", " "));
        Assert.Empty(await _store.Decisions.ListAsync());
        Assert.Single(await _store.Decisions.ListAsync(new DecisionQuery { States = [DecisionState.Released] }));
    }

    [Fact]
    public async Task Extending_by_hand_counts_from_the_current_end_and_can_make_it_permanent()
    {
        var d = (await _store.Decisions.ApplyAsync(Penalty(), "rule")).Decision!;
        var longer = await _store.Decisions.ExtendAsync(d.Id, TimeSpan.FromHours(2), "alice", "still scanning");
        Assert.Equal(d.Expires!.Value.AddHours(2), longer!.Expires);
        var forever = await _store.Decisions.ExtendAsync(d.Id, null, "alice", "known attacker");
        Assert.True(forever!.IsPermanent);
        Clock.Advance(TimeSpan.FromDays(400));
        Assert.Equal(0, await _store.Decisions.ExpireDueAsync());
        Assert.Single(await _store.Decisions.ListAsync());
    }

    [Fact]
    public async Task The_lifecycle_survives_restarts_between_its_steps()
    {
        var d = (await _store.Decisions.ApplyAsync(Penalty(window: "w1"), "rule")).Decision!;
        await ReopenAsync();
        Assert.Equal(DecisionOutcomeKind.Duplicate, (await _store.Decisions.ApplyAsync(Penalty(window: "w1"), "rule")).Kind);
        Assert.Equal(DecisionOutcomeKind.Extended, (await _store.Decisions.ApplyAsync(Penalty(window: "w2"), "rule")).Kind);
        await ReopenAsync();
        await _store.Decisions.ReleaseAsync(d.Id, "alice", "done");
        await ReopenAsync();
        Assert.Equal(DecisionState.Released, (await _store.Decisions.GetAsync(d.Id))!.State);
        Assert.Equal(["release", "extend", "create"], (await _store.Audit.ListAsync(d.Id)).Select(a => a.Action));
    }

    [Fact]
    public async Task Effects_run_exactly_once_across_a_crash_between_the_transition_and_the_effect()
    {
        var d = (await _store.Decisions.ApplyAsync(Penalty(), "rule")).Decision!;
        // crash: the transition committed, its effect never ran
        await ReopenAsync();
        Assert.Equal(1, await Runner().RunOnceAsync());
        await ReopenAsync();
        Assert.Equal(0, await Runner().RunOnceAsync());

        await _store.Decisions.ReleaseAsync(d.Id, "alice", "fixed");
        await ReopenAsync();
        // two runners (two nodes) racing for the same entries
        var ran = await Task.WhenAll(Runner().RunOnceAsync(), Runner().RunOnceAsync());
        Assert.Equal(1, ran.Sum());

        var apply = Assert.Single(_apply.Runs);
        var release = Assert.Single(_release.Runs);
        Assert.Equal(($"{d.Id}:apply:0", "203.0.113.7", "203.0.113.7"), (apply.Key, apply.Values["value"], apply.Event.GetString("source.ip")));
        Assert.Equal(("released", "ssh-bruteforce"), (release.Values["state"], release.Rule));
        Assert.All(await _store.Outbox.ListAsync(d.Id), e => Assert.Equal(OutboxState.Done, e.State));
    }

    [Fact]
    public async Task A_failing_effect_is_retried_later_and_a_final_failure_is_recorded()
    {
        _apply.FailuresLeft = 1;
        await _store.Decisions.ApplyAsync(Penalty(), "rule");
        Assert.Equal(1, await Runner().RunOnceAsync());
        Assert.Empty(_apply.Runs);
        Assert.Equal(0, await Runner().RunOnceAsync());   // not before the retry delay
        Clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(1, await Runner().RunOnceAsync());
        Assert.Single(_apply.Runs);
        var entry = Assert.Single(await _store.Outbox.ListAsync());
        Assert.Equal((OutboxState.Done, 2), (entry.State, entry.Attempts));

        _apply.FailuresLeft = 1;
        _apply.FailRetryable = false;
        await _store.Decisions.ApplyAsync(Penalty(value: "198.51.100.1"), "rule");
        await Runner().RunOnceAsync();
        var failed = Assert.Single(await _store.Outbox.ListAsync(state: OutboxState.Failed));
        Assert.Equal("receiver said no", failed.LastError);
    }

    [Fact]
    public async Task A_release_effect_waits_until_the_apply_effect_of_the_same_decision_is_done()
    {
        _apply.FailuresLeft = 1;
        var d = (await _store.Decisions.ApplyAsync(Penalty(), "rule")).Decision!;
        await Runner().RunOnceAsync();
        await _store.Decisions.ReleaseAsync(d.Id, "alice", "fixed");
        Assert.Equal(0, await Runner().RunOnceAsync());
        Assert.Empty(_release.Runs);
        Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(2, await Runner().RunOnceAsync());
        Assert.Single(_release.Runs);
    }

    [Fact]
    public async Task Allow_listed_addresses_ranges_and_users_are_never_penalised()
    {
        var allow = new AllowList([IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("2001:db8:aaaa::/48")], ["Alice"]);
        var request = Penalty() with { Allow = allow };
        Assert.Equal(DecisionOutcomeKind.AllowListed, (await _store.Decisions.ApplyAsync(request with { Value = "10.1.2.3" }, "rule")).Kind);
        Assert.Equal(DecisionOutcomeKind.AllowListed, (await _store.Decisions.ApplyAsync(request with { Value = "2001:db8:aaaa:1::5" }, "rule")).Kind);
        Assert.Equal(DecisionOutcomeKind.AllowListed, (await _store.Decisions.ApplyAsync(request with { Scope = "range", Value = "10.0.0.0/7" }, "rule")).Kind);
        Assert.Equal(DecisionOutcomeKind.AllowListed, (await _store.Decisions.ApplyAsync(request with { Scope = "user", Value = "alice" }, "rule")).Kind);
        Assert.Equal(DecisionOutcomeKind.Created, (await _store.Decisions.ApplyAsync(request with { Value = "11.0.0.1" }, "rule")).Kind);
        Assert.Single(await _store.Decisions.ListAsync(new DecisionQuery { States = [DecisionState.Active, DecisionState.Released, DecisionState.Expired] }));

        // the store-wide list from storage.allow applies to every rule
        await using var guarded = await _db.OpenAsync(_db.Options with { Allow = new AllowList([IPNetwork.Parse("192.0.2.0/24")], []) });
        Assert.Equal(DecisionOutcomeKind.AllowListed, (await guarded.Decisions.ApplyAsync(Penalty(value: "192.0.2.9"), "rule")).Kind);
    }

    [Fact]
    public async Task After_a_release_the_same_rule_leaves_the_entity_alone_for_the_grace_period()
    {
        var request = Penalty() with { Grace = TimeSpan.FromHours(2) };
        var d = (await _store.Decisions.ApplyAsync(request with { Window = "w1" }, "rule")).Decision!;
        await _store.Decisions.ReleaseAsync(d.Id, "alice", "user changed password");

        Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(DecisionOutcomeKind.InGrace, (await _store.Decisions.ApplyAsync(request with { Window = "w2" }, "rule")).Kind);
        Assert.Equal(DecisionOutcomeKind.Created, (await _store.Decisions.ApplyAsync(request with { Window = "w2", Rule = "other-rule" }, "rule")).Kind);
        Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(DecisionOutcomeKind.Created, (await _store.Decisions.ApplyAsync(request with { Window = "w3" }, "rule")).Kind);
    }

    [Fact]
    public async Task Self_release_is_allowed_at_most_max_times_then_only_the_helpdesk_can_release()
    {
        var request = Penalty() with { SelfReleaseMax = 1 };
        var first = (await _store.Decisions.ApplyAsync(request with { Window = "w1" }, "rule")).Decision!;
        Assert.NotNull(await _store.Decisions.SelfReleaseAsync(first.Id, "self:203.0.113.7", "I changed my password"));
        Assert.Equal("self_release", (await _store.Audit.ListAsync(first.Id))[0].Action);

        var second = (await _store.Decisions.ApplyAsync(request with { Window = "w2" }, "rule")).Decision!;
        Assert.Equal(1, await _store.Decisions.SelfReleasesUsedAsync(second));
        await Assert.ThrowsAsync<SelfReleaseRefusedException>(() => _store.Decisions.SelfReleaseAsync(second.Id, "self:203.0.113.7", "again"));
        Assert.Equal(DecisionState.Active, (await _store.Decisions.GetAsync(second.Id))!.State);
        Assert.NotNull(await _store.Decisions.ReleaseAsync(second.Id, "helpdesk-bob", "verified by phone"));

        var none = (await _store.Decisions.ApplyAsync(Penalty(value: "198.51.100.2"), "rule")).Decision!;
        await Assert.ThrowsAsync<SelfReleaseRefusedException>(() => _store.Decisions.SelfReleaseAsync(none.Id, "self", "please"));
    }

    [Fact]
    public async Task A_visitor_sees_its_own_decisions_highest_priority_first_and_ipv6_is_grouped_by_64()
    {
        await _store.Decisions.ApplyAsync(Penalty(value: "2001:db8:1:2::10", rule: "low") with { Priority = 1 }, "rule");
        await _store.Decisions.ApplyAsync(Penalty(value: "2001:db8:1:2::99", rule: "high") with { Priority = 9 }, "rule");
        await _store.Decisions.ApplyAsync(Penalty(rule: "user-rule") with { Scope = "user", Value = "Mallory", Priority = 5 }, "rule");
        await _store.Decisions.ApplyAsync(Penalty(value: "198.51.100.0/24", rule: "net") with { Scope = "range", Priority = 3 }, "rule");

        var mine = await _store.Decisions.ActiveForAsync(IPAddress.Parse("2001:db8:1:2::abcd"), "mallory");
        Assert.Equal(["high", "user-rule", "low"], mine.Select(d => d.Rule));
        Assert.Equal("2001:db8:1:2::/64", mine[0].Value);
        Assert.Empty(await _store.Decisions.ActiveForAsync(IPAddress.Parse("2001:db8:1:3::1"), null));
        Assert.Equal(["net"], (await _store.Decisions.ActiveForAsync(IPAddress.Parse("198.51.100.77"), null)).Select(d => d.Rule));
    }

    [Fact]
    public async Task Values_that_do_not_fit_their_scope_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.Decisions.ApplyAsync(Penalty(value: "not-an-ip"), "rule"));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.Decisions.ApplyAsync(Penalty() with { Scope = "mac", Value = "zz:zz" }, "rule"));
        var mac = await _store.Decisions.ApplyAsync(Penalty() with { Scope = "mac", Value = "AA-BB-CC-00-11-22" }, "rule");
        Assert.Equal("aa:bb:cc:00:11:22", mac.Decision!.Value);
    }
}
