using System.Text;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Parsers.Packs;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Pipeline;

/// <summary>Bad input is counted with a reason, processing goes on, and nothing accepted around it is lost.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    public void Dispose() => File.Delete(_file);

    private static readonly string Good = "Mar  4 10:00:01 host sshd[1]: Failed password for root from 198.51.100.7 port 22 ssh2\n";

    private (MetricsRegistry Metrics, List<string> Events, Dictionary<string, long> Problems) Replay(IParser parser)
    {
        var metrics = new MetricsRegistry();
        var pipeline = new EventPipeline(new RuleSet(), metrics, NullLogger.Instance);
        var events = new List<string>();
        var problems = new Dictionary<string, long>();
        var context = new ParseContext();
        new LogFileReader(_file).ReadAll((text, offset, end, p) =>
        {
            foreach (var reason in LineProblems.Reasons(p)) problems[reason] = problems.GetValueOrDefault(reason) + 1;
            var e = pipeline.Parse("in", parser, context, text, _file, offset, DateTimeOffset.UnixEpoch);
            if (e is not null) events.Add(e.GetString("source.ip") ?? e.Original!);
        });
        return (metrics, events, problems);
    }

    private static long Count(MetricsRegistry m, string status, string? reason = null) =>
        m.Snapshot().Where(x => x.Name == "gumshoe_parser_lines_total" && x.Labels.Contains($"status=\"{status}\"")
                                && (reason is null || x.Labels.Contains($"reason=\"{reason}\""))).Sum(x => x.Value);

    [Fact]
    public void BrokenBytesHugeLinesAndATruncatedLastLineAreCountedAndTheGoodLinesSurvive()
    {
        using (var f = File.Create(_file))
        {
            f.Write(Encoding.ASCII.GetBytes(Good));
            f.Write([0x4D, 0x61, 0x72, 0x20, 0xFF, 0xFE, 0x0A]);                         // invalid UTF-8
            f.Write(Encoding.ASCII.GetBytes("Mar  4 10:00:02 host sshd[1]: \0\0\0\n"));  // NUL bytes
            f.Write(Encoding.ASCII.GetBytes(new string('x', 10 * 1024 * 1024) + "\n"));  // a 10 MB line
            f.Write(Encoding.ASCII.GetBytes("not a syslog line at all\n"));
            f.Write(Encoding.ASCII.GetBytes(Good));
            f.Write(Encoding.ASCII.GetBytes(Good.TrimEnd('\n')));                          // no newline at the end
        }
        var (metrics, events, problems) = Replay(new SshdParser());
        Assert.Equal(["198.51.100.7", "198.51.100.7", "198.51.100.7"], events.Where(e => e == "198.51.100.7"));
        Assert.Equal(1, problems["invalid_utf8"]);
        Assert.Equal(1, problems["nul_bytes"]);
        Assert.Equal(1, problems["line_too_long"]);
        Assert.Equal(1, problems["truncated_last_line"]);
        Assert.True(Count(metrics, "unmatched") >= 3);
    }

    [Fact]
    public void MalformedJsonIsAFailureWithAReasonAndTheNextLineIsParsed()
    {
        File.WriteAllText(_file, "{\"source\":{\"ip\":\"192.0.2.1\"}}\n{\"source\": {\"ip\": \n[1,2]\n{\"source.ip\":\"192.0.2.2\"}\n");
        var (metrics, events, _) = Replay(new JsonLineParser());
        Assert.Equal(["192.0.2.1", "192.0.2.2"], events);
        Assert.Equal(2, Count(metrics, "failed"));
    }
}
