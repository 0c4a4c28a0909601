using System.CommandLine;
using System.Runtime.InteropServices;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Cli.Commands;

/// <summary><c>gumshoe run</c>: runs the config live until SIGTERM or Ctrl-C, checkpointing as it goes.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var alertsOut = new Option<string?>("--alerts-out") { Description = "Append each alert to this file as a JSON line" };
        var eventsOut = new Option<string?>("--events-out") { Description = "Append each parsed event to this file as a JSON line" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where checkpoints and embedded state live (default ~/.local/state/gumshoe)" };
        var metricsListen = new Option<string>("--metrics-listen") { Description = "Address of the Prometheus /metrics endpoint", DefaultValueFactory = _ => "127.0.0.1:9464" };
        var mode = new Option<string>("--mode")
        {
            Description = "all: inputs, rules and outputs; collect: only inputs and parsers, events to --events-out; analyze: rules over the events in --events-in",
            DefaultValueFactory = _ => "all",
        };
        mode.AcceptOnlyFromAmong("all", "collect", "analyze");
        var eventsIn = new Option<string?>("--events-in") { Description = "With --mode analyze: the JSON-lines events file a collector writes (followed as it grows)" };
        var cmd = new Command("run", "Run live: tail inputs, correlate, act; stops cleanly on SIGTERM/Ctrl-C") { alertsOut, eventsOut, dataDir, metricsListen, mode, eventsIn };
        cmd.SetAction(async (r, ct) =>
        {
            using var loggers = GlobalOptions.Logging(r);
            var logger = loggers.CreateLogger("gumshoe");
            GumshoeConfig config;
            RuleSet rules;
            var metrics = new MetricsRegistry();
            try
            {
                config = GlobalOptions.LoadConfig(r);
                var m = r.GetValue(mode);
                if (m == "collect" && r.GetValue(eventsOut) is null) throw new ConfigException(config.File, 0, 0, "--mode collect forwards events: give --events-out FILE");
                if (m == "analyze")
                {
                    // the collector's events file replaces the configured inputs; its lines are already normalised events
                    var source = r.GetValue(eventsIn) ?? throw new ConfigException(config.File, 0, 0, "--mode analyze reads events: give --events-in FILE");
                    config.Inputs.Clear();
                    config.Inputs.Add(new FileTailInput("events-in", new JsonLineParser(), new ParseContext { TimeZone = TimeZoneInfo.Utc },
                        new FileTailOptions { Paths = [Path.GetFullPath(source)] }));
                }
                rules = RuleSet.Compile(m == "collect" ? null : config.Rules, metrics);
            }
            catch (ConfigException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            void OnSignal(PosixSignalContext c) { c.Cancel = true; stop.Cancel(); }
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            await using var endpoint = new MetricsEndpoint(metrics, r.GetValue(metricsListen)!, logger);
            endpoint.Start(stop.Token);
            var runner = new LiveRunner(config, rules, new LiveRunOptions
            {
                DataDirectory = r.GetValue(dataDir) ?? DefaultDataDirectory(),
                AlertsOut = r.GetValue(alertsOut),
                EventsOut = r.GetValue(eventsOut),
            }, metrics, loggers);
            logger.LogInformation("running {Config}: {Inputs} inputs, {Rules} rules", config.File, config.Inputs.Count, rules.Rules.Count);
            await runner.RunAsync(stop.Token);
            logger.LogInformation("stopped; checkpoint saved");
            return 0;
        });
        return cmd;
    }

    public static string DefaultDataDirectory()
    {
        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state)) state = Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? ".", ".local", "state");
        return Path.Combine(state, "gumshoe");
    }
}
