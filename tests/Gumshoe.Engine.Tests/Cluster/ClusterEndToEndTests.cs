using System.Diagnostics;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Tests.Inputs;
using Gumshoe.Engine.Tests.Inputs.Saas;
using Gumshoe.Engine.Tests.Parsers;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Gumshoe.Engine.Tests.Cluster;

[CollectionDefinition(nameof(ClusterEndToEndTests), DisableParallelization = true)]
public sealed class ClusterEndToEndCollection;

/// <summary>
/// The scale-out contract end to end, with real processes: a three-node JetStream cluster, PostgreSQL, two
/// collectors tailing halves of a real sshd log as it is written, two analysers and a responder, all started from
/// <c>examples/cluster.yml</c>; one analyser and one broker node are killed mid-stream. The alerts (from
/// <c>gumshoe alerts export</c>) and decisions must be exactly those of a single process running the same rule.
/// </summary>
[Collection(nameof(ClusterEndToEndTests))]
public sealed class ClusterEndToEndTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-cluster-").FullName;
    private readonly string _schema = "cluster_" + Guid.NewGuid().ToString("N")[..10];
    private readonly List<(string Name, Process Process)> _processes = [];
    private readonly List<string> _output = [];
    private NatsTestCluster? _nats;
    private string _postgres = "";

    public async Task InitializeAsync()
    {
        var admin = Environment.GetEnvironmentVariable("GUMSHOE_TEST_POSTGRES")
            ?? throw new InvalidOperationException("GUMSHOE_TEST_POSTGRES is not set: run the tests through scripts/test.sh, which starts PostgreSQL");
        await using (var conn = new NpgsqlConnection(admin))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE SCHEMA {_schema}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        _postgres = new NpgsqlConnectionStringBuilder(admin) { SearchPath = _schema }.ToString();
        _nats = await NatsTestCluster.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var (_, p) in _processes)
        {
            try { if (!p.HasExited) { p.Kill(entireProcessTree: true); await p.WaitForExitAsync(); } } catch (InvalidOperationException) { }
            p.Dispose();
        }
        if (_nats is not null) await _nats.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Two_collectors_two_analysers_and_a_responder_survive_an_analyser_and_a_broker_kill_with_the_single_process_result()
    {
        var config = Path.Combine(SaasPollerTests.RepoRoot(), "examples", "cluster.yml");
        // the single-process reference: the same rule and decision, the embedded store
        var single = Path.Combine(_dir, "single.yml");
        var text = File.ReadAllText(config);
        File.WriteAllText(single, text[..text.IndexOf("\nstorage:", StringComparison.Ordinal)] + "\n");

        var lines = File.ReadAllLines(SharedData.File("logs/OpenSSH_2k.log"));
        string a = Path.Combine(_dir, "a.log"), b = Path.Combine(_dir, "b.log"), all = Path.Combine(_dir, "all.log");
        foreach (var f in new[] { a, b, all }) File.WriteAllText(f, "");

        Start("single", all, "run", "-c", single, "--data-dir", Path.Combine(_dir, "single"), "--alerts-out", Path.Combine(_dir, "single-alerts.jsonl"));
        var analyser1 = Start("analyze-1", null, "run", "-c", config, "--mode", "analyze", "--data-dir", Path.Combine(_dir, "an1"));
        Start("analyze-2", null, "run", "-c", config, "--mode", "analyze", "--data-dir", Path.Combine(_dir, "an2"));
        Start("respond", null, "run", "-c", config, "--mode", "respond", "--data-dir", Path.Combine(_dir, "re1"));
        Start("collect-a", a, "run", "-c", config, "--mode", "collect", "--data-dir", Path.Combine(_dir, "c1"));
        Start("collect-b", b, "run", "-c", config, "--mode", "collect", "--data-dir", Path.Combine(_dir, "c2"));

        // Every member up before the first line: this test is about kills mid-stream. A collector that starts after a
        // partition has had the other's events for collector_grace is late by design, and under the full suite's load
        // a start can take that long (the missing alerts were then always from the first chunks).
        var members = await WaitForAsync(async () => JsonNode.Parse(await RunCliAsync("cluster", "status", "-c", config, "--json"))!["members"]!.AsArray()
            .Select(m => (string)m!["role"]!).ToList(), r => r.Count(x => x == "collect") == 2 && r.Count(x => x == "analyze") == 2 && r.Contains("respond"), TimeSpan.FromSeconds(90));
        Assert.True(members.Count(x => x == "collect") == 2 && members.Count(x => x == "analyze") == 2, $"members: {string.Join(", ", members)}\n{Story()}");
        await Task.Delay(2000); // each collector's first checkpoint announces it to every partition

        // the log is written as it happens: odd lines to one collector's file, even lines to the other's
        const int Chunks = 20;
        var per = (lines.Length + Chunks - 1) / Chunks;
        for (var c = 0; c < Chunks; c++)
        {
            var chunk = lines.Skip(c * per).Take(per).ToArray();
            var offset = c * per;
            File.AppendAllLines(a, chunk.Where((_, i) => (offset + i) % 2 == 0));
            File.AppendAllLines(b, chunk.Where((_, i) => (offset + i) % 2 == 1));
            File.AppendAllLines(all, chunk);
            if (c == 7) analyser1.Kill();   // SIGKILL: its partitions move once its lease runs out
            if (c == 11) _nats!.Kill(1);      // a broker node: publishes and consumers fail over
            await Task.Delay(c < 3 ? 1500 : 500);
        }

        var expected = await WaitForAsync(() => Task.FromResult(ReadAlerts(File.Exists(Path.Combine(_dir, "single-alerts.jsonl"))
            ? File.ReadAllLines(Path.Combine(_dir, "single-alerts.jsonl")) : [])), x => x.Count >= 12, TimeSpan.FromSeconds(60));
        Assert.Equal(12, expected.Count); // what the rule finds in the sample (see the ssh-bruteforce contract)
        var got = await WaitForAsync(ExportAsync, x => x.SetEquals(expected), TimeSpan.FromSeconds(120));
        Assert.True(got.SetEquals(expected), Diff(expected, got) + "\n" + Story());

        var expectedDecisions = await WaitForAsync(() => SqliteDecisionsAsync(Path.Combine(_dir, "single", "gumshoe.db")), x => x.Triggers == 12, TimeSpan.FromSeconds(30));
        var gotDecisions = await WaitForAsync(PostgresDecisionsAsync, x => x.Triggers >= expectedDecisions.Triggers && x.Decisions.SetEquals(expectedDecisions.Decisions), TimeSpan.FromSeconds(60));
        Assert.Equal(expectedDecisions.Triggers, gotDecisions.Triggers);
        Assert.Equal(expectedDecisions.Decisions.Order(), gotDecisions.Decisions.Order());

        // the status command sees both live members' work: every partition is owned by the surviving analyser
        var status = await RunCliAsync("cluster", "status", "-c", config, "--json");
        var report = JsonNode.Parse(status)!;
        Assert.All(report["partitions"]!.AsArray(), p => Assert.True((bool)p!["lease_live"]!));
        Assert.Single(report["partitions"]!.AsArray().Select(p => (string?)p!["owner"]).Distinct());
    }

    private static HashSet<string> ReadAlerts(IEnumerable<string> jsonLines) =>
        jsonLines.Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!)
            .Select(x => $"{x["id"]} {x["rule"]} {x["group"]!.ToJsonString()} {x["first_seen"]} {x["last_seen"]} {x["count"]} {x["title"]}").ToHashSet();

    private async Task<HashSet<string>> ExportAsync() => ReadAlerts((await RunCliAsync("alerts", "export", "-c",
        Path.Combine(SaasPollerTests.RepoRoot(), "examples", "cluster.yml"))).Split('\n'));

    // the members' own words (warnings and errors first), for a failure that happened between them
    private string Story()
    {
        lock (_output)
        {
            var notable = _output.Where(l => l.Contains("warn", StringComparison.OrdinalIgnoreCase) || l.Contains("fail", StringComparison.OrdinalIgnoreCase)
                || l.Contains("error", StringComparison.OrdinalIgnoreCase) || l.Contains("exception", StringComparison.OrdinalIgnoreCase)).TakeLast(40);
            return "members said:\n" + string.Join('\n', notable) + "\nlast lines:\n" + string.Join('\n', _output.TakeLast(40));
        }
    }

    private static string Diff(HashSet<string> expected, HashSet<string> got) =>
        $"missing: {string.Join(" | ", expected.Except(got))}; unexpected: {string.Join(" | ", got.Except(expected))}";

    private sealed record DecisionSet(HashSet<string> Decisions, long Triggers);

    private static async Task<DecisionSet> SqliteDecisionsAsync(string path)
    {
        if (!File.Exists(path)) return new([], 0);
        await using var conn = new SqliteConnection($"Data Source={path};Mode=ReadOnly");
        await conn.OpenAsync();
        return await DecisionsAsync(conn);
    }

    private async Task<DecisionSet> PostgresDecisionsAsync()
    {
        await using var conn = new NpgsqlConnection(_postgres);
        await conn.OpenAsync();
        return await DecisionsAsync(conn);
    }

    private static async Task<DecisionSet> DecisionsAsync(System.Data.Common.DbConnection conn)
    {
        var set = new HashSet<string>();
        await using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = "SELECT scope, value, rule, level, state, reason FROM decisions";
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) set.Add($"{r.GetString(0)} {r.GetString(1)} {r.GetString(2)} {r.GetValue(3)} {r.GetString(4)} {r.GetString(5)}");
        }
        await using var count = conn.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM decision_triggers";
        return new(set, Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            T value;
            try { value = await read(); }
            catch (Exception ex) when (ex is NpgsqlException or SqliteException or InvalidOperationException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
                continue;
            }
            if (done(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(500);
        }
    }

    private Dictionary<string, string> Environment_(string? input) => new()
    {
        ["GUMSHOE_NATS_URL"] = _nats!.Urls,
        ["GUMSHOE_POSTGRES"] = _postgres,
        ["GUMSHOE_INPUT"] = input ?? Path.Combine(_dir, "none.log"),
    };

    private Process Start(string name, string? input, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gumshoe.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--metrics-listen");
        psi.ArgumentList.Add($"127.0.0.1:{Loopback.FreePort()}");
        foreach (var (k, v) in Environment_(input)) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.Add($"{name}: {e.Data}"); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.Add($"{name}: {e.Data}"); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _processes.Add((name, p));
        return p;
    }

    private async Task<string> RunCliAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gumshoe.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Environment_(null)) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"gumshoe {string.Join(' ', args)} exited {p.ExitCode}: {await stderr}");
        return await stdout;
    }
}
