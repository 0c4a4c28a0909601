using System.Text.Json;
using Gumshoe.Engine.Decisions;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Storage;

namespace Gumshoe.Engine.Tests.Storage;

public sealed class StoreSqliteTests : StoreTests<SqliteTestDatabase>;

public sealed class StorePostgresTests : StoreTests<PostgresTestDatabase>;

/// <summary>Migrations, alerts, state, users, tokens, retention and export, run against each backend.</summary>
public abstract class StoreTests<TDb> : IAsyncLifetime where TDb : TestDatabase, new()
{
    private TDb _db = null!;

    public Task InitializeAsync()
    {
        _db = new TDb();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _db.DisposeAsync().AsTask();

    private static Alert SampleAlert(string ip = "203.0.113.7", int minute = 0) => new()
    {
        Rule = "ssh-bruteforce", Group = [new("source.ip", ip)], Count = 5, Title = $"brute force from {ip}",
        FirstSeen = new DateTimeOffset(2024, 5, 1, 10, minute, 0, TimeSpan.Zero), LastSeen = new DateTimeOffset(2024, 5, 1, 10, minute + 1, 0, TimeSpan.Zero),
        Events = [new EventRef(new DateTimeOffset(2024, 5, 1, 10, minute, 0, TimeSpan.Zero), "/var/log/auth.log", 1234)],
    };

    [Fact]
    public async Task Migrations_run_once_and_reopening_applies_nothing()
    {
        await using (var store = await _db.OpenAsync())
            Assert.Equal(Migrations.All.Select(m => m.Version), await Migrations.AppliedAsync(store.Database, default));
        await using var again = await _db.OpenAsync();
        Assert.Equal(0, await Migrations.ApplyAsync(again.Database, default));
        Assert.Equal(Migrations.All.Select(m => m.Version), await Migrations.AppliedAsync(again.Database, default));
    }

    [Fact]
    public async Task Concurrent_starters_apply_each_migration_exactly_once()
    {
        var databases = Enumerable.Range(0, 6).Select(_ => Database.Create(_db.Options, _db.DataDirectory)).ToList();
        try
        {
            var applied = await Task.WhenAll(databases.Select(d => Task.Run(() => Migrations.ApplyAsync(d, default))));
            Assert.Equal(Migrations.All.Count, applied.Sum());
            Assert.Equal(Migrations.All.Select(m => m.Version), await Migrations.AppliedAsync(databases[0], default));
        }
        finally
        {
            foreach (var d in databases) await d.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_alert_is_stored_once_and_exported_exactly_as_alerts_out_writes_it()
    {
        await using var store = await _db.OpenAsync();
        var alert = SampleAlert();
        var e = new Gumshoe.Engine.Events.Event { Timestamp = alert.FirstSeen };
        e.Set("source.ip", "203.0.113.7");
        Assert.True(await store.Alerts.AddAsync(alert, [e]));
        Assert.False(await store.Alerts.AddAsync(alert, [e]));
        Assert.True(await store.Alerts.AddAsync(SampleAlert(minute: 5)));

        var exported = new List<string>();
        await foreach (var line in store.Alerts.ExportAsync()) exported.Add(line);
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) alert.WriteJson(w);
        Assert.Equal(2, exported.Count);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(buffer.ToArray()), exported[0]);

        var stored = (await store.Alerts.GetAsync(alert.Id))!;
        Assert.Equal(("ssh-bruteforce", "source.ip=203.0.113.7", alert.FirstSeen), (stored.Rule, stored.GroupKey, stored.FirstSeen));
        var events = await store.Alerts.EventsAsync(alert.Id);
        Assert.Contains("203.0.113.7", Assert.Single(events));
        Assert.Equal(2, (await store.Alerts.ListAsync(rule: "ssh-bruteforce")).Count);
    }

    [Fact]
    public async Task State_entries_are_versioned_and_a_stale_writer_loses()
    {
        await using var store = await _db.OpenAsync();
        await store.State.SetAsync(new Dictionary<string, string> { ["checkpoint/auth"] = """{"offset":10}""", ["rules/ssh"] = "{}" });
        await store.State.SetAsync(new Dictionary<string, string> { ["checkpoint/auth"] = """{"offset":20}""" });
        var entry = (await store.State.GetAsync("checkpoint/auth"))!;
        Assert.Equal((2L, """{"offset":20}"""), (entry.Version, entry.Json));
        Assert.Equal(["checkpoint/auth"], (await store.State.ListAsync("checkpoint/")).Select(s => s.Key));

        Assert.Equal(3L, await store.State.TrySetAsync("checkpoint/auth", """{"offset":30}""", 2));
        Assert.Null(await store.State.TrySetAsync("checkpoint/auth", """{"offset":25}""", 2));
        Assert.Equal(1L, await store.State.TrySetAsync("partition/7", "{}", 0));
        Assert.Null(await store.State.TrySetAsync("partition/7", "{}", 0));
        Assert.True(await store.State.DeleteAsync("partition/7"));
    }

    [Fact]
    public async Task Passwords_are_stored_as_pbkdf2_hashes_and_verified_by_name_and_password()
    {
        await using var store = await _db.OpenAsync();
        Assert.True(await store.Users.AddAsync("carol", UserRole.Helpdesk, "correct horse battery"));
        Assert.False(await store.Users.AddAsync("carol", UserRole.Admin, "another long password"));
        await Assert.ThrowsAsync<ArgumentException>(() => store.Users.AddAsync("dave", UserRole.Viewer, "short"));
        await Assert.ThrowsAsync<ArgumentException>(() => store.Users.AddAsync("bad name", UserRole.Viewer, "long enough password"));

        Assert.Equal(UserRole.Helpdesk, (await store.Users.VerifyPasswordAsync("carol", "correct horse battery"))!.Role);
        Assert.Null(await store.Users.VerifyPasswordAsync("carol", "correct horse batterY"));
        Assert.Null(await store.Users.VerifyPasswordAsync("nobody", "correct horse battery"));

        var export = await ExportAsync(store);
        var hash = export.Single(r => r.Table == "users").Row.GetProperty("password_hash").GetString()!;
        Assert.StartsWith($"pbkdf2-sha256${PasswordHash.DefaultIterations}$", hash);
        Assert.DoesNotContain("correct horse", string.Join("\n", export.Select(r => r.Row.GetRawText())));
    }

    [Fact]
    public async Task An_api_token_is_shown_once_stored_only_as_a_hash_and_can_be_revoked()
    {
        await using var store = await _db.OpenAsync();
        await store.Users.AddAsync("ops", UserRole.Admin, "a very long password");
        var (token, info) = (await store.Users.CreateTokenAsync("ops", "ci"))!.Value;
        Assert.Null(await store.Users.CreateTokenAsync("ghost"));

        Assert.Equal("ops", (await store.Users.VerifyTokenAsync(token))!.Name);
        Assert.Null(await store.Users.VerifyTokenAsync(token + "x"));
        Assert.NotNull(Assert.Single(await store.Users.TokensAsync("ops")).LastUsed);
        Assert.DoesNotContain(token, string.Join("\n", (await ExportAsync(store)).Select(r => r.Row.GetRawText())));

        Assert.True(await store.Users.RevokeTokenAsync(info.Id));
        Assert.Null(await store.Users.VerifyTokenAsync(token));
    }

    [Fact]
    public async Task The_first_run_creates_an_admin_once_with_a_private_password_file()
    {
        await using var store = await _db.OpenAsync();
        var password = await store.EnsureFirstAdminAsync(_db.DataDirectory);
        Assert.NotNull(password);
        var file = Path.Combine(_db.DataDirectory, "initial-admin-password");
        Assert.Equal(password, File.ReadAllText(file).Trim());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(file));
        Assert.Equal(UserRole.Admin, (await store.Users.VerifyPasswordAsync("admin", password!))!.Role);
        Assert.Null(await store.EnsureFirstAdminAsync(_db.DataDirectory));
    }

