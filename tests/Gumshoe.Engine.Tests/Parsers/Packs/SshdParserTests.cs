using System.Net;
using System.Text.RegularExpressions;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Parsers.Packs;
using static Gumshoe.Engine.Tests.Parsers.ParserTestKit;

namespace Gumshoe.Engine.Tests.Parsers.Packs;

public class SshdParserTests
{
    private static Event Parse(string message, string program = "sshd[4242]")
    {
        var (outcome, e) = Run(new SshdParser(), $"Mar  4 10:00:00 gate {program}: {message}");
        Assert.Equal(ParseStatus.Matched, outcome.Status);
        return e;
    }

    private static void AssertFailure(Event e, string? user, string? ip, string? action = null)
    {
        Assert.Equal("failure", e.GetString("event.outcome"));
        if (user is not null) Assert.Equal(user, e.GetString("user.name"));
        if (ip is not null)
        {
            Assert.Equal(FieldKind.Ip, e.Get("source.ip").Kind);
            Assert.Equal(IPAddress.Parse(ip), e.Get("source.ip").AsIp());
        }
        if (action is not null) Assert.Equal(action, e.GetString("event.action"));
    }

    [Fact]
    public void EveryFailedPasswordAndInvalidUserLineOfTheSampleIsAFailureWithSourceAndUser()
    {
        var select = new Regex(@"sshd\[\d+\]: (Failed password for|Invalid user)");
        var lines = File.ReadLines(SharedData.File("logs/OpenSSH_2k.log")).Where(l => select.IsMatch(l)).ToList();
        Assert.True(lines.Count > 500, $"only {lines.Count} lines selected");
        var context = Context(reference: new DateTimeOffset(2018, 1, 1, 0, 0, 0, TimeSpan.Zero));
        foreach (var line in lines)
        {
            var (outcome, e) = Run(new SshdParser(), line, context);
            Assert.Equal(ParseStatus.Matched, outcome.Status);
            Assert.True(e.GetString("event.outcome") == "failure", line);
            Assert.True(e.Get("source.ip").Kind == FieldKind.Ip, line);
            var m = Regex.Match(line, @"(?:Failed password for (?:invalid user )?|Invalid user )(.*?) from ");
            var user = m.Groups[1].Value;
            if (user.Length > 0) Assert.True(e.GetString("user.name") == user, line);
            else Assert.Null(e.GetString("user.name"));
            Assert.Equal(line.Contains("Invalid user") ? SshdParser.Actions.InvalidUser : SshdParser.Actions.AuthFailed, e.GetString("event.action"));
            Assert.Equal(2017, e.Timestamp.Year); // December lines against a January reference: last year
        }
    }

    [Fact]
    public void EveryLineOfTheSampleIsParsedWithoutError()
    {
        var context = Context(reference: new DateTimeOffset(2018, 1, 1, 0, 0, 0, TimeSpan.Zero));
        foreach (var line in File.ReadLines(SharedData.File("logs/OpenSSH_2k.log")))
        {
            var (outcome, e) = Run(new SshdParser(), line, context);
            Assert.Equal(ParseStatus.Matched, outcome.Status);
            Assert.NotNull(e.GetString("event.action"));
        }
    }

