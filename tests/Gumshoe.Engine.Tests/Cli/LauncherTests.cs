using System.Diagnostics;

namespace Gumshoe.Engine.Tests.Cli;

/// <summary>
/// The <c>./gumshoe</c> launcher's build check, on a copy of it beside a small source tree and with a stand-in
/// <c>dotnet</c> that records each build: it builds when a source changes, is added, deleted or renamed, or gets an
/// older time; not for changes under bin/ or obj/; once for several launchers started together.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // the launcher is a bash script
public sealed class LauncherTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("gumshoe-launcher-").FullName;
    private string Builds => Path.Combine(_root, "builds.txt");

    public LauncherTests()
    {
        var launcher = Path.Combine(RepositoryRoot(), "gumshoe");
        File.Copy(launcher, Path.Combine(_root, "gumshoe"));
        Directory.CreateDirectory(Path.Combine(_root, "src/Gumshoe.Cli/Commands"));
        Directory.CreateDirectory(Path.Combine(_root, "src/Gumshoe.Cli/obj"));
        File.WriteAllText(Path.Combine(_root, "src/Gumshoe.Cli/Gumshoe.Cli.csproj"), "<Project />");
        File.WriteAllText(Path.Combine(_root, "src/Gumshoe.Cli/Program.cs"), "class P {}");
        File.WriteAllText(Path.Combine(_root, "src/Gumshoe.Cli/Commands/Parse.cs"), "class Q {}");
        File.WriteAllText(Path.Combine(_root, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(_root, "Directory.Packages.props"), "<Project />");
        // a stand-in dotnet: records the build, takes a moment, and leaves an executable that echoes its arguments
        var bin = Directory.CreateDirectory(Path.Combine(_root, "fake-bin")).FullName;
        File.WriteAllText(Path.Combine(bin, "dotnet"), $$"""
            #!/usr/bin/env bash
            while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done
            echo build >> "{{Builds}}"
            sleep 0.3
            mkdir -p "$out"
            printf '#!/usr/bin/env bash\necho "ran $*"\n' > "$out/gumshoe"
            chmod +x "$out/gumshoe"
            """.Replace("\r", ""));
        File.SetUnixFileMode(Path.Combine(bin, "dotnet"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => Directory.Delete(_root, true);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "gumshoe")) && File.Exists(Path.Combine(dir.FullName, "Gumshoe.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root not found");
    }

    private Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(_root, "gumshoe"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PATH"] = Path.Combine(_root, "fake-bin") + ":" + Environment.GetEnvironmentVariable("PATH");
        return Process.Start(psi)!;
    }

    private string Run(params string[] args)
    {
        using var p = Start(args);
        var output = p.StandardOutput.ReadToEnd();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
        return output;
    }

    private int BuildCount => File.Exists(Builds) ? File.ReadAllLines(Builds).Length : 0;

    // A change is told by status-change times, which the file system keeps in clock ticks of a few milliseconds.
    private static void Tick() => Thread.Sleep(30);

    private void AssertBuildsOnce(Action change)
    {
        Tick();
        var before = BuildCount;
        change();
        Assert.Equal("ran version\n", Run("version"));
        Assert.Equal(before + 1, BuildCount);
        Run("version");
        Assert.Equal(before + 1, BuildCount);
    }

    [Fact]
    public void Builds_once_per_change_of_the_sources_and_not_otherwise()
    {
        Assert.Equal("ran parse --parser sshd x.log\n", Run("parse", "--parser", "sshd", "x.log"));
        Assert.Equal(1, BuildCount);
        Run("version");
        Assert.Equal(1, BuildCount);

        var program = Path.Combine(_root, "src/Gumshoe.Cli/Program.cs");
        AssertBuildsOnce(() => File.AppendAllText(program, "// edited"));
        AssertBuildsOnce(() => File.SetLastWriteTimeUtc(program, new DateTime(2001, 1, 1))); // an older time
        AssertBuildsOnce(() => File.WriteAllText(Path.Combine(_root, "src/Gumshoe.Cli/Commands/New.cs"), "class N {}"));
        AssertBuildsOnce(() => File.Move(Path.Combine(_root, "src/Gumshoe.Cli/Commands/New.cs"), Path.Combine(_root, "src/Gumshoe.Cli/Commands/Renamed.cs")));
        AssertBuildsOnce(() => File.Delete(Path.Combine(_root, "src/Gumshoe.Cli/Commands/Renamed.cs")));
        AssertBuildsOnce(() => File.AppendAllText(Path.Combine(_root, "Directory.Packages.props"), " "));

        // build output is no source
        Tick();
        File.WriteAllText(Path.Combine(_root, "src/Gumshoe.Cli/obj/project.assets.json"), "{}");
        Run("version");
        Assert.Equal(7, BuildCount);
    }

    [Fact]
    public void Launchers_started_together_after_a_change_build_once()
    {
        Run("version");
        Tick();
        File.AppendAllText(Path.Combine(_root, "src/Gumshoe.Cli/Program.cs"), "// edited");
        var launchers = Enumerable.Range(0, 4).Select(i => Start("version", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        foreach (var (p, i) in launchers.Select((p, i) => (p, i)))
        {
            Assert.Equal($"ran version {i}\n", p.StandardOutput.ReadToEnd());
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
            p.Dispose();
        }
        Assert.Equal(2, BuildCount);
    }
}
