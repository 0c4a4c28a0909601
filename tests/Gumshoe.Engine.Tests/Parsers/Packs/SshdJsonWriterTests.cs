using System.Buffers;
using System.Text;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Parsers.Packs;

namespace Gumshoe.Engine.Tests.Parsers.Packs;

/// <summary>
/// The sshd direct JSON writer against the parser and the event writer it stands in for: wherever it writes a line,
/// it must write the same bytes (differential test over generated logs, the shared logs and hand-made edge cases).
/// </summary>
public class SshdJsonWriterTests
{
    private const string FilePath = "/var/log/au\"th.log";
    private static DateTimeOffset LastWrite => SshdDirectCorpus.LastWrite;

    // What `parse` writes for a line through the parser (null: not matched).
    private static string? ThroughEvent(string line, long offset, ParseContext context)
    {
        var e = new Event();
        (e.Original, e.FilePath, e.Offset, e.Input, e.Timestamp) = (line, FilePath, offset, "parse", LastWrite);
        if (new SshdParser().Parse(line, e, context).Status != ParseStatus.Matched) return null;
        var output = new ArrayBufferWriter<byte>();
        EventJson.WriteUtf8(output, e);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>Compares every line; returns how many the direct writer took.</summary>
    private static int AssertSame(IEnumerable<string> lines, TimeZoneInfo? zone = null)
    {
        var context = SshdDirectCorpus.Context(zone ?? TimeZoneInfo.Utc);
        var direct = new SshdParser().CreateDirectWriter(context, FilePath);
        var output = new ArrayBufferWriter<byte>();
        return SshdDirectCorpus.Walk(lines, (line, bytes, offset) =>
        {
            output.ResetWrittenCount();
            if (!direct.TryWrite(bytes, offset, output))
            {
                Assert.Equal(0, output.WrittenCount);
                return false;
            }
            var expected = ThroughEvent(line, offset, context);
            Assert.True(expected is not null, $"direct writer took a line the parser does not match: {line}");
            Assert.Equal(expected, Encoding.UTF8.GetString(output.WrittenSpan));
            return true;
        });
    }

    [Fact]
    public void Generated_log_is_written_as_the_parser_writes_it_and_almost_all_of_it_directly()
    {
        var lines = SshdDirectCorpus.Generated(200_000);
        var taken = AssertSame(lines);
        Assert.True(taken >= lines.Count * 99 / 100, $"only {taken} of {lines.Count} lines written directly");
    }

    [Theory]
    [InlineData("logs/OpenSSH_2k.log")]
    [InlineData("logs/Linux_2k.log")]
    public void Shared_logs_are_written_as_the_parser_writes_them(string log)
    {
        var lines = File.ReadAllLines(SharedData.File(log));
        AssertSame(lines);
        AssertSame(lines, TimeZoneInfo.FindSystemTimeZoneById("America/New_York"));
    }

    [Fact]
    public void Most_of_the_OpenSSH_sample_is_written_directly()
    {
        var lines = File.ReadAllLines(SharedData.File("logs/OpenSSH_2k.log"));
        Assert.True(AssertSame(lines) >= lines.Length * 9 / 10);
    }

    public static TheoryData<string> Messages() =>
    [
        "Failed password for root from 1.2.3.4 port 22 ssh2",
        "Failed password for invalid user admin from 1.2.3.4 port 22 ssh2",
        "Failed password for illegal user admin from 1.2.3.4 port 22 ssh2",
        "Failed password for user from evil from 1.2.3.4 port 22 ssh2",
        "Failed password for  from 1.2.3.4 port 22 ssh2",
        "Failed none for invalid user  from 1.2.3.4 port 22 ssh2",
        "Failed password for root from 2001:db8::1 port 22 ssh2",
        "Failed password for root from 2001:DB8:0:0::1 port 22 ssh2",
        "Failed password for root from ::ffff:1.2.3.4 port 22 ssh2",
        "Failed password for root from 1.2.3.004 port 22 ssh2",
        "Failed password for root from 01.2.3.4 port 22 ssh2",
        "Failed password for root from 1.2 port 22 ssh2",
        "Failed password for root from 12345 port 22 ssh2",
        "Failed password for root from 0x7f.0.0.1 port 22 ssh2",
        "Failed password for root from 255.255.255.255 port 22 ssh2",
        "Failed password for root from 256.1.1.1 port 22 ssh2",
        "Failed password for root from 1.2.3.4. port 22 ssh2",
        "Failed password for root from 1.2.3.4: port 99999999999 ssh2",
        "Failed password for root from host.example.net port 022 ssh2",
        "Failed password for root from gate port x ssh2",
        "Failed password for root from 1.2.3.4",
        "Failed password for root",
        "Failed password",
        "Failed  for root from 1.2.3.4 port 22 ssh2",
        "Failed password for \"quoted\\user\" from 1.2.3.4 port 22 ssh2",
        "Failed password for ~!@#$%^&*()_+`-={}|[]:;'<>?,./ from 1.2.3.4 port 22 ssh2",
        "Accepted publickey for alice from 1.2.3.4 port 5 ssh2: RSA SHA256:uFYLMbGlQhp0sKGzjI0CEkb5Bx0yCLgWhV3uLGIvNVQ",
        "Accepted password for bob from 2001:db8::2 port 6 ssh2",
        "Accepted keyboard-interactive/pam for carol from 1.2.3.4 port 7 ssh2: ",
        "Postponed publickey for dave from 1.2.3.4 port 54296 ssh2 [preauth]",
        "error: Failed password for root from 1.2.3.4 port 22 ssh2",
        "fatal: Accepted password for root from 1.2.3.4 port 22 ssh2",
        "Invalid user x from 2001:db8::1 port 5",
        "Invalid user  from 1.2.3.4",
        "Invalid user x from 1.2.3.4 port 5 [preauth]",
        "Illegal user x from 1.2.3.4",
        "Invalid user nobody",
        "input_userauth_request: invalid user x [preauth]",
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=host-1.example.net  user=root",
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4",
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost= user=",
        "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
        "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root",
        "PAM service(sshd) ignoring max retries; 6 > 3",
        "pam_unix(sshd:auth): check pass; user unknown",
        "check pass; user unknown",
        "error: PAM: Authentication failure for illegal user x from scanner.example.net",
        "ROOT LOGIN REFUSED FROM 1.2.3.4 port 5",
        "User root from 1.2.3.4 not allowed because not listed in AllowUsers",
        "User child is on pid 1234",
        "error: maximum authentication attempts exceeded for invalid user x from 1.2.3.4 port 5 ssh2 [preauth]",
        "error: maximum authentication attempts exceeded for root from 1.2.3.4 port 5 ssh2 [preauth]",
        "error: maximum authentication attempts exceeded for root",
        "Disconnecting: Too many authentication failures for root [preauth]",
        "Disconnecting authenticating user root 1.2.3.4 port 22: Too many authentication failures [preauth]",
        "Disconnecting user Too many authentication failures",
        "Connection closed by 1.2.3.4 port 5 [preauth]",
        "Connection closed by authenticating user root 1.2.3.4 port 5 [preauth]",
        "Connection closed by invalid user x 2001:db8::1 port 5 [preauth]",
        "Connection closed by user a b c 1.2.3.4 port 5",
        "Connection closed by user 1.2.3.4 port 5",
        "Connection closed by 1.2.3.4",
        "Disconnected from invalid user x 1.2.3.4 port 5 [preauth]",
        "Disconnected from user erin 172.117.168.77 port 17761",
        "Disconnected from 1.2.3.4 port 5",
        "Disconnected from by someone",
        "Connection reset by 1.2.3.4 port 5 [preauth]",
        "Received disconnect from 1.2.3.4 port 5:11: disconnected by user",
        "Received disconnect from 1.2.3.4: 11: Bye Bye [preauth]",
        "Received disconnect from 1.2.3.4 port 5: 11: a [preauth] b [preauth] [preauth]",
        "Received disconnect from 1.2.3.4",
        "Did not receive identification string from 1.2.3.4 port 5",
        "Did not receive identification string from 1.2.3.4",
        "Unable to negotiate with 1.2.3.4 port 5: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]",
        "banner exchange: Connection from 1.2.3.4 port 5: invalid format",
        "Bad protocol version identification 'GET / HTTP/1.1' from 1.2.3.4 port 5",
        "Bad protocol version identification 'x'",
        "reverse mapping checking getaddrinfo for host-576.example.net [174.190.85.170] failed - POSSIBLE BREAK-IN ATTEMPT!",
        "reverse mapping checking getaddrinfo for host [] failed",
        "reverse mapping checking getaddrinfo for host failed",
        "reverse mapping checking getaddrinfo for host ]x[ failed",
        "Address 1.2.3.4 maps to x.example.net, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!",
        "pam_unix(sshd:session): session opened for user bob(uid=1000) by (uid=0)",
        "pam_unix(sshd:session): session opened for user bob",
        "pam_unix(sshd:session): session closed for user  erin  ",
        "Connection from 111.8.70.195 port 38509 on 10.0.0.5 port 22 rdomain \"\"",
        "Connection from 2001:db8::1 port 38509 on 10.0.0.5 port 22",
        "Connection from 1.2.3.4",
        "Server listening on 0.0.0.0 port 22.",
        "Write failed: Connection reset by peer [preauth]",
        "message repeated 3 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]",
        "message repeated 3 times: oops",
        "",
        " ",
        "\\",
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Each_message_form_is_written_as_the_parser_writes_it(string message)
    {
        foreach (var header in new[] { "Mar  4 10:00:00 gate sshd[4242]: ", "Mar 14 10:00:00.123456 gate sshd[4242]: ", "Mar  4 10:00:00 gate sshd: ",
                     "Mar  4 10:00:00 gate sshd-session[1]: ", "Mar  4 10:00:00 gate sshd[x]:", "Mar  4 10:00:00 gate sshd[]: ",
                     "Mar  4 10:00:00 gate sshd[12345678901234567890]: ", "Mar  4 10:00:00 gate sshd[007]:  " })
            AssertSame([header + message]);
    }

    [Theory]
    [InlineData("Feb 29 10:00:00 gate sshd[1]: Server listening on 0.0.0.0 port 22.")]
    [InlineData("Feb 31 10:00:00 gate sshd[1]: Server listening on 0.0.0.0 port 22.")]
    [InlineData("Mar  3 23:59:60 gate sshd[1]: Server listening on 0.0.0.0 port 22.")]
    [InlineData("Mar 32 10:00:00 gate sshd[1]: x")]
    [InlineData("Mar  4 24:00:00 gate sshd[1]: x")]
    [InlineData("Mar  4 10:00:00  gate sshd[1]: x")]
    [InlineData("Mar  4 10:00:00 gate cron[1]: x")]
    [InlineData("Mar  4 10:00:00 gate sshd[1] x")]
    [InlineData("Mar  4 10:00:00 gate sshd[1]:")]
    [InlineData("Mar  4 10:00:00 gate my prog: x")]
    [InlineData("Mar  4 10:00:00 gate sshd[1]: caf\u00e9 user")]
    [InlineData("Mar  4 10:00:00 gate sshd[1]: tab\there")]
    [InlineData("Mar  4 10:00:00 gate sshd[1]: del\u007fhere")]
    [InlineData("<38>Mar  4 10:00:00 gate sshd[1]: Server listening on 0.0.0.0 port 22.")]
    [InlineData("2026-03-04T10:00:00+01:00 gate sshd[1]: Server listening on 0.0.0.0 port 22.")]
    [InlineData("Dec 31 23:59:59 gate sshd[1]: Server listening on 0.0.0.0 port 22.")]
    [InlineData("Mar  4 10:00:00.123456789012345678901234567890123456789012345678901234567890 gate sshd[1]: x")]
    public void Headers_are_read_as_the_parser_reads_them(string line)
    {
        AssertSame([line]);
        AssertSame([line], TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
    }

    [Fact]
    public void Consecutive_stamps_across_new_year_and_a_dst_change_resolve_as_the_parser_resolves_them()
    {
        var stamps = new[] { "Dec 31 23:59:59", "Jan  1 00:00:00", "Jan  1 00:00:00", "Mar 29 01:59:59", "Mar 29 02:30:00", "Mar 29 02:30:00", "Oct 25 02:30:00", "Feb 29 00:00:00" };
        var lines = stamps.Select(s => $"{s} gate sshd[1]: Invalid user x from 1.2.3.4 port 5").ToList();
        Assert.Equal(lines.Count, AssertSame(lines, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")));
    }
}
