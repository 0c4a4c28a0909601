using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gumshoe.Engine.Tests.Parsers;
using Gumshoe.LogGen;

namespace Gumshoe.Engine.Tests.Cli;

/// <summary>
/// <c>./gumshoe replay</c> runs the native build: it writes exactly what the portable build writes — alerts, events,
/// login scores, the summary, the store's decisions after <c>--run-actions</c> — and fails the same way.
/// </summary>
public sealed class ReplayCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-replay-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static (int Code, string Out, string Err) Portable(string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gumshoe.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Run(psi);
    }

    /// <summary>The repository's launcher, which runs the native build (built first if the sources changed).</summary>
    private static (int Code, string Out, string Err) Native(string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(Repository.Root, "gumshoe")) { WorkingDirectory = workDir };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["GUMSHOE_NATIVE"] = "required"; // no fall-back to the portable build
        return Run(psi);
    }

    private static (int Code, string Out, string Err) Run(ProcessStartInfo psi)
    {
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        psi.Environment["TZ"] = "Europe/Berlin";
        psi.Environment["GEOIP_CITY_DB"] = SharedData.File("geoip/GeoLite2-City-Test.mmdb");
        psi.Environment["GEOIP_ASN_DB"] = SharedData.File("geoip/GeoLite2-ASN-Test.mmdb");
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }

    // the summary without its elapsed time, and without what the launcher says when it builds first
    private static string Summary(string err) =>
        Regex.Replace(string.Join('\n', err.Split('\n').Where(l => !l.StartsWith("gumshoe: ", StringComparison.Ordinal))), @" in \d+\.\d\ds", "");

    private string WriteLog(string name, ulong seed)
    {
        var path = Path.Combine(_dir, name);
        var generator = new SshdLogGenerator(seed, new DateTime(2026, 3, 4, 10, 0, 0)) { SecondsPerLine = 0.2 };
        using var f = File.Create(path);
        for (var i = 0; i < 15_000; i++)
        {
            f.Write(Encoding.UTF8.GetBytes(generator.NextLine() + "\n"));
            if (i % 1000 == 1) f.Write([.. "Mar  4 10:00:01 gate sshd[1]: Invalid user "u8, 0xff, .. " from 1.2.3.4\n"u8]);
            if (i % 1000 == 2) f.Write("not a syslog line\n"u8);
        }
        File.SetLastWriteTimeUtc(path, new DateTime(2026, 6, 1, 0, 0, 0, DateTimeKind.Utc));
        return path;
    }

    private void AssertSame(string[] outputs, Func<string, (int Code, string Out, string Err)> replay)
    {
        var portable = replay("portable");
        var portableFiles = outputs.Select(o => File.ReadAllBytes(Path.Combine(_dir, $"portable-{o}"))).ToArray();
        var native = replay("native");
        Assert.True(portable.Code == 0, portable.Err);
        Assert.True(native.Code == 0, native.Err);
        Assert.Equal(Summary(portable.Err), Summary(native.Err));
        for (var i = 0; i < outputs.Length; i++)
        {
            var nativeFile = File.ReadAllBytes(Path.Combine(_dir, $"native-{outputs[i]}"));
            Assert.True(portableFiles[i].Length > 0, $"{outputs[i]} is empty");
            Assert.True(portableFiles[i].SequenceEqual(nativeFile), $"{outputs[i]}: native {nativeFile.Length} bytes, portable {portableFiles[i].Length}");
        }
    }

    private (int, string, string) Cli(string build, string workDir, params string[] args) =>
        build == "native" ? Native(workDir, args) : Portable(workDir, args);

    [Fact]
    public void TheNativeReplayWritesThePortableAlerts()
    {
        var log = WriteLog("auth.log", 3);
        var config = Path.Combine(Repository.Root, "examples", "ssh-bruteforce.yml");
        AssertSame(["alerts.jsonl"], b => Cli(b, _dir, "replay", "-c", config, log, "--alerts-out", Path.Combine(_dir, $"{b}-alerts.jsonl")));
    }

    [Fact]
    public void TheNativeReplayMergesFilesAndParsesEveryLineLikeThePortableOne()
    {
        var first = WriteLog("auth.log", 4);
        var second = WriteLog("auth.log.1", 5);
        var config = Path.Combine(Repository.Root, "examples", "ssh-bruteforce.yml");
        AssertSame(["alerts.jsonl", "events.jsonl"], b => Cli(b, _dir, "replay", "-c", config, first, second, "--no-prefilter",
            "--alerts-out", Path.Combine(_dir, $"{b}-alerts.jsonl"), "--events-out", Path.Combine(_dir, $"{b}-events.jsonl")));
    }

    [Fact]
    public void TheNativeReplayEnrichesAndScoresLoginsLikeThePortableOne()
    {
        // GeoIP (MaxMind's readers work by reflection), user agents, identities and the isolation forest
        var examples = Path.Combine(Repository.Root, "examples");
        var logins = SharedData.File("saas/expected/normalized_login_events.jsonl");
        AssertSame(["alerts.jsonl", "events.jsonl", "scores.jsonl"], b => Cli(b, examples, "replay", "-c", "login-anomaly.yml", logins,
            "--alerts-out", Path.Combine(_dir, $"{b}-alerts.jsonl"), "--events-out", Path.Combine(_dir, $"{b}-events.jsonl"),
            "--scores-out", Path.Combine(_dir, $"{b}-scores.jsonl")));
    }

    [Fact]
    public void TheNativeReplayRunsActionsIntoTheStoreLikeThePortableOne()
    {
        // the quickstart's decisions, in SQLite, through the action journal
        var log = WriteLog("auth.log", 6);
        var config = Path.Combine(Repository.Root, "examples", "quickstart.yml");
        var decisions = new List<string>();
        foreach (var build in new[] { "portable", "native" })
        {
            var data = Path.Combine(_dir, $"{build}-data");
            var (code, _, err) = Cli(build, _dir, "replay", "-c", config, log, "--run-actions", "--data-dir", data);
            Assert.True(code == 0, err);
            var list = Portable(_dir, "decisions", "list", "--json", "-c", config, "--data-dir", data);
            Assert.True(list.Code == 0, list.Err);
            decisions.Add(string.Join("\n", list.Out.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!)
                .Select(d => $"{d["scope"]}|{d["value"]}|{d["rule"]}|{d["level"]}|{d["state"]}|{d["reason"]}").Order(StringComparer.Ordinal)));
        }
        Assert.NotEmpty(decisions[0]);
        Assert.Equal(decisions[0], decisions[1]);
    }

    [Fact]
    public void TheNativeReplayFailsLikeThePortableOne()
    {
        var config = Path.Combine(Repository.Root, "examples", "ssh-bruteforce.yml");
        var missing = Path.Combine(_dir, "missing.log");
        var bad = Path.Combine(_dir, "bad.yml");
        File.WriteAllText(bad, "rules:\n  - name: x\n    type: threshold\n    when: 'event.action =='\n");
        foreach (var args in new[] { new[] { "replay", "-c", config, missing }, ["replay", "-c", bad, missing] })
        {
            var portable = Portable(_dir, args);
            var native = Native(_dir, args);
            Assert.Equal(2, portable.Code);
            Assert.Equal((portable.Code, portable.Err), (native.Code, native.Err));
        }
    }
}
