using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using Gumshoe.Engine.Cluster;
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
            Description = "all: one process (inputs, rules, actions, web). With a cluster: section: collect (inputs → NATS), analyze (NATS → rules → alerts), "
                + "respond (alerts → actions), web (the UI over the shared store). Without one: collect writes events to --events-out, analyze reads --events-in",
            DefaultValueFactory = _ => "all",
        };
        mode.AcceptOnlyFromAmong("all", "collect", "analyze", "respond", "web");
        var eventsIn = new Option<string?>("--events-in") { Description = "With --mode analyze: the JSON-lines events file a collector writes (followed as it grows)" };
        var cmd = new Command("run", "Run live: tail inputs, correlate, act, serve the web UI; stops cleanly on SIGTERM/Ctrl-C") { alertsOut, eventsOut, dataDir, metricsListen, listen, mode, eventsIn };
        cmd.SetAction(async (r, ct) =>
        {
            using var loggers = GlobalOptions.Logging(r);
            var logger = loggers.CreateLogger("gumshoe");
            GumshoeConfig config;
            RuleSet rules;
            var metrics = new MetricsRegistry();
            var m = r.GetValue(mode)!;
            ClusterOptions? cluster;
            try
            {
                config = GlobalOptions.LoadConfig(r);
                cluster = m is "all" or "web" ? null : config.Components.Cluster;
                if (cluster is null && m == "respond") throw new ConfigException(config.File, 0, 0, "--mode respond reads alerts from a cluster: give the config a cluster: section");
                if (cluster is not null && config.Components.Storage.Options.Type != StorageType.Postgres)
                    throw new ConfigException(config.File, 0, 0, "a cluster shares alerts, decisions and state in PostgreSQL: set storage: {type: postgres, connection_string: ...}");
                if (cluster is null && m == "collect" && r.GetValue(eventsOut) is null) throw new ConfigException(config.File, 0, 0, "--mode collect forwards events: give --events-out FILE");
                if (cluster is null && m == "analyze")
                {
                    // the collector's events file replaces the configured inputs: its lines are parsed and enriched events,
                    // read back with their types and input names (tailed from its start, checkpointed, rotation-safe)
                    var source = r.GetValue(eventsIn) ?? throw new ConfigException(config.File, 0, 0, "--mode analyze reads events: give --events-in FILE");
                    config.Inputs.Clear();
                    config.Inputs.Add(new FileTailInput("events-in", new CollectedEventParser(), new ParseContext { TimeZone = TimeZoneInfo.Utc },
                        new FileTailOptions { Paths = [Path.GetFullPath(source)] }));
                    config.Enrichers.Clear();
                }
                rules = RuleSet.Compile(m == "collect" ? null : config.Rules, metrics, config.Components);
            }
            catch (ConfigException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
            var web = cluster is not null ? null : config.Sections.GetValueOrDefault("web") as WebOptions;
            if (m == "web") web ??= new WebOptions();
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
            // System.CommandLine's handler of the same signal may run first and wait until this command returned and
            // disposed `stop`: cancelling it then must not crash the process (it aborted with exit 134)
            void OnSignal(PosixSignalContext c)
            {
                c.Cancel = true;
                try { stop.Cancel(); }
                catch (ObjectDisposedException) { }
            }
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

            GumshoeStore? store = null;
            if (web is not null || provider.Wanted || m == "web")
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
            var logins = new LoginHistory();
            var recorder = store is null || cluster is not null ? null : new AlertRecorder(store.Alerts, activity, metrics, loggers.CreateLogger("gumshoe.store"));
            GumshoeWebApp? app = null;
            if (web is not null)
            {
                var password = await store!.EnsureFirstAdminAsync(directory, stop.Token);
                app = GumshoeWebApp.Create(web, new RunView(store, metrics, activity, RunView.RulesOf(config.Rules), logins), directory, loggers);
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
            // expiry and the journaled on_apply/on_release effects of decisions (in a cluster: the responders' job)
            var outbox = store is null || (cluster is not null && m != "respond") ? Task.CompletedTask
                : new OutboxRunner(store, provider.Effects, loggers.CreateLogger("gumshoe.decisions")).RunAsync(TimeSpan.FromSeconds(1), stop.Token);
            if (cluster is not null || m == "web")
            {
                try { return await RunRoleAsync(m, cluster, config, store!, directory, r.GetValue(eventsOut), metrics, loggers, stop.Token); }
                catch (Exception ex) when (ex is DataDirectoryInUseException or InvalidDataException)
                {
                    Console.Error.WriteLine($"error: {ex.Message}");
                    return 1;
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
            }

            var runner = new LiveRunner(config, rules, new LiveRunOptions
            {
                DataDirectory = directory,
                AlertsOut = r.GetValue(alertsOut),
                EventsOut = r.GetValue(eventsOut),
                Observe = recorder is null ? null : pipeline => { recorder.Attach(pipeline); logins.Attach(pipeline); },
                Participants = recorder is null ? [] : [recorder],
                // a collector forwards events for an analyser: analytics (per-user state) run there, on what it reads
                RunAnalytics = m != "collect",
                AnnotateEventsOut = m == "collect",
            }, metrics, loggers);
            logger.LogInformation("running {Config}: {Inputs} inputs, {Rules} rules", config.File, config.Inputs.Count, rules.Rules.Count);
            try
            {
                await runner.RunAsync(stop.Token);
            }
            catch (Exception ex) when (ex is DataDirectoryInUseException or InvalidDataException)
            {
                // another run holds the data directory, or its checkpoint is corrupt: nothing was read
                Console.Error.WriteLine($"error: {ex.Message}");
                return 1;
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

    // One role of a scaled-out deployment (or the web UI alone), until stopped.
    private static async Task<int> RunRoleAsync(string mode, ClusterOptions? cluster, GumshoeConfig config, GumshoeStore store, string directory,
        string? eventsOut, MetricsRegistry metrics, ILoggerFactory loggers, CancellationToken stop)
    {
        var logger = loggers.CreateLogger("gumshoe");
        if (cluster is null)
        {
            logger.LogInformation("serving the web UI only");
            try { await Task.Delay(Timeout.Infinite, stop); } catch (OperationCanceledException) { }
            return 0;
        }
        ClusterConnection connection;
        try { connection = await ClusterConnection.OpenAsync(cluster, $"gumshoe-{mode}-{Environment.ProcessId}", loggers.CreateLogger("gumshoe.nats"), stop); }
        catch (OperationCanceledException) { return 0; }
        await using var _ = connection;
        logger.LogInformation("{Mode}: connected to NATS {Server}", mode, connection.Connection.ServerInfo?.Name);
        switch (mode)
        {
            case "collect":
            {
                var publisher = new EventPublisher(connection, EventPublisher.StableId(directory), metrics, loggers.CreateLogger("gumshoe.cluster.collect"));
                var published = metrics.Counter("gumshoe_cluster_published_total");
                var runner = new LiveRunner(config, RuleSet.Compile(null, metrics, config.Components), new LiveRunOptions
                {
                    DataDirectory = directory, EventsOut = eventsOut, Forward = publisher, RunAnalytics = false, ReloadRules = false,
                }, metrics, loggers);
                logger.LogInformation("collector {Id}: {Inputs} inputs → {Stream} ({Partitions} partitions by {Key})",
                    publisher.CollectorId, config.Inputs.Count, cluster.EventStream, cluster.Partitions, cluster.PartitionBy.Spec);
                await new MemberHeartbeat(store.Cluster, publisher.CollectorId, "collect", cluster.Lease, () => $"published {published.Value}", logger)
                    .RunWhileAsync(() => runner.RunAsync(stop), stop);
                break;
            }
            case "analyze":
                await new AnalyzerNode(connection, store, config, metrics, loggers).RunAsync(stop);
                break;
            case "respond":
            {
                var id = $"{Environment.MachineName}-{Environment.ProcessId}";
                var node = new ResponderNode(connection, config, directory, metrics, loggers);
                var received = metrics.Counter("gumshoe_cluster_alerts_received_total");
                await new MemberHeartbeat(store.Cluster, id, ResponderNode.Role, cluster.Lease, () => $"alerts {received.Value}", logger)
                    .RunWhileAsync(() => node.RunAsync(stop), stop);
                break;
            }
        }
        logger.LogInformation("{Mode}: stopped", mode);
        return 0;
    }
}
