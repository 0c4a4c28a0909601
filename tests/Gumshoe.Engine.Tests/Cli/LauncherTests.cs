using System.Diagnostics;

namespace Gumshoe.Engine.Tests.Cli;

/// <summary>
/// The <c>./gumshoe</c> launcher's build check, on a copy of it beside a small source tree and with a stand-in
/// <c>dotnet</c> that records each build: it builds when a source changes, is added, deleted or renamed, or gets an
/// older time; not for changes under bin/ or obj/; once for several launchers started together; <c>parse</c> runs
/// the native build, built on first use, and the portable one when the native build fails or is turned off.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // the launcher is a bash script
public sealed class LauncherTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("gumshoe-launcher-").FullName;
    private string Builds => Path.Combine(_root, "builds.txt");

    public LauncherTests()
    {
        var launcher = Path.Combine(Repository.Root, "gumshoe");
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
            kind=portable
            while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; [ "$1" = -p:GumshoeNative=true ] && kind=native; shift; done
            echo "$kind" >> "{{Builds}}"
            sleep 0.3
            [ "$kind" = native ] && [ -n "${FAKE_NATIVE_FAILS:-}" ] && { echo "no linker" >&2; exit 1; }
            mkdir -p "$out"
            ran=ran; [ "$kind" = native ] && ran=native
            printf '#!/usr/bin/env bash\necho "%s $*"\n' "$ran" > "$out/gumshoe"
            chmod +x "$out/gumshoe"
            """.Replace("\r", ""));
        File.SetUnixFileMode(Path.Combine(bin, "dotnet"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => Directory.Delete(_root, true);


    private Process Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    private Process Start(Dictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(_root, "gumshoe"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PATH"] = Path.Combine(_root, "fake-bin") + ":" + Environment.GetEnvironmentVariable("PATH");
        psi.Environment.Remove("GUMSHOE_NATIVE");
        foreach (var (k, v) in env) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }

    private string Run(params string[] args) => Run(new Dictionary<string, string>(), args);

    private string Run(Dictionary<string, string> env, params string[] args)
    {
        var (code, output, err) = RunRaw(env, args);
        Assert.True(code == 0, err);
        return output;
    }

    private (int Code, string Out, string Err) RunRaw(Dictionary<string, string> env, params string[] args)
    {
        using var p = Start(env, args);
        var output = p.StandardOutput.ReadToEndAsync();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output.Result, err);
    }

    private string[] BuildKinds => File.Exists(Builds) ? File.ReadAllLines(Builds) : [];

    private int BuildCount => BuildKinds.Length;

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
        Assert.Equal("ran explain --parser sshd x\n", Run("explain", "--parser", "sshd", "x"));
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

    [Fact]
    public void Parse_runs_the_native_build_made_on_first_use_and_after_each_change()
    {
        Assert.Equal("ran version\n", Run("version"));
        Assert.Equal("native parse --parser sshd x.log\n", Run("parse", "--parser", "sshd", "x.log"));
        Assert.Equal("native parse y.log\n", Run("parse", "y.log"));
        Assert.Equal(["portable", "native"], BuildKinds);

        Tick();
        File.AppendAllText(Path.Combine(_root, "src/Gumshoe.Cli/Program.cs"), "// edited");
        Run("parse", "x.log");
        Run("parse", "x.log");
        Assert.Equal(["portable", "native", "native"], BuildKinds); // the portable build waits for a command of its own
        Run("version");
        Assert.Equal(["portable", "native", "native", "portable"], BuildKinds);

        Assert.Equal("ran parse x.log\n", Run(new Dictionary<string, string> { ["GUMSHOE_NATIVE"] = "off" }, "parse", "x.log"));
        Assert.Equal(4, BuildCount);
    }

    [Fact]
    public void A_failed_native_build_falls_back_to_the_portable_one_and_is_not_retried_before_a_change()
    {
        var fails = new Dictionary<string, string> { ["FAKE_NATIVE_FAILS"] = "1" };
        var (code, output, err) = RunRaw(fails, "parse", "x.log");
        Assert.Equal(0, code);
        Assert.Equal("ran parse x.log\n", output);
        Assert.Contains("native build failed", err);
        Assert.Equal(["native", "portable"], BuildKinds);
        Assert.Equal("ran parse x.log\n", Run(fails, "parse", "x.log"));
        Assert.Equal(2, BuildCount);

        // required: a failed native build is an error, not a fall-back
        (code, _, err) = RunRaw(new(fails) { ["GUMSHOE_NATIVE"] = "required" }, "parse", "x.log");
        Assert.Equal(1, code);
        Assert.Contains("no linker", err);

        Tick();
        File.AppendAllText(Path.Combine(_root, "src/Gumshoe.Cli/Program.cs"), "// edited");
        Assert.Equal("native parse x.log\n", Run("parse", "x.log"));
        Assert.Equal(["native", "portable", "native", "native"], BuildKinds);
    }
}
