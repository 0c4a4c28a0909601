using System.CommandLine;
using Gumshoe.Engine;
using Gumshoe.Engine.Config;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Cli;

/// <summary>Options every command takes: verbosity, a log file, the config path.</summary>
public static class GlobalOptions
{
    public static readonly Option<bool> Verbose = new("--verbose", "-v") { Description = "More log output (-v info, -vv debug)", Recursive = true, Arity = ArgumentArity.Zero };
    public static readonly Option<bool> VeryVerbose = new("-vv") { Description = "Debug log output", Recursive = true, Arity = ArgumentArity.Zero };
    public static readonly Option<string?> LogFile = new("--log-file") { Description = "Also write the log to this file", Recursive = true };
    public static readonly Option<string?> Config = new("--config", "-c") { Description = "Config file (default: ./gumshoe.yml, ~/.config/gumshoe/config.yml, /etc/gumshoe/config.yml)", Recursive = true };

    public static IEnumerable<Option> All => [Verbose, VeryVerbose, LogFile, Config];

    /// <summary>A logger factory writing to stderr (and the log file), at the level the flags ask for.</summary>
    public static ILoggerFactory Logging(ParseResult r)
    {
        var level = r.GetValue(VeryVerbose) ? LogLevel.Debug : r.GetValue(Verbose) ? LogLevel.Information : LogLevel.Warning;
        var file = r.GetValue(LogFile);
        return new DeferredLoggerFactory(() => LoggerFactory.Create(b =>
        {
            b.SetMinimumLevel(level);
            b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; })
             .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            if (file is not null) b.AddProvider(new FileLoggerProvider(file));
        }), level);
    }

    /// <summary>Loads the config named by <c>--config</c> (or found in the default places).</summary>
    public static GumshoeConfig LoadConfig(ParseResult r) =>
        GumshoeConfig.Load(GumshoeConfig.Locate(r.GetValue(Config)), BuiltInComponents.Create().AddSection("web", Web.WebOptions.ReadSection));
}
