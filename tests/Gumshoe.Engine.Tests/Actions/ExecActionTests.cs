using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Tests.Actions;

public sealed class ExecActionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-exec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ActionRequest Request(string user)
    {
        var e = new Event { Timestamp = DateTimeOffset.UnixEpoch };
        e.Set("user.name", user);
        return new ActionRequest("k1", "r", null, e, new Dictionary<string, string> { ["rule"] = "r" });
    }

    // A fixed script that writes each argument and $USER_FIELD on its own line: event data only ever arrive as
    // arguments and environment values.
    private ExecAction Recorder(params string[] args) => new("/bin/sh",
        ["-c", "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$OUT\"; printf '%s\\n' \"$USER_FIELD\" >> \"$OUT\"", "sh", .. args],
        [new("OUT", Path.Combine(_dir, "out.txt")), new("USER_FIELD", "{user.name}")], TimeSpan.FromSeconds(10));

    [Theory]
    [InlineData("$(id)")]
    [InlineData("`touch /tmp/gumshoe-pwned`; rm -rf \"$HOME\" && echo $PATH | cat > x")]
    [InlineData("a b\nc'd\"e")]
    public async Task ShellMetacharactersInFieldsArePassedAsPlainText(string user)
    {
        await Recorder("--", "{user.name}", "user={user.name}").ExecuteAsync(Request(user), CancellationToken.None);
        var lines = File.ReadAllText(Path.Combine(_dir, "out.txt"));
        Assert.Equal($"--\n{user}\nuser={user}\n{user}\n", lines);
        Assert.False(File.Exists("/tmp/gumshoe-pwned"));
    }

    [Fact]
    public async Task AnOptionLikeValueIsRefusedWithoutADoubleDash()
    {
        var ex = await Assert.ThrowsAsync<ActionFailedException>(() => Recorder("{user.name}").ExecuteAsync(Request("-rf"), CancellationToken.None));
        Assert.False(ex.Retryable);
        Assert.Contains("looks like an option", ex.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "out.txt")));
    }

    [Fact]
    public async Task AnOptionLikeValueAfterADoubleDashOrInsideAnArgumentIsPlainText()
    {
        await Recorder("--user={user.name}", "--", "{user.name}").ExecuteAsync(Request("-rf"), CancellationToken.None);
        Assert.Equal("--user=-rf\n--\n-rf\n-rf\n", File.ReadAllText(Path.Combine(_dir, "out.txt")));
    }

    [Fact]
    public async Task ANonZeroExitFailsWithTheExitCodeAndStderrAndIsRetryable()
    {
        var action = new ExecAction("/bin/sh", ["-c", "echo 'no such chain' >&2; exit 3"], [], TimeSpan.FromSeconds(10));
        var ex = await Assert.ThrowsAsync<ActionFailedException>(() => action.ExecuteAsync(Request("bob"), CancellationToken.None));
        Assert.True(ex.Retryable);
        Assert.Contains("exited with code 3: no such chain", ex.Message);
        Assert.Equal(3, action.LastResult!.ExitCode);
    }

    [Fact]
    public async Task AProgramRunningPastItsTimeoutIsKilled()
    {
        var action = new ExecAction("/bin/sleep", ["30"], [], TimeSpan.FromMilliseconds(300));
        var started = DateTime.UtcNow;
        var ex = await Assert.ThrowsAsync<ActionFailedException>(() => action.ExecuteAsync(Request("bob"), CancellationToken.None));
        Assert.Contains("timed out", ex.Message);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task TheIdempotencyKeyIsInTheEnvironment()
    {
        var action = new ExecAction("/bin/sh", ["-c", "printf '%s %s' \"$GUMSHOE_ACTION_KEY\" \"$GUMSHOE_RULE\" > \"$OUT\""],
            [new("OUT", Path.Combine(_dir, "key.txt"))], TimeSpan.FromSeconds(10));
        await action.ExecuteAsync(Request("bob"), CancellationToken.None);
        Assert.Equal("k1 r", File.ReadAllText(Path.Combine(_dir, "key.txt")));
    }
}