    [Theory]
    [InlineData("Failed password for root from 1.2.3.4 port 22 ssh2", "root", "1.2.3.4")]
    [InlineData("Failed password for invalid user admin from 1.2.3.4 port 22 ssh2", "admin", "1.2.3.4")]
    [InlineData("Failed publickey for git from 1.2.3.4 port 5 ssh2: RSA SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "git", "1.2.3.4")]
    [InlineData("Failed keyboard-interactive/pam for invalid user x from 1.2.3.4 port 5 ssh2", "x", "1.2.3.4")]
    [InlineData("Failed none for invalid user x from 1.2.3.4 port 5 ssh2", "x", "1.2.3.4")]
    [InlineData("error: PAM: Authentication failure for illegal user x from 1.2.3.4", "x", "1.2.3.4")]
    [InlineData("error: PAM: Authentication failure for root from 1.2.3.4", "root", "1.2.3.4")]
    public void FailedAuthenticationsOfEveryMethodAreFailures(string message, string user, string ip)
    {
        var e = Parse(message);
        AssertFailure(e, user, ip, SshdParser.Actions.AuthFailed);
    }

    [Theory]
    [InlineData("Invalid user x from 1.2.3.4 port 5", "5")]
    [InlineData("Invalid user x from 1.2.3.4", null)]
    [InlineData("Illegal user x from 1.2.3.4", null)]
    public void InvalidUsersOldAndNewAreFailures(string message, string? port)
    {
        var e = Parse(message);
        AssertFailure(e, "x", "1.2.3.4", SshdParser.Actions.InvalidUser);
        Assert.True(e.Get("user.invalid").AsBool());
        if (port is null) Assert.False(e.TryGet("source.port", out _));
        else Assert.Equal(long.Parse(port), e.Get("source.port").AsLong());
    }

    [Fact]
    public void RefusedAndNotAllowedLoginsAreFailures()
    {
        AssertFailure(Parse("ROOT LOGIN REFUSED FROM 1.2.3.4"), "root", "1.2.3.4", SshdParser.Actions.LoginRefused);
        AssertFailure(Parse("ROOT LOGIN REFUSED FROM 1.2.3.4 port 5"), "root", "1.2.3.4", SshdParser.Actions.LoginRefused);
        var e = Parse("User root from 1.2.3.4 not allowed because not listed in AllowUsers");
        AssertFailure(e, "root", "1.2.3.4", SshdParser.Actions.LoginRefused);
        Assert.Equal("not allowed because not listed in AllowUsers", e.GetString("event.reason"));
    }

    [Fact]
    public void TooManyAttemptsAreFailures()
    {
        var max = Parse("error: maximum authentication attempts exceeded for root from 1.2.3.4 port 5 ssh2 [preauth]");
        AssertFailure(max, "root", "1.2.3.4", SshdParser.Actions.MaxAuthAttempts);
        Assert.Equal(5, max.Get("source.port").AsLong());
        AssertFailure(Parse("error: maximum authentication attempts exceeded for invalid user x from 1.2.3.4 port 5 ssh2 [preauth]"), "x", "1.2.3.4", SshdParser.Actions.MaxAuthAttempts);
        AssertFailure(Parse("Disconnecting: Too many authentication failures for root [preauth]"), "root", null, SshdParser.Actions.TooManyFailures);
        var modern = Parse("Disconnecting authenticating user root 1.2.3.4 port 22: Too many authentication failures [preauth]");
        AssertFailure(modern, "root", "1.2.3.4", SshdParser.Actions.TooManyFailures);
        Assert.Equal(22, modern.Get("source.port").AsLong());
    }

    [Fact]
    public void A_garbled_too_many_failures_line_is_still_classified_not_a_crash()
    {
        var garbled = Parse("Disconnecting user Too many authentication failures");
        Assert.Equal(SshdParser.Actions.TooManyFailures, garbled.GetString("event.action"));
        Assert.Equal("failure", garbled.GetString("event.outcome"));
    }

    [Fact]
    public void PreauthDisconnectsAreFailures()
    {
        var closed = Parse("Connection closed by authenticating user root 1.2.3.4 port 5 [preauth]");
        AssertFailure(closed, "root", "1.2.3.4", SshdParser.Actions.PreauthDisconnect);
        Assert.Equal(5, closed.Get("source.port").AsLong());
        var invalid = Parse("Disconnected from invalid user x 1.2.3.4 port 5 [preauth]");
        AssertFailure(invalid, "x", "1.2.3.4", SshdParser.Actions.PreauthDisconnect);
        Assert.True(invalid.Get("user.invalid").AsBool());
        AssertFailure(Parse("Connection closed by 1.2.3.4 port 5 [preauth]"), null, "1.2.3.4", SshdParser.Actions.PreauthDisconnect);
    }

    [Fact]
    public void Ipv6SourcesAreAddresses()
    {
        var e = Parse("Failed password for root from 2001:db8::1 port 22 ssh2");
        AssertFailure(e, "root", "2001:db8::1", SshdParser.Actions.AuthFailed);
        AssertFailure(Parse("Invalid user x from 2001:db8::1 port 5"), "x", "2001:db8::1");
        AssertFailure(Parse("Connection closed by invalid user x 2001:db8::1 port 5 [preauth]"), "x", "2001:db8::1");
    }

    [Fact]
    public void HostNameSourcesBecomeSourceDomain()
    {
        var e = Parse("error: PAM: Authentication failure for illegal user x from scanner.example.net");
        AssertFailure(e, "x", null, SshdParser.Actions.AuthFailed);
        Assert.Equal("scanner.example.net", e.GetString("source.domain"));
        Assert.False(e.TryGet("source.ip", out _));
        var pam = Parse("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=host-1.example.net  user=root");
        Assert.Equal("host-1.example.net", pam.GetString("source.domain"));
        Assert.Equal("root", pam.GetString("user.name"));
        Assert.Equal(SshdParser.Actions.PamAuthFailed, pam.GetString("event.action"));
    }

    [Fact]
    public void RepeatedMessagesKeepTheirCount()
    {
        var e = Parse("message repeated 3 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]");
        AssertFailure(e, "root", "1.2.3.4", SshdParser.Actions.AuthFailedRepeated);
        Assert.Equal(3, e.Get("event.repeat_count").AsLong());
    }

    [Fact]
    public void AcceptedLoginsAreSuccesses()
    {
        var e = Parse("Accepted publickey for alice from 1.2.3.4 port 5 ssh2: RSA SHA256:uFYLMbGlQhp0sKGzjI0CEkb5Bx0yCLgWhV3uLGIvNVQ");
        Assert.Equal("success", e.GetString("event.outcome"));
        Assert.Equal(SshdParser.Actions.Login, e.GetString("event.action"));
        Assert.Equal("alice", e.GetString("user.name"));
        Assert.Equal("publickey", e.GetString("ssh.auth_method"));
        Assert.Equal("RSA SHA256:uFYLMbGlQhp0sKGzjI0CEkb5Bx0yCLgWhV3uLGIvNVQ", e.GetString("ssh.key"));
        Assert.Equal("success", Parse("Accepted password for bob from 2001:db8::2 port 6 ssh2").GetString("event.outcome"));
    }

    [Fact]
    public void OldStylePamProgramLinesAreAuthenticationFailures()
    {
        // Linux_2k.log: "sshd(pam_unix)[19939]: authentication failure; ... rhost=218.188.2.4"
        var e = Parse("authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ", "sshd(pam_unix)[19939]");
        AssertFailure(e, null, "218.188.2.4", SshdParser.Actions.PamAuthFailed);
        Assert.Equal(SshdParser.Actions.PamUserUnknown, Parse("check pass; user unknown", "sshd(pam_unix)[1]").GetString("event.action"));
    }

    [Fact]
    public void OtherProgramsAreUnmatched()
    {
        Assert.Equal(ParseStatus.Unmatched, Run(new SshdParser(), "Mar  4 10:00:00 gate sudo: x : TTY=pts/0").Outcome.Status);
    }
}
