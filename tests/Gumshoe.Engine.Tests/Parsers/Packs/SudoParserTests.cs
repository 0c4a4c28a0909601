using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Parsers.Packs;
using static Gumshoe.Engine.Tests.Parsers.ParserTestKit;

namespace Gumshoe.Engine.Tests.Parsers.Packs;

public class SudoParserTests
{
    private static Event Parse(string line)
    {
        var (outcome, e) = Run(new SudoParser(), line);
        Assert.Equal(ParseStatus.Matched, outcome.Status);
        return e;
    }

    [Fact]
    public void ACommandRunIsASuccessWithInvokerTargetAndCommandLine()
    {
        var e = Parse("Mar  4 10:15:01 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls -la /root");
        Assert.Equal("success", e.GetString("event.outcome"));
        Assert.Equal("sudo_command", e.GetString("event.action"));
        Assert.Equal("alice", e.GetString("user.name"));
        Assert.Equal("root", e.GetString("user.target.name"));
        Assert.Equal("/bin/ls -la /root", e.GetString("process.command_line"));
        Assert.Equal("/bin/ls", e.GetString("process.executable"));
        Assert.Equal("/home/alice", e.GetString("process.working_directory"));
        Assert.Equal("pts/0", e.GetString("process.tty.name"));
        Assert.Equal("alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls -la /root", e.GetString("message"));
        Assert.Equal("web1", e.GetString("host.name"));
        Assert.Equal(new DateTimeOffset(2024, 3, 4, 10, 15, 1, TimeSpan.Zero), e.Timestamp);
    }

    [Fact]
    public void ACommandLineMayContainSemicolons()
    {
        var e = Parse("Mar  4 10:15:01 web1 sudo[812]: bob : TTY=pts/2 ; PWD=/srv ; USER=www-data ; ENV=A=1 ; COMMAND=/bin/sh -c echo a ; echo b");
        Assert.Equal("/bin/sh -c echo a ; echo b", e.GetString("process.command_line"));
        Assert.Equal("www-data", e.GetString("user.target.name"));
        Assert.Equal(812, e.Get("process.pid").AsLong());
    }

    [Theory]
    [InlineData("alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id", "sudo_auth_failed", "alice")]
    [InlineData("alice : 1 incorrect password attempt ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id", "sudo_auth_failed", "alice")]
    [InlineData("mallory : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash", "sudo_not_in_sudoers", "mallory")]
    [InlineData("carl : command not allowed ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/vim /etc/shadow", "sudo_command_not_allowed", "carl")]
    [InlineData("dan : a password is required ; TTY=unknown ; PWD=/ ; USER=root ; COMMAND=/bin/true", "sudo_refused", "dan")]
    public void RefusalsAreFailures(string message, string action, string user)
    {
        var e = Parse("Mar  4 10:15:01 web1 sudo: " + message);
        Assert.Equal("failure", e.GetString("event.outcome"));
        Assert.Equal(action, e.GetString("event.action"));
        Assert.Equal(user, e.GetString("user.name"));
        Assert.Equal("root", e.GetString("user.target.name"));
        Assert.NotNull(e.GetString("process.command_line"));
        Assert.NotNull(e.GetString("event.reason"));
    }

    [Fact]
    public void PamAuthenticationFailuresAreFailures()
    {
        var e = Parse("Mar  4 10:15:01 web1 sudo: pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice");
        Assert.Equal("failure", e.GetString("event.outcome"));
        Assert.Equal("sudo_auth_failed", e.GetString("event.action"));
        Assert.Equal("alice", e.GetString("user.name"));
        var noUser = Parse("Mar  4 10:15:01 web1 sudo: pam_unix(sudo:auth): authentication failure; logname=bob uid=1000 euid=0 tty=/dev/pts/0 ruser=bob rhost=  user=");
        Assert.Equal("bob", noUser.GetString("user.name"));
        var noPassword = Parse("Mar  4 10:15:01 web1 sudo: pam_unix(sudo:auth): auth could not identify password for [eve]");
        Assert.Equal("failure", noPassword.GetString("event.outcome"));
        Assert.Equal("eve", noPassword.GetString("user.name"));
    }

    [Fact]
    public void SessionsNameInvokerAndTarget()
    {
        var opened = Parse("Mar  4 10:15:01 web1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)");
        Assert.Equal("sudo_session_opened", opened.GetString("event.action"));
        Assert.Equal("root", opened.GetString("user.target.name"));
        Assert.Equal("alice", opened.GetString("user.name"));
        var closed = Parse("Mar  4 10:15:01 web1 sudo: pam_unix(sudo:session): session closed for user root");
        Assert.Equal("sudo_session_closed", closed.GetString("event.action"));
        Assert.Equal("root", closed.GetString("user.target.name"));
    }

    [Fact]
    public void TheSampleSuPamLinesAreNotSudoButTheirSudoTwinsAre()
    {
        // Linux_2k.log logs PAM in the old "prog(pam_unix)[pid]:" form; its su lines must not pass as sudo,
        // and the same lines written by sudo must parse as sudo sessions.
        var suLines = File.ReadLines(SharedData.File("logs/Linux_2k.log")).Where(l => l.Contains(" su(pam_unix)[", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(suLines);
        foreach (var line in suLines)
        {
            Assert.Equal(ParseOutcome.Unmatched("not a sudo line"), Run(new SudoParser(), line).Outcome);
            var e = Parse(line.Replace(" su(pam_unix)[", " sudo(pam_unix)[", StringComparison.Ordinal));
            Assert.Equal("success", e.GetString("event.outcome"));
            Assert.StartsWith("sudo_session_", e.GetString("event.action"));
            Assert.NotNull(e.GetString("user.target.name"));
        }
    }

    [Fact]
    public void OldPamFormAuthenticationFailuresAreFailures()
    {
        var e = Parse("Jun 14 15:16:01 combo sudo(pam_unix)[19939]: authentication failure; logname=alice uid=500 euid=0 tty=pts/1 ruser= rhost=  user=alice");
        Assert.Equal("failure", e.GetString("event.outcome"));
        Assert.Equal("alice", e.GetString("user.name"));
    }

    [Fact]
    public void NonSudoLinesAreUnmatched()
    {
        Assert.Equal(ParseOutcome.Unmatched("not a sudo line"), Run(new SudoParser(), "Mar  4 10:00:00 h sshd[1]: Accepted password for a from 1.2.3.4 port 1 ssh2").Outcome);
        Assert.Equal(ParseOutcome.Unmatched("not a syslog line"), Run(new SudoParser(), "garbage").Outcome);
    }
}
