using System.Text;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Parsers.Packs;

namespace Gumshoe.Engine.Tests.Parsers.Packs;

/// <summary>
/// The sshd direct event reader against the parser it stands in for: wherever it reads a line, the asked fields must
/// be the parser's, with the same values and kinds, and no others (differential test over generated logs, the
/// shared logs and every message form the direct JSON writer's tests use).
/// </summary>
public class SshdEventReaderTests
{
    private const string FilePath = "/var/log/auth.log";
    private const string Input = "auth";

    // every field the sshd parser sets, and the raw line
    private static readonly string[] AllFields =
    [
        Ecs.EventAction, Ecs.EventCategory, Ecs.EventOutcome, Ecs.EventReason, Ecs.HostName, Ecs.Message, Ecs.ProcessName,
        Ecs.ProcessPid, Ecs.SourceAddress, Ecs.SourceDomain, Ecs.SourceIp, Ecs.SourcePort, "ssh.auth_method", "ssh.key",
        "user.invalid", Ecs.UserName, Ecs.EventOriginal,
    ];

    // the table fields (time, file, offset, input and the raw line are compared on their own)
    private static readonly HashSet<string> Properties = [Ecs.Timestamp, Ecs.EventOriginal, Ecs.LogFilePath, Ecs.LogOffset, Ecs.InputName];

    private static ParseContext Context(TimeZoneInfo zone) => SshdDirectCorpus.Context(zone);

    private static Event? Parsed(string line, long offset, ParseContext context)
    {
        var e = new Event { Original = line, FilePath = FilePath, Offset = offset, Input = Input, Timestamp = SshdDirectCorpus.LastWrite };
        if (new SshdParser().Parse(line, e, context).Status != ParseStatus.Matched) return null;
        e.Expand();
        return e;
    }

    private static string Describe(Event e) =>
        string.Join(" | ", e.Fields.Where(f => !Properties.Contains(f.Key)).OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value.Kind}:{f.Value}"));

    /// <summary>Compares every line the reader takes; returns how many it took.</summary>
    private static int AssertSame(IEnumerable<string> lines, IReadOnlyCollection<string>? asked = null, TimeZoneInfo? zone = null)
    {
        var fields = new HashSet<string>(asked ?? AllFields, StringComparer.Ordinal);
        var context = Context(zone ?? TimeZoneInfo.Utc);
        var reader = new SshdParser().CreateDirectReader(context, FilePath, Input, fields);
        return SshdDirectCorpus.Walk(lines, (line, bytes, offset) =>
        {
            if (reader.TryRead(bytes, offset) is not { } fast) return false;
            var full = Parsed(line, offset, context);
            Assert.True(full is not null, $"the reader took a line the parser does not match: {line}");
            Assert.Equal((full.Timestamp, full.Offset, full.FilePath, full.Input), (fast.Timestamp, fast.Offset, fast.FilePath, fast.Input));
            Assert.Equal(fields.Contains(Ecs.EventOriginal) ? line : null, fast.Original);
            var expected = new Event();
            foreach (var (name, value) in full.Fields)
                if (fields.Contains(name) && !Properties.Contains(name)) expected.Set(name, value);
            Assert.Equal(Describe(expected), Describe(fast));
            foreach (var (name, value) in expected.Fields.Where(f => !Properties.Contains(f.Key))) Assert.Equal(value, fast.Get(name));
            return true;
        });
    }

    [Fact]
    public void Generated_log_is_read_as_the_parser_reads_it_and_almost_all_of_it_directly()
    {
        var lines = SshdDirectCorpus.Generated(100_000);
        var taken = AssertSame(lines);
        // lines with a quote or a backslash (some generated user names) are left to the parser
        Assert.True(taken >= lines.Count * 95 / 100, $"only {taken} of {lines.Count} lines read directly");
    }

    [Theory]
    [InlineData("logs/OpenSSH_2k.log")]
    [InlineData("logs/Linux_2k.log")]
    public void Shared_logs_are_read_as_the_parser_reads_them(string log)
    {
        var lines = File.ReadAllLines(SharedData.File(log));
        var taken = AssertSame(lines);
        AssertSame(lines, zone: TimeZoneInfo.FindSystemTimeZoneById("America/New_York"));
        if (log.Contains("OpenSSH")) Assert.True(taken >= lines.Length * 9 / 10, $"only {taken} of {lines.Length} lines read directly");
    }

    [Theory]
    [MemberData(nameof(SshdJsonWriterTests.Messages), MemberType = typeof(SshdJsonWriterTests))]
    public void Each_message_form_is_read_as_the_parser_reads_it(string message)
    {
        foreach (var header in new[] { "Mar  4 10:00:00 gate sshd[4242]: ", "Mar 14 10:00:00.123456 gate sshd[4242]: ", "Mar  4 10:00:00 gate sshd: ",
                     "Mar  4 10:00:00 gate sshd[12345678901234567890]: ", "Mar  4 10:00:00 gate sshd[007]:  " })
        {
            AssertSame([header + message]);
            AssertSame([header + message], [Ecs.EventAction, Ecs.SourceIp, "user.invalid"]);
        }
    }

    [Fact]
    public void Only_the_asked_fields_are_set()
    {
        var reader = new SshdParser().CreateDirectReader(Context(TimeZoneInfo.Utc), FilePath, Input, new HashSet<string> { Ecs.EventAction, Ecs.SourceIp, "host.ip" });
        var e = reader.TryRead("Mar  4 10:00:00 gate sshd[4242]: Failed password for invalid user admin from 10.1.2.3 port 22 ssh2"u8.ToArray(), 77);
        Assert.NotNull(e);
        Assert.Equal($"{Ecs.EventAction}=String:ssh_auth_failed | {Ecs.SourceIp}=Ip:10.1.2.3", Describe(e));
        Assert.Equal("ssh_auth_failed", e.GetString(Ecs.EventAction));
        Assert.Equal(FieldValue.Ip(System.Net.IPAddress.Parse("10.1.2.3")), e.Get(Ecs.SourceIp));
        Assert.Equal((77L, FilePath, Input, (string?)null), (e.Offset, e.FilePath, e.Input, e.Original));
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 10, 0, 0, TimeSpan.Zero), e.Timestamp);
    }

    [Theory]
    [InlineData("Mar  4 10:00:00 gate sshd[1]: Failed password for \"q\" from 1.2.3.4 port 22 ssh2")] // a quote: escaped text
    [InlineData("Mar  4 10:00:00 gate sshd[1]: message repeated 2 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]")]
    [InlineData("<34>Mar  4 10:00:00 gate sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2")]
    [InlineData("Mar  4 10:00:00 gate cron[1]: x")]
    public void Lines_off_the_fast_path_are_left_to_the_parser(string line)
    {
        var reader = new SshdParser().CreateDirectReader(Context(TimeZoneInfo.Utc), FilePath, Input, new HashSet<string>(AllFields));
        Assert.Null(reader.TryRead(Encoding.UTF8.GetBytes(line), 0));
    }
}
