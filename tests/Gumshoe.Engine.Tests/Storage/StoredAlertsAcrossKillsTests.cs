using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Tests.Parsers;

namespace Gumshoe.Engine.Tests.Storage;

/// <summary>Runs alone: it starts and SIGKILLs real processes on timers.</summary>
[CollectionDefinition(nameof(StoredAlertsAcrossKillsTests), DisableParallelization = true)]
public sealed class StoredAlertsAcrossKillsCollection;

/// <summary>
/// The penalty box's store across crashes, through the real CLI: a live run with SQLite storage is SIGKILLed several
/// times while its log grows; afterwards the store holds exactly the alerts of <c>--alerts-out</c> (each once, none
/// lost to a kill between the checkpoint and the store) and the decisions equal those of a
/// <c>replay --run-actions</c> of the whole log into a fresh store, which itself runs nothing twice when repeated.
/// </summary>
[Collection(nameof(StoredAlertsAcrossKillsTests))]
public sealed class StoredAlertsAcrossKillsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-store-kill-").FullName;
    private readonly List<string> _output = [];

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string WriteConfig(string log)
    {
        var path = Path.Combine(_dir, "gumshoe.yml");
        File.WriteAllText(path, $$"""
            inputs:
              - name: auth
                type: file
                paths: ["{{log}}"]
                start_at: beginning
                parser: sshd
            rules:
              - name: ssh-bruteforce
                type: threshold
                when: event.action in ["ssh_auth_failed", "ssh_invalid_user"]
                group_by: [source.ip]
                count: 5
                within: 60s
                then:
                  - alert: {title: "SSH brute force from {source.ip}"}
                  - decision: {scope: ip, duration: 1h, escalate: [x4, permanent], reason: "{count} failures from {source.ip}"}
            storage:
              type: sqlite
            """);
        return path;
    }

    [Fact]
    public async Task A_live_run_killed_repeatedly_stores_exactly_its_alerts_and_the_decisions_of_a_replay()
    {
        var lines = File.ReadAllLines(SharedData.File("logs/OpenSSH_2k.log"));
        var log = Path.Combine(_dir, "auth.log");
        var config = WriteConfig(log);
        var data = Path.Combine(_dir, "live");
        var alertsOut = Path.Combine(_dir, "alerts.jsonl");
        File.WriteAllText(log, "");

        // six runs killed at random moments while the log grows in chunks, then one that finishes and stops cleanly
        var random = new Random(7);
        var chunk = lines.Length / 7;
        for (var i = 0; i < 6; i++)
        {
            using var run = Start(data, "run", "-c", config, "--alerts-out", alertsOut, "--data-dir", data,
                "--metrics-listen", "127.0.0.1:" + Inputs.Loopback.FreePort().ToString(CultureInfo.InvariantCulture));
            File.AppendAllLines(log, lines.Skip(i * chunk).Take(chunk));
            await Task.Delay(random.Next(300, 1800));
            run.Kill();   // SIGKILL: nothing flushed, nothing committed
            await run.WaitForExitAsync();
        }
        File.AppendAllLines(log, lines.Skip(6 * chunk));
        var expected = Replay(log, config);
        using (var last = Start(data, "run", "-c", config, "--alerts-out", alertsOut, "--data-dir", data,
                   "--metrics-listen", "127.0.0.1:" + Inputs.Loopback.FreePort().ToString(CultureInfo.InvariantCulture)))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (AlertIds(alertsOut).Count < expected.Count && DateTime.UtcNow < deadline) await Task.Delay(200);
            await Task.Delay(1500); // whatever arrives now would be a duplicate
            using (var term = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", last.Id.ToString(CultureInfo.InvariantCulture) } }))
                await term!.WaitForExitAsync();
            await last.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        var fileIds = AlertIds(alertsOut);
        Assert.True(expected.Count > 10, Log($"only {expected.Count} alerts expected"));
        Assert.Equal(expected, fileIds.Order(StringComparer.Ordinal).ToList());
        var stored = Lines(Cli(data, "alerts", "export", "-c", config, "--data-dir", data)).Select(l => (string)JsonNode.Parse(l)!["id"]!).Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(stored), Log($"store holds {stored.Count} alerts, the file {expected.Count}; missing {string.Join(",", expected.Except(stored))}"));

        // the same log replayed with its actions into a fresh store gives the same decisions; a second replay adds nothing
        var replayData = Path.Combine(_dir, "replay");
        Cli(replayData, "replay", "-c", config, log, "--run-actions", "--data-dir", replayData);
        var replayed = Decisions(replayData, config);
        Cli(replayData, "replay", "-c", config, log, "--run-actions", "--data-dir", replayData);
        Assert.Equal(replayed, Decisions(replayData, config));
        Assert.Equal(replayed, Decisions(data, config));
        Assert.NotEmpty(replayed);
    }

    private List<string> Decisions(string data, string config) =>
        [.. Lines(Cli(data, "decisions", "list", "--json", "-c", config, "--data-dir", data)).Select(l => JsonNode.Parse(l)!)
            .Select(d => $"{d["scope"]}|{d["value"]}|{d["rule"]}|{d["level"]}|{d["state"]}").Order(StringComparer.Ordinal)];

    private List<string> Replay(string log, string config)
    {
        var file = Path.Combine(_dir, "replay-alerts.jsonl");
        Cli(_dir, "replay", "-c", config, log, "--alerts-out", file);
        return [.. AlertIds(file).Order(StringComparer.Ordinal)];
    }

    private static List<string> AlertIds(string file) =>
        !File.Exists(file) ? [] : [.. Lines(File.ReadAllText(file)).Select(l => (string)JsonNode.Parse(l)!["id"]!)];

    private static IEnumerable<string> Lines(string text) => text.Split('\n').Where(l => l.Length > 0 && l[0] == '{');

    private string Log(string message)
    {
        lock (_output) return message + "\n" + string.Join("\n", _output.TakeLast(60));
    }

    // the CLI built beside the tests, with its output captured
    private static ProcessStartInfo Gumshoe(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gumshoe.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    private Process Start(string data, params string[] args)
    {
        var p = Process.Start(Gumshoe(args))!;
        p.OutputDataReceived += (_, a) => { if (a.Data is not null) lock (_output) _output.Add(a.Data); };
        p.ErrorDataReceived += (_, a) => { if (a.Data is not null) lock (_output) _output.Add(a.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    // runs a CLI command to its end and returns its standard output
    private string Cli(string data, params string[] args)
    {
        Directory.CreateDirectory(data);
        using var p = Process.Start(Gumshoe(args))!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, Log($"gumshoe {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Result}"));
        return stdout;
    }
}
