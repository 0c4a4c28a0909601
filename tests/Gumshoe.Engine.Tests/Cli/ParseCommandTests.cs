using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Gumshoe.Engine.Inputs;
using Gumshoe.LogGen;

namespace Gumshoe.Engine.Tests.Cli;

/// <summary>
/// <c>gumshoe parse</c> as the real CLI process: blocks parsed on several threads come out in input order, and the
/// direct JSON path gives the bytes of the event path, on a log that spans several blocks and crosses New Year.
/// </summary>
public sealed class ParseCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-parse-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static (int Code, byte[] Out, string Err) Gumshoe(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gumshoe.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Run(psi);
    }

    /// <summary>The repository's <c>./gumshoe parse</c>: the native build, built first if the sources changed.</summary>
    private static (int Code, byte[] Out, string Err) NativeGumshoe(params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(Repository.Root, "gumshoe")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["GUMSHOE_NATIVE"] = "required"; // no fall-back to the portable build
        var result = Run(psi);
        Assert.True(File.Exists(Path.Combine(Repository.Root, ".build/native/gumshoe")));
        return result;
    }


    private static (int Code, byte[] Out, string Err) Run(ProcessStartInfo psi)
    {
        psi.Environment["TZ"] = "Europe/Berlin"; // year-less stamps in a zone with DST
        using var p = Process.Start(psi)!;
        using var stdout = new MemoryStream();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.BaseStream.CopyTo(stdout);
        p.WaitForExit();
        return (p.ExitCode, stdout.ToArray(), stderr.Result);
    }

    // Standard error (unmatched lines, then the summary) without the elapsed time, and the summary alone.
    private static string Stderr(string err) => err[..err.LastIndexOf(';')];
    private static string Summary(string err) => Stderr(err)[(Stderr(err).LastIndexOf("lines: ", StringComparison.Ordinal))..];

    /// <summary>About 2.5 MB (several blocks): generated sshd lines from Dec 31 into Jan 1 and lines of every awkward kind.</summary>
    private string WriteLog()
    {
        var path = Path.Combine(_dir, "auth.log");
        var generator = new SshdLogGenerator(7, new DateTime(2026, 12, 31, 22, 0, 0)) { SecondsPerLine = 0.5 };
        using (var f = File.Create(path))
        {
            void Line(string s, string end = "\n") => f.Write(Encoding.UTF8.GetBytes(s + end));
            for (var i = 0; i < 24_000; i++)
            {
                Line(generator.NextLine());
                switch (i % 1000)
                {
                    case 1: Line("Dec 31 23:00:00 gate cron[1]: (root) CMD (run-parts)"); break; // unmatched
                    case 2: Line("Dec 31 23:00:00 gate sshd[1]: Invalid user caf\u00e9 from 1.2.3.4 port 5"); break; // not ASCII
                    case 3: f.Write([.. "Dec 31 23:00:00 gate sshd[1]: Invalid user "u8, 0xff, 0xfe, .. " from 1.2.3.4\n"u8]); break; // invalid UTF-8
                    case 4: f.Write("Dec 31 23:00:00 gate sshd[1]: Invalid user a\0b from 1.2.3.4\n"u8); break; // NUL
                    case 5: Line("Dec 31 23:00:00 gate sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2", "\r\n"); break;
                    case 6: Line("not a syslog line at all"); break;
                    case 7: Line(""); break;
                    case 8: Line("Dec 31 23:00:00 gate sshd[1]: message repeated 2 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]"); break;
                }
                if (i == 12_345) Line("Dec 31 23:00:00 gate sshd[1]: Invalid user " + new string('x', 1_100_000) + " from 1.2.3.4"); // longer than a block and than the line limit
            }
            f.Write("Jan  1 06:00:00 gate sshd[1]: Connection closed by 1.2.3.4 port 5 [preauth]"u8); // no newline at the end
        }
        File.SetLastWriteTimeUtc(path, new DateTime(2027, 1, 2, 0, 0, 0, DateTimeKind.Utc));
        return path;
    }

    [Fact]
    public void Parallel_blocks_and_the_direct_path_give_the_bytes_of_a_sequential_parse_through_events()
    {
        var log = WriteLog();
        var sequential = Gumshoe("parse", "--parser", "sshd", "--threads", "1", "--no-direct", "--unmatched", log);
        Assert.True(sequential.Code == 0, sequential.Err);
        var parallel = Gumshoe("parse", "--parser", "sshd", "--threads", "2", "--unmatched", log);
        Assert.True(parallel.Code == 0, parallel.Err);
        var parallelEvents = Gumshoe("parse", "--parser", "sshd", "--threads", "2", "--no-direct", log);
        var byDefault = Gumshoe("parse", "--parser", "sshd", log);

        Assert.True(sequential.Out.Length > 10_000_000);
        Assert.True(sequential.Out.AsSpan().SequenceEqual(parallel.Out), "parallel direct output differs from the sequential event output");
        Assert.True(sequential.Out.AsSpan().SequenceEqual(parallelEvents.Out));
        Assert.True(sequential.Out.AsSpan().SequenceEqual(byDefault.Out));
        // the same summary and the same unmatched lines in the same order
        Assert.Equal(Stderr(sequential.Err), Stderr(parallel.Err));
        Assert.Equal(Summary(sequential.Err), Summary(byDefault.Err));
        var summary = Summary(sequential.Err);
        Assert.StartsWith("lines: 24194, matched: 24122, unmatched: 72, failed: 0, dropped: 0 (", summary); // 24 cron, 24 not syslog, 24 empty
        foreach (var reason in new[] { "invalid_utf8: 24", "nul_bytes: 24", "truncated_last_line: 1", "line_too_long: 1" }) Assert.Contains(reason, summary);

        // every line in input order, each stamp in its year: Dec 31 in 2026, Jan 1 in 2027 (local time)
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        long lastOffset = -1;
        var years = new HashSet<string>();
        foreach (var line in Encoding.UTF8.GetString(parallel.Out).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var json = JsonDocument.Parse(line).RootElement;
            var offset = json.GetProperty("log").GetProperty("offset").GetInt64();
            Assert.True(offset > lastOffset);
            lastOffset = offset;
            var local = TimeZoneInfo.ConvertTime(json.GetProperty("@timestamp").GetDateTimeOffset(), berlin);
            var original = json.GetProperty("event").GetProperty("original").GetString()!;
            Assert.Equal(original.StartsWith("Dec", StringComparison.Ordinal) ? new DateOnly(2026, 12, 31) : new DateOnly(2027, 1, 1), DateOnly.FromDateTime(local.DateTime));
            years.Add(local.Year.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        Assert.Equal(["2026", "2027"], years.Order());
    }

    [Fact]
    public void Stdin_gives_the_events_of_the_file_without_its_path()
    {
        var log = Path.Combine(_dir, "small.log");
        var generator = new SshdLogGenerator(3, new DateTime(2026, 3, 1));
        File.WriteAllLines(log, Enumerable.Range(0, 5000).Select(_ => generator.NextLine()));
        var fromFile = Gumshoe("parse", "--parser", "sshd", log);
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["TZ"] = "Europe/Berlin";
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"dotnet \"{Path.Combine(AppContext.BaseDirectory, "gumshoe.dll")}\" parse --parser sshd - < \"{log}\"");
        using var p = Process.Start(psi)!;
        var fromStdin = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        var withoutPath = Encoding.UTF8.GetString(fromFile.Out).Replace($"\"file\":{{\"path\":{JsonSerializer.Serialize(log)}}},", "");
        Assert.Equal(5000, fromStdin.Count(c => c == '\n'));
        Assert.Equal(withoutPath, fromStdin);
    }

    /// <summary>
    /// The reading thread cuts blocks after a newline and the workers split them: every line comes out where the
    /// line reader of replay and the inputs puts it — offset, text, cut to the limit — for lines around the limit
    /// (in a block, across blocks, with CR), a file ending inside an over-long line, and more blocks than workers.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_line_is_where_the_line_reader_puts_it(bool endsInLongLine)
    {
        var path = Path.Combine(_dir, "cuts.log");
        var max = LineSplitter.DefaultMaxLineBytes;
        var generator = new SshdLogGenerator(11, new DateTime(2026, 5, 1));
        using (var f = File.Create(path))
        {
            void Line(string s) => f.Write(Encoding.ASCII.GetBytes(s + "\n"));
            string Filler(int length) => "May  1 00:00:00 gate sshd[1]: Connection from 1.2.3.4 port 5 on x " + new string('x', length - 66);
            for (var round = 0; round < 3; round++)
            {
                for (var i = 0; i < 7000; i++) Line(generator.NextLine());
                Line(Filler(max));           // exactly the limit: whole
                Line(Filler(max + 1));       // one byte over: cut
                Line(Filler(max - 1) + "\r"); // the limit with its CR
                Line(Filler(3 * max));       // several blocks long
                Line(Filler(600_000));       // longer than a block, within the limit
            }
            for (var i = 0; i < 2000; i++) Line(generator.NextLine());
            if (endsInLongLine) f.Write(Encoding.ASCII.GetBytes(Filler(max + 10))); // no newline at the end
        }
        var reference = new LogFileReader(path).Lines().ToList();

        var parsed = Gumshoe("parse", "--parser", "sshd", "--unmatched", path);
        Assert.True(parsed.Code == 0, parsed.Err);
        var seen = new Dictionary<long, string>();
        foreach (var line in Encoding.UTF8.GetString(parsed.Out).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var json = JsonDocument.Parse(line).RootElement;
            seen.Add(json.GetProperty("log").GetProperty("offset").GetInt64(), json.GetProperty("event").GetProperty("original").GetString()!);
        }
        var prefix = $"unmatched {path}:";
        foreach (var line in parsed.Err.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var rest = line[prefix.Length..];
            var colon = rest.IndexOf(": ", StringComparison.Ordinal);
            seen.Add(long.Parse(rest[..colon], System.Globalization.CultureInfo.InvariantCulture), rest[(colon + 2)..]);
        }
        Assert.Equal(reference.Count, seen.Count);
        foreach (var (text, offset, _, _) in reference)
        {
            Assert.True(seen.TryGetValue(offset, out var got), $"no line at offset {offset}");
            Assert.True(text == got, $"the line at {offset} differs: {text.Length} vs {got.Length} characters");
        }
        var tooLong = reference.Count(l => (l.Problems & LineProblem.TooLong) != 0);
        Assert.Equal(endsInLongLine ? 7 : 6, tooLong);
        Assert.Contains($"line_too_long: {tooLong}", Summary(parsed.Err));
        Assert.Equal(endsInLongLine, Summary(parsed.Err).Contains("truncated_last_line: 1", StringComparison.Ordinal));
    }

    /// <summary>
    /// The native build (ahead-of-time compiled, what <c>./gumshoe parse</c> runs) writes the bytes of the portable
    /// build for every pack: the direct sshd path and the event path, awkward lines, real logs, errors.
    /// </summary>
    [Fact]
    public void The_native_build_writes_what_the_portable_build_writes()
    {
        var log = WriteLog();
        var shared = Path.Combine(Repository.Root, "../shared/data/logs");
        var json = Path.Combine(_dir, "events.jsonl");
        File.WriteAllLines(json, [
            """{"@timestamp":"2026-03-01T10:00:00Z","user":{"name":"alice"},"source":{"ip":"2001:db8::1"},"n":1.5,"tags":["a","b"]}""",
            """{"broken": """,
            """{"event":{"action":"x"},"deep":{"er":{"still":true}}}"""]);
        var config = Path.Combine(_dir, "parsers.yml"); // parsers from a config: YAML loading and grok in the native build
        File.WriteAllText(config, """
            parsers:
              - name: failed
                type: grok
                pattern: '%{SYSLOGTIMESTAMP:ts} %{SYSLOGHOST:host.name} %{SYSLOGPROG}: Failed password for (?:invalid user )?%{USERNAME:user.name} from %{IP:source.ip} port %{INT:source.port:int} ssh2'
                timestamp: {field: ts, format: bsd}
            """);
        string[][] cases =
        [
            ["parse", "--config", config, "--parser", "failed", Path.Combine(shared, "OpenSSH_2k.log")],
            ["parse", "--parser", "sshd", "--unmatched", log],
            ["parse", "--parser", "sshd", Path.Combine(shared, "OpenSSH_2k.log")],
            ["parse", "--parser", "syslog", "--unmatched", Path.Combine(shared, "Linux_2k.log")],
            ["parse", "--parser", "sudo", Path.Combine(shared, "Linux_2k.log")],
            ["parse", "--parser", "json", "--unmatched", json],
            ["parse", "--parser", "nosuch", log],
            ["parse", "--parser", "sshd", Path.Combine(_dir, "missing.log")],
        ];
        File.WriteAllText(Path.Combine(_dir, "empty.log"), "");
        var build = NativeGumshoe("parse", "--parser", "sshd", Path.Combine(_dir, "empty.log")); // built here when the sources changed
        Assert.True(build.Code == 0, build.Err);
        var version = Run(new ProcessStartInfo(Path.Combine(Repository.Root, ".build/native/gumshoe"), ["version"]) { RedirectStandardOutput = true, RedirectStandardError = true });
        Assert.EndsWith(", native)\n", Encoding.UTF8.GetString(version.Out));
        Assert.EndsWith(", portable)\n", Encoding.UTF8.GetString(Gumshoe("version").Out));
        foreach (var args in cases)
        {
            var portable = Gumshoe(args);
            var native = NativeGumshoe(args);
            Assert.Equal(portable.Code, native.Code);
            Assert.True(portable.Out.AsSpan().SequenceEqual(native.Out), $"stdout differs for {string.Join(' ', args)}");
            Assert.Equal(portable.Code == 0 ? Stderr(portable.Err) : portable.Err, native.Code == 0 ? Stderr(native.Err) : native.Err);
        }
        Assert.Contains("error: unknown parser 'nosuch'", NativeGumshoe(cases[^2]).Err);
        Assert.Equal($"error: {Path.Combine(_dir, "missing.log")}: no such file\n", NativeGumshoe(cases[^1]).Err);
    }
}
