using System.Diagnostics;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Tests.Inputs;
using Gumshoe.Engine.Tests.Inputs.Saas.Fakes;
using Gumshoe.Engine.Tests.Parsers;

namespace Gumshoe.Engine.Tests.Pipeline;

/// <summary>
/// One data directory, one run: a second <c>gumshoe run</c> on a directory in use waits 10 s for it, then is refused
/// with a message naming the holder, having read nothing; a run started while the last one stops takes over once it
/// is gone; after a SIGKILL the directory is free at once.
/// </summary>
public sealed class DataDirectoryLockTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-lock-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Data => Path.Combine(_dir, "data");

    [Fact]
    public void A_hold_excludes_a_second_hold_in_the_same_process_until_released()
    {
        using (DataDirectoryLock.Acquire(Data))
        {
            var refused = Assert.Throws<DataDirectoryInUseException>(() => DataDirectoryLock.Acquire(Data));
            Assert.Contains("another run in this process", refused.Message);
            Assert.Contains(Data, refused.Message);
            using var other = DataDirectoryLock.Acquire(Path.Combine(_dir, "other")); // another directory is another hold
        }
        using var again = DataDirectoryLock.Acquire(Data);
        Assert.Contains($"pid {Environment.ProcessId}", File.ReadAllText(Path.Combine(Data, "checkpoint.lock")));
    }

    [Fact]
    public async Task A_second_run_on_a_data_directory_in_use_is_refused_and_a_killed_run_frees_it()
    {
        var log = Path.Combine(_dir, "auth.log");
        File.WriteAllLines(log, File.ReadLines(SharedData.File("logs/OpenSSH_2k.log")).Take(100));
        var config = Path.Combine(_dir, "gumshoe.yml");
        File.WriteAllText(config, $$"""
            inputs:
              - name: auth
                type: file
                paths: ["{{log}}"]
                start_at: beginning
                parser: sshd
            """);
        Process Run(List<string> output) => GumshoeProcess.Start(
            ["run", "-v", "-c", config, "--data-dir", Data, "--metrics-listen", $"127.0.0.1:{Loopback.FreePort()}"], new Dictionary<string, string>(), output);

        var started = new List<Process>();
        try
        {
            var firstOutput = new List<string>();
            var first = Run(firstOutput);
            started.Add(first);
            await WaitForAsync(() => File.Exists(Path.Combine(Data, "checkpoint.json")), "the first run's checkpoint", firstOutput);

            var secondOutput = new List<string>();
            var second = Run(secondOutput);
            started.Add(second);
            var waited = Stopwatch.StartNew();
            await second.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(40));
            Assert.Equal(1, second.ExitCode);
            Assert.True(waited.Elapsed >= TimeSpan.FromSeconds(9), $"refused after {waited.Elapsed}, without waiting");
            lock (secondOutput)
            {
                Assert.Contains(secondOutput, l => l.Contains($"is held by another gumshoe, pid {first.Id}", StringComparison.Ordinal) && l.Contains("waiting up to 10 s", StringComparison.Ordinal));
                Assert.Contains(secondOutput, l => l.Contains($"error: data directory {Data} is in use by another gumshoe, pid {first.Id}", StringComparison.Ordinal));
            }
            Assert.False(first.HasExited);

            // a restart that does not wait for the last run to stop: the new run waits for it
            var takeoverOutput = new List<string>();
            GumshoeProcess.Signal(first, "TERM");
            var takeover = Run(takeoverOutput);
            started.Add(takeover);
            await first.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, first.ExitCode);
            await WaitForAsync(() => { lock (takeoverOutput) return takeoverOutput.Any(l => l.Contains("resumed from checkpoint", StringComparison.Ordinal)); }, "the new run to take over", takeoverOutput);
            first = takeover;

            first.Kill(); // SIGKILL: the kernel drops the lock with the process
            await first.WaitForExitAsync();
            var thirdOutput = new List<string>();
            var third = Run(thirdOutput);
            started.Add(third);
            await WaitForAsync(() => { lock (thirdOutput) return thirdOutput.Any(l => l.Contains("resumed from checkpoint", StringComparison.Ordinal)); }, "the third run to resume", thirdOutput);
            Assert.Equal(0, await GumshoeProcess.StopAsync(third));
        }
        finally
        {
            foreach (var p in started)
            {
                if (!p.HasExited) p.Kill();
                p.Dispose();
            }
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, List<string> output)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(30))
                lock (output) Assert.Fail($"timed out waiting for {what}; output:\n{string.Join('\n', output)}");
            await Task.Delay(50);
        }
    }
}
