using System.Diagnostics;
using System.Text.Json;
using Gumshoe.Engine.Storage;
using Gumshoe.Engine.Tests.Storage;

namespace Gumshoe.Engine.Tests.Decisions;

/// <summary>The store commands, run as the real CLI process (SQLite in a data directory, PostgreSQL through a config).</summary>
public sealed class DecisionsCliTests : IAsyncDisposable
{
    private readonly SqliteTestDatabase _db = new();

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    private static (int Code, string Out, string Err) Gumshoe(string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gumshoe.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Decisions_can_be_added_listed_as_json_extended_and_released_from_the_command_line()
    {
        var dir = _db.DataDirectory;
        var add = Gumshoe(dir, "decisions", "add", "--scope", "ip", "--value", "203.0.113.50", "--duration", "2h", "--reason", "port scan", "--data-dir", dir);
        Assert.True(add.Code == 0, add.Err);
        var id = add.Out.Trim();

        var list = Gumshoe(dir, "decisions", "list", "--json", "--data-dir", dir);
        var line = Assert.Single(list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var json = JsonDocument.Parse(line).RootElement;
        foreach (var key in new[] { "id", "scope", "value", "reason", "rule", "created", "expires", "state" }) Assert.True(json.TryGetProperty(key, out _), key);
        Assert.Equal((id, "ip", "203.0.113.50", "port scan", "manual", "active"),
            (json.GetProperty("id").GetString(), json.GetProperty("scope").GetString(), json.GetProperty("value").GetString(),
             json.GetProperty("reason").GetString(), json.GetProperty("rule").GetString(), json.GetProperty("state").GetString()));
        Assert.Equal("", list.Err);

        Assert.Equal(0, Gumshoe(dir, "decisions", "extend", id, "--duration", "1h", "--data-dir", dir).Code);
        var noReason = Gumshoe(dir, "decisions", "release", id, "--data-dir", dir);
        Assert.NotEqual(0, noReason.Code);
        Assert.Equal(0, Gumshoe(dir, "decisions", "release", id, "--reason", "scanner is ours", "--by", "alice", "--data-dir", dir).Code);
        Assert.Equal("", Gumshoe(dir, "decisions", "list", "--json", "--data-dir", dir).Out);
        var all = Gumshoe(dir, "decisions", "list", "--json", "--all", "--data-dir", dir).Out;
        Assert.Equal("released", JsonDocument.Parse(all).RootElement.GetProperty("state").GetString());
        Assert.Equal(1, Gumshoe(dir, "decisions", "release", "d-nope", "--reason", "x", "--data-dir", dir).Code);

        var export = Gumshoe(dir, "db", "export", "--data-dir", dir);
        var tables = export.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("table").GetString()).ToHashSet();
        Assert.Contains("decisions", tables);
        Assert.Contains("audit", tables);
        Assert.Contains("alice", export.Out);
    }

    [Fact]
    public void Users_get_a_generated_password_or_one_from_a_file_and_tokens_are_printed_once()
    {
        var dir = _db.DataDirectory;
        var generated = Gumshoe(dir, "users", "add", "helen", "--role", "helpdesk", "--data-dir", dir);
        Assert.True(generated.Code == 0, generated.Err);
        Assert.Matches("password for helen \\(shown once\\): \\S{24}", generated.Out);
        var pwFile = Path.Combine(dir, "pw");
        File.WriteAllText(pwFile, "a sufficiently long password\n");
        Assert.Equal(0, Gumshoe(dir, "users", "add", "vic", "--role", "viewer", "--password-file", pwFile, "--data-dir", dir).Code);
        Assert.NotEqual(0, Gumshoe(dir, "users", "add", "x", "--role", "root", "--data-dir", dir).Code);
        var token = Gumshoe(dir, "users", "token", "helen", "--data-dir", dir).Out.Trim();
        Assert.StartsWith("gst_", token);
        var users = Gumshoe(dir, "users", "list", "--data-dir", dir).Out;
        Assert.Contains("helen\thelpdesk", users);
        Assert.Contains("vic\tviewer", users);
    }

    [Fact]
    public async Task Alerts_export_prints_only_the_stored_alerts_on_stdout_also_from_postgresql()
    {
        await using var pg = new PostgresTestDatabase();
        await using (var store = await pg.OpenAsync())
            await store.Alerts.AddAsync(new Engine.Rules.Alert
            {
                Rule = "ssh-bruteforce", Group = [new("source.ip", "198.51.100.4")], Count = 5,
                FirstSeen = DateTimeOffset.UnixEpoch, LastSeen = DateTimeOffset.UnixEpoch.AddMinutes(1),
            });
        var config = Path.Combine(_db.DataDirectory, "cluster.yml");
        File.WriteAllText(config, "storage:\n  type: postgres\n  connection_string: ${GUMSHOE_POSTGRES_UNDER_TEST}\n");
        Environment.SetEnvironmentVariable("GUMSHOE_POSTGRES_UNDER_TEST", pg.ConnectionString);
        var export = Gumshoe(_db.DataDirectory, "alerts", "export", "-c", config);
        Assert.True(export.Code == 0, export.Err);
        var alert = JsonDocument.Parse(Assert.Single(export.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal(("ssh-bruteforce", "198.51.100.4"), (alert.GetProperty("rule").GetString(), alert.GetProperty("group").GetProperty("source.ip").GetString()));
        Assert.Contains("exported 1 alerts from the postgres store", export.Err);
    }
}
