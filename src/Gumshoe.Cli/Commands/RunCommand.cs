using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Decisions;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Storage;
using Gumshoe.Web;
using Gumshoe.Web.Activity;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Cli.Commands;

/// <summary>
/// <c>gumshoe run</c>: runs the config live until SIGTERM or Ctrl-C, checkpointing as it goes; with a <c>web:</c>
/// section or <c>--listen</c> it also opens the store and serves the web UI and API in the same process.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var alertsOut = new Option<string?>("--alerts-out") { Description = "Append each alert to this file as a JSON line" };
        var eventsOut = new Option<string?>("--events-out") { Description = "Append each parsed event to this file as a JSON line" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where checkpoints and embedded state live (default ~/.local/state/gumshoe)" };
        var metricsListen = new Option<string>("--metrics-listen") { Description = "Address of the Prometheus /metrics endpoint", DefaultValueFactory = _ => "127.0.0.1:9464" };
        var listen = new Option<string?>("--listen") { Description = $"Serve the web UI on ADDR:PORT (overrides web.listen; default {WebOptions.DefaultListen} when the config has a web: section)" };
        var mode = new Option<string>("--mode")
        {
            Description = "all: inputs, rules and outputs; collect: only inputs and parsers, events to --events-out; analyze: rules over the events in --events-in",
            DefaultValueFactory = _ => "all",
        };
        mode.AcceptOnlyFromAmong("all", "collect", "analyze");
        var eventsIn = new Option<string?>("--events-in") { Description = "With --mode analyze: the JSON-lines events file a collector writes (followed as it grows)" };
        var cmd = new Command("run", "Run live: tail inputs, correlate, act, serve the web UI; stops cleanly on SIGTERM/Ctrl-C") { alertsOut, eventsOut, dataDir, metricsListen, listen, mode, eventsIn };
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
                rules = RuleSet.Compile(m == "collect" ? null : config.Rules, metrics, config.Components);
            }
            catch (ConfigException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
            var web = config.Sections.GetValueOrDefault("web") as WebOptions;
            if (r.GetValue(listen) is { } listenText)
            {
                if (!ListenAddress.TryParse(listenText, out var endpoint))
                {
                    Console.Error.WriteLine($"error: --listen: expected an address and port such as 127.0.0.1:8080, got '{listenText}'");
                    return 2;
                }
                web = (web ?? new WebOptions()).WithListen(endpoint);
            }
            var directory = Path.GetFullPath(r.GetValue(dataDir) ?? DefaultDataDirectory());
            var provider = config.Components.Storage;
            provider.DataDirectory = directory;
            await using var _ = provider;

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            void OnSignal(PosixSignalContext c) { c.Cancel = true; stop.Cancel(); }
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

            GumshoeStore? store = null;
            if (web is not null || provider.Wanted)
            {
                try { store = await provider.GetAsync(stop.Token); }
                catch (StorageException ex)
                {
                    Console.Error.WriteLine($"error: {ex.Message}");
                    return 1;
                }
            }
            await using var endpointMetrics = new MetricsEndpoint(metrics, r.GetValue(metricsListen)!, logger);
            endpointMetrics.Start(stop.Token);

            var activity = new LiveActivity();
            await using var recorder = store is null ? null : new AlertRecorder(store.Alerts, activity, metrics, loggers.CreateLogger("gumshoe.store"));
            GumshoeWebApp? app = null;
            if (web is not null)
            {
                var password = await store!.EnsureFirstAdminAsync(directory, stop.Token);
                app = GumshoeWebApp.Create(web, new RunView(store, metrics, activity, RunView.RulesOf(config.Rules)), directory, loggers);
                try { await app.StartAsync(stop.Token); }
                catch (Exception ex) when (ex is IOException or InvalidOperationException)
                {
                    Console.Error.WriteLine($"error: cannot serve the web UI on {web.Listen}: {ex.Message}");
                    await app.DisposeAsync();
                    return 1;
                }
                Console.WriteLine($"web UI: {app.Address}");
                if (password is not null)
                    Console.WriteLine($"first run: sign in as 'admin' with password {password} (also in {Path.Combine(directory, "initial-admin-password")}, readable only by you)");
            }
            // expiry and the journaled on_apply/on_release effects of decisions
            var outbox = store is null ? Task.CompletedTask : new OutboxRunner(store, provider.Effects, loggers.CreateLogger("gumshoe.decisions")).RunAsync(TimeSpan.FromSeconds(1), stop.Token);

            var runner = new LiveRunner(config, rules, new LiveRunOptions
            {
                DataDirectory = directory,
                AlertsOut = r.GetValue(alertsOut),
                EventsOut = r.GetValue(eventsOut),
                Observe = recorder is null ? null : recorder.Attach,
            }, metrics, loggers);
            logger.LogInformation("running {Config}: {Inputs} inputs, {Rules} rules", config.File, config.Inputs.Count, rules.Rules.Count);
            try
            {
                await runner.RunAsync(stop.Token);
            }
            finally
            {
                if (app is not null)
                {
                    await app.StopAsync(TimeSpan.FromSeconds(1.5));
                    await app.DisposeAsync();
                }
                await outbox;
            }
            logger.LogInformation("stopped; checkpoint saved");
            return 0;
        });
        return cmd;
    }

    public static string DefaultDataDirectory() => StoreProvider.DefaultDataDirectory();
}
