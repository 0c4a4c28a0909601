using System.Diagnostics;
using System.Globalization;

namespace Gumshoe.Engine.Tests.Inputs.Saas.Fakes;

/// <summary>The real CLI (the build next to the tests) in its own process, its output kept for failure messages.</summary>
internal static class GumshoeProcess
{
    /// <summary>Starts <c>gumshoe ARGS</c> with the environment added; stdout and stderr lines go to <paramref name="output"/>.</summary>
    public static Process Start(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, List<string> output)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gumshoe.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, a) => { if (a.Data is not null) lock (output) output.Add(a.Data); };
        p.ErrorDataReceived += (_, a) => { if (a.Data is not null) lock (output) output.Add(a.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>Sends a signal by name (TERM, KILL) and waits for <c>kill</c> itself.</summary>
    public static void Signal(Process p, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, p.Id.ToString(CultureInfo.InvariantCulture) } })!;
        kill.WaitForExit();
    }

    /// <summary>SIGTERM, then the exit within the contract's 10 s; returns the exit code.</summary>
    public static async Task<int> StopAsync(Process p)
    {
        Signal(p, "TERM");
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        return p.ExitCode;
    }
}
