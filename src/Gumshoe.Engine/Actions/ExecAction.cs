using System.Diagnostics;
using System.Text;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Actions;

/// <summary>
/// <c>exec</c>: runs a program with an argument list and environment built from templates — never through a
/// shell, so quotes, <c>;</c>, <c>$(…)</c> and the like in event fields are plain text. The program (argv[0]) is
/// fixed text. An argument whose template starts with a placeholder and whose value starts with <c>-</c> is
/// refused (the request fails without retry) unless an earlier argument is <c>--</c>, so a user name such as
/// <c>-rf</c> cannot become an option. Runs with a timeout (the process tree is killed) and at most
/// <c>max_concurrency</c> at once; a non-zero exit code fails the attempt with the exit code and the end of
/// stderr, and is retried.
/// </summary>
public sealed class ExecAction : IAction, IActionLimits
{
    private const int CaptureLimit = 16 * 1024;
    private readonly string _program;
    private readonly Template[] _args;
    private readonly (string Name, Template Value)[] _env;
    private readonly TimeSpan _timeout;
    private readonly ILogger? _logger;

    public ExecAction(string program, IEnumerable<string> args, IEnumerable<KeyValuePair<string, string>> env, TimeSpan timeout, int maxConcurrency = 4, int? attempts = null, ILogger? logger = null)
    {
        _program = program;
        _args = args.Select(a => new Template(a)).ToArray();
        _env = env.Select(kv => (kv.Key, new Template(kv.Value))).ToArray();
        _timeout = timeout;
        MaxConcurrency = maxConcurrency;
        Attempts = attempts;
        _logger = logger;
    }

    public string Type => "exec";
    public int MaxConcurrency { get; }
    public int? Attempts { get; }

    /// <summary>The last completed run's exit code and captured output (for logs and tests).</summary>
    public ExecResult? LastResult { get; private set; }

    /// <summary>Reads <c>exec: {argv: [...], env: {...}, timeout, max_concurrency, attempts}</c>.</summary>
    public static IAction Create(ConfigNode node, ComponentContext context)
    {
        var argvNode = node.Required("argv");
        if (!argvNode.IsSequence) throw argvNode.Error("argv is a list: [program, arg, …] (never a shell command line)");
        var argv = argvNode.AsStringList();
        if (argv.Count == 0 || string.IsNullOrWhiteSpace(argv[0])) throw argvNode.Error("argv needs a program");
        if (new Template(argv[0]).HasFields) throw argvNode.Error("the program (argv[0]) must be fixed text, not built from event fields");
        var env = node.Get("env") is { IsNull: false } envNode
            ? envNode.Entries.Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value.AsString())).ToList()
            : [];
        foreach (var (name, _) in env)
            if (name.Length == 0 || name.Contains('=') || name.Contains('\0')) throw node.Error($"invalid environment variable name '{name}'");
        return new ExecAction(argv[0], argv.Skip(1), env, node.DurationAt("timeout") ?? TimeSpan.FromSeconds(30),
            node.Int("max_concurrency", 1, 256) ?? 4, node.Int("attempts", 1, 1000));
    }

    /// <summary>The argument list for a request, after the inertness checks.</summary>
    public IReadOnlyList<string> RenderArguments(ActionRequest request)
    {
        var list = new List<string>(_args.Length);
        var optionsEnded = false;
        foreach (var t in _args)
        {
            var value = t.Render(request.Event, request.Values);
            if (value.Contains('\0')) throw new ActionFailedException("an argument contains a NUL character", retryable: false);
            if (!optionsEnded && t.StartsWithField && value.StartsWith('-'))
                throw new ActionFailedException($"argument '{Shorten(value)}' from an event field looks like an option; put \"--\" before it in argv", retryable: false);
            if (t.Source == "--") optionsEnded = true;
            list.Add(value);
        }
        return list;
    }

    public async Task ExecuteAsync(ActionRequest request, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(_program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            UseShellExecute = false, CreateNoWindow = true,
        };
        foreach (var a in RenderArguments(request)) psi.ArgumentList.Add(a);
        foreach (var (name, value) in _env)
        {
            var v = value.Render(request.Event, request.Values);
            if (v.Contains('\0')) throw new ActionFailedException($"environment variable {name} contains a NUL character", retryable: false);
            psi.Environment[name] = v;
        }
        psi.Environment["GUMSHOE_ACTION_KEY"] = request.Key;
        psi.Environment["GUMSHOE_RULE"] = request.Rule;
        using var process = new Process { StartInfo = psi };
        try { process.Start(); }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new ActionFailedException($"cannot start {_program}: {ex.Message}", retryable: true, inner: ex);
        }
        process.StandardInput.Close();
        var stdout = CaptureAsync(process.StandardOutput);
        var stderr = CaptureAsync(process.StandardError);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw new ActionFailedException($"{_program} timed out after {_timeout.TotalSeconds:0.###}s and was killed", retryable: true);
        }
        var result = new ExecResult(process.ExitCode, await stdout, await stderr);
        LastResult = result;
        if (result.ExitCode != 0)
            throw new ActionFailedException($"{_program} exited with code {result.ExitCode}: {Shorten(result.Stderr.Trim(), 500)}", retryable: true);
        _logger?.LogInformation("exec {Program} for {Rule}: exit 0", _program, request.Rule);
    }

    // Keeps the last CaptureLimit characters: the end of stderr usually says what went wrong.
    private static async Task<string> CaptureAsync(StreamReader reader)
    {
        var sb = new StringBuilder();
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
        {
            sb.Append(buffer, 0, n);
            if (sb.Length > CaptureLimit) sb.Remove(0, sb.Length - CaptureLimit);
        }
        return sb.ToString();
    }

    private static string Shorten(string s, int max = 80) => s.Length <= max ? s : s[..max] + "…";
}

/// <summary>What a finished program returned.</summary>
public sealed record ExecResult(int ExitCode, string Stdout, string Stderr);