    [Fact]
    public async Task The_retention_sweep_removes_old_alerts_audit_entries_and_ended_decisions_only()
    {
        var options = _db.Options with { Retention = new RetentionOptions(TimeSpan.FromDays(90), TimeSpan.FromDays(365), TimeSpan.FromDays(30)) };
        await using var store = await _db.OpenAsync(options);
        await store.Alerts.AddAsync(SampleAlert(minute: 1));
        var request = new DecisionRequest { Scope = "ip", Value = "203.0.113.1", Reason = "r", Rule = "rule", Window = "w" };
        var ended = (await store.Decisions.ApplyAsync(request, "rule")).Decision!;
        await store.Decisions.ReleaseAsync(ended.Id, "alice", "ok");
        var permanent = (await store.Decisions.ApplyAsync(request with { Value = "203.0.113.2", Steps = [null] }, "rule")).Decision!;

        _db.Clock.Advance(TimeSpan.FromDays(31));
        await store.Alerts.AddAsync(SampleAlert(minute: 2));
        var first = await store.Retention.RunAsync();
        Assert.Equal((0, 0, 1), (first.Alerts, first.Audit, first.Decisions));
        Assert.Null(await store.Decisions.GetAsync(ended.Id));
        Assert.NotNull(await store.Decisions.GetAsync(permanent.Id));

        _db.Clock.Advance(TimeSpan.FromDays(60));
        Assert.Equal(1, (await store.Retention.RunAsync()).Alerts);
        Assert.Equal(1L, await store.Alerts.CountAsync());
        _db.Clock.Advance(TimeSpan.FromDays(300));
        Assert.Equal(3, (await store.Retention.RunAsync()).Audit);
        Assert.NotNull(await store.Decisions.GetAsync(permanent.Id));
    }

    [Fact]
    public async Task The_export_writes_every_table_as_json_lines_with_table_and_row()
    {
        await using var store = await _db.OpenAsync();
        await store.Alerts.AddAsync(SampleAlert());
        await store.Decisions.ApplyAsync(new DecisionRequest { Scope = "user", Value = "eve", Reason = "r", Rule = "rule", Window = "w", OnApply = ["x"] }, "rule");
        await store.State.SetAsync(new Dictionary<string, string> { ["k"] = "{}" });
        var rows = await ExportAsync(store);

        Assert.Equal(["schema_migrations", "alerts", "decisions", "decision_triggers", "decision_history", "audit", "outbox", "state"],
            rows.Select(r => r.Table).Distinct());
        var decision = rows.Single(r => r.Table == "decisions").Row;
        Assert.Equal(("eve", "active"), (decision.GetProperty("value").GetString(), decision.GetProperty("state").GetString()));
        Assert.Equal(JsonValueKind.Number, decision.GetProperty("created_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, decision.GetProperty("ended_at").ValueKind);
    }

    private static async Task<List<(string Table, JsonElement Row)>> ExportAsync(GumshoeStore store)
    {
        var buffer = new MemoryStream();
        await DatabaseExport.WriteAsync(store.Database, buffer);
        var lines = System.Text.Encoding.UTF8.GetString(buffer.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return [.. lines.Select(l => JsonDocument.Parse(l).RootElement).Select(e => (e.GetProperty("table").GetString()!, e.GetProperty("row").Clone()))];
    }
}
