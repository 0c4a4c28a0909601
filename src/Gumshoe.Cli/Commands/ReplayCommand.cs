using System.CommandLine;
using System.Diagnostics;
using Gumshoe.Engine.Analytics;
using Gumshoe.Engine.Analytics.Logins;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Outputs;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Storage;
using Gumshoe.Web.Activity;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Cli.Commands;

/// <summary><c>gumshoe replay FILE...</c>: historical files through the config's parser and rules, in event-time order.</summary>
public static class ReplayCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "Log files (.gz allowed, - for stdin)", Arity = ArgumentArity.OneOrMore };
        var alertsOut = new Option<string?>("--alerts-out") { Description = "Write each alert to this file as a JSON line" };
        var eventsOut = new Option<string?>("--events-out") { Description = "Write each parsed event to this file as a JSON line" };
        var scoresOut = new Option<string?>("--scores-out") { Description = "Write the verdict on every successful login (analytics: logins) to this file as a JSON line" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where the store lives when rules create decisions or store alerts (default ~/.local/state/gumshoe)" };
        var inputOpt = new Option<string?>("--input") { Description = "Which configured input's parser and time zone to use (default: the only one)" };
        var noPrefilter = new Option<bool>("--no-prefilter") { Description = "Parse every line, also those no rule can match (slower; for comparison)" };
        var runActions = new Option<bool>("--run-actions")
        {
            Description = "Also run the rules' actions (decisions, exec, webhooks, notifiers) exactly once, and store alerts when the config has storage; without it a replay only reports",
        };
        var cmd = new Command("replay", "Replay log files through the rules as fast as possible, then print a summary") { files, alertsOut, eventsOut, scoresOut, inputOpt, dataDir, noPrefilter, runActions };
        cmd.SetAction(async (r, ct) =>
        {
            using var loggers = GlobalOptions.Logging(r);
            var metrics = new MetricsRegistry();
            GumshoeConfig config;
            RuleSet rules;
            try
            {
                config = GlobalOptions.LoadConfig(r);
                if (r.GetValue(dataDir) is { } dir) config.Components.Storage.DataDirectory = Path.GetFullPath(dir);
                rules = RuleSet.Compile(config, metrics);
            }
            catch (ConfigException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
            var inputName = r.GetValue(inputOpt);
            IInput? input = inputName is null
                ? (config.Inputs.Count == 1 ? config.Inputs[0] : null)
                : config.Inputs.FirstOrDefault(i => i.Name == inputName);
            if (input is null)
            {
                Console.Error.WriteLine(inputName is null
                    ? $"error: the config has {config.Inputs.Count} inputs; say which one's parser to use with --input ({string.Join(", ", config.Inputs.Select(i => i.Name))})"
                    : $"error: no input named '{inputName}'");
                return 2;
            }
            var pipeline = new EventPipeline(rules, metrics, loggers.CreateLogger("gumshoe.replay")) { Enrichers = config.Enrichers };
            using var alerts = r.GetValue(alertsOut) is { } a ? Truncated(a) : null;
            using var events = r.GetValue(eventsOut) is { } ev ? Truncated(ev) : null;
            pipeline.AlertsOut = alerts;
            pipeline.EventsOut = events;
            IReadOnlyList<IAnalyzer> analyzers;
            try { analyzers = config.Sections.GetValueOrDefault("analytics") is AnalyticsSection section ? section.CreateAnalyzers() : []; }
            catch (InvalidDataException ex)
            {
                Console.Error.WriteLine($"error: analytics state: {ex.Message}");
                return 2;
            }
            pipeline.Analyzers = analyzers;
            using var scores = r.GetValue(scoresOut) is { } so ? Truncated(so) : null;
            if (scores is not null)
            {
                if (!analyzers.OfType<LoginAnalyzer>().Any()) { Console.Error.WriteLine("error: --scores-out needs an 'analytics: logins:' section in the config"); return 2; }
                var scored = false;
                foreach (var la in analyzers.OfType<LoginAnalyzer>()) la.Scored += s => { scores.WriteLine(s.WriteJson); scored = true; };
                // every successful authentication event gets a line; one that is not a sign-in (a logout) says so
                pipeline.EventEnriched += e =>
                {
                    if (!scored && e.GetString("event.outcome") == "success" && IsAuthentication(e)
                        && (e.GetString("gumshoe.user") ?? e.GetString("user.email") ?? e.GetString("user.name")) is { } user)
                    {
                        var id = e.GetString("event.id");
                        var action = e.GetString("event.action") ?? "session end";
                        scores.WriteLine(w =>
                        {
                            w.WriteStartObject();
                            if (id is null) w.WriteNull("event.id"); else w.WriteString("event.id", id);
                            w.WriteString("user", user.Trim().ToLowerInvariant());
                            w.WriteNumber("score", 0);
                            w.WriteBoolean("flagged", false);
                            w.WriteStartArray("reasons");
                            w.WriteStringValue($"not a sign-in ({action}): not scored");
                            w.WriteEndArray();
                            w.WriteEndObject();
                        });
                    }
                    scored = false;
                };
            }
            var sw = Stopwatch.StartNew();
            var runner = new ReplayRunner(pipeline, input.Name, input.Parser, input.ParseContext.TimeZone) { Prefilter = !r.GetValue(noPrefilter) };
            var paths = r.GetValue(files)!;
            foreach (var p in paths)
                if (p != "-" && !File.Exists(p)) { Console.Error.WriteLine($"error: {p}: no such file"); return 2; }

            // --run-actions: the rules' side effects through the action journal, alerts stored before the commit that runs them
            var provider = config.Components.Storage;
            await using var _ = provider;
            ReplayActions? actions = null;
            if (r.GetValue(runActions))
            {
                List<ICommitParticipant> participants = [];
                if (provider.Wanted)
                {
                    try
                    {
                        var store = await provider.GetAsync(ct);
                        var recorder = new AlertRecorder(store.Alerts, new LiveActivity(), metrics, loggers.CreateLogger("gumshoe.store"));
                        recorder.Attach(pipeline);
                        participants.Add(recorder);
                    }
                    catch (StorageException ex)
                    {
                        Console.Error.WriteLine($"error: {ex.Message}");
                        return 1;
                    }
                }
                try { actions = new ReplayActions(config, rules, provider.DataDirectory, participants, metrics, loggers); }
                catch (DataDirectoryInUseException ex)
                {
                    Console.Error.WriteLine($"error: {ex.Message}");
                    return 1;
                }
                pipeline.AlertRaised += _ => actions.AfterAlert();
            }
            await using var __ = actions;
            using (var progress = ProgressBar.ForFiles(paths))
            {
                if (progress is not null) runner.Progress = progress.Report;
                runner.Run(paths, ct);
            }
            if (actions is not null && !await actions.FinishAsync(TimeSpan.FromSeconds(60), ct))
                Console.Error.WriteLine($"warning: {actions.Journal.Unfinished} action(s) unfinished; they resume on the next replay --run-actions with --data-dir {provider.DataDirectory}");
            foreach (var la in analyzers.OfType<LoginAnalyzer>()) la.SaveState();
            Console.Error.WriteLine($"replayed {paths.Length} file(s): {runner.Events} events, {metrics.Counter("gumshoe_alerts_total").Value} alerts in {sw.Elapsed.TotalSeconds:F2}s");
            if (runner.Skipped > 0) Console.Error.WriteLine($"  {runner.Skipped} lines skipped on their raw bytes: no rule can match them (--no-prefilter parses them)");
            if (runner.DirectLines > 0) Console.Error.WriteLine($"  {runner.DirectLines} lines read from their bytes with only the fields rules read");
            foreach (var la in analyzers.OfType<LoginAnalyzer>())
                Console.Error.WriteLine($"  logins: {la.LoginsScored} scored, {la.Flagged} flagged, {la.FailuresSeen} failed attempts, {la.WithoutUser} without a user");
            foreach (var (name, labels, value) in metrics.Snapshot())
                if (value != 0) Console.Error.WriteLine($"  {name}{labels} {value}");
            return 0;
        });
        return cmd;
    }

    private static bool IsAuthentication(Gumshoe.Engine.Events.Event e)
    {
        var c = e.Get("event.category");
        return c.Kind == Gumshoe.Engine.Events.FieldKind.Array ? c.AsArray().Any(v => v.AsString() == "authentication") : c.AsString() == "authentication";
    }

    // written in 64 KiB steps rather than a write per line: the file is read when the replay ends
    private static JsonLinesFile Truncated(string path)
    {
        File.WriteAllBytes(path, []);
        return new JsonLinesFile(path) { FlushEachLine = false };
    }
}
