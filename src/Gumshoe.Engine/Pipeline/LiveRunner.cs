using System.Diagnostics;
using System.Runtime.InteropServices;
using Gumshoe.Engine.Actions;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Outputs;
using Gumshoe.Engine.Rules;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Pipeline;

/// <summary>Options of a live run.</summary>
public sealed record LiveRunOptions
{
    /// <summary>Where the checkpoint lives.</summary>
    public required string DataDirectory { get; init; }
    public string? AlertsOut { get; init; }
    public string? EventsOut { get; init; }
    /// <summary>Called with the pipeline before the first event (hosts subscribe to its events and alerts).</summary>
    public Action<EventPipeline>? Observe { get; init; }
    /// <summary>How often positions, rule state and output lengths are committed together.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Capacity of the channel between inputs and the pipeline (backpressure beyond it).</summary>
    public int ChannelCapacity { get; init; } = 8192;
    /// <summary>Reload the rules on SIGHUP and when the config file changes, keeping the state of unchanged rules.</summary>
    public bool ReloadRules { get; init; } = true;
    /// <summary>How often quiet inputs move the event clock on by wall time (absence windows close).</summary>
    public TimeSpan ClockInterval { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>A collector's stream: every event is forwarded there, and positions commit only once it has them.</summary>
    public IEventForwarder? Forward { get; init; }
    /// <summary>Whether the <c>analytics:</c> section runs here (not in a collector: analysers own the per-user state).</summary>
    public bool RunAnalytics { get; init; } = true;
    /// <summary>Whether <see cref="EventsOut"/> is a collector's file for <c>--mode analyze</c> (see <see cref="Parsers.CollectedEventParser"/>).</summary>
    public bool AnnotateEventsOut { get; init; }
    /// <summary>Stores that must hold the pipeline's results (alerts) before each checkpoint commits.</summary>
    public IReadOnlyList<ICommitParticipant> Participants { get; init; } = [];
}

/// <summary>
/// Runs the configured inputs live until cancelled. Exactly once rests on one mechanism: at a checkpoint the
/// pipeline has acknowledged exactly the records whose effects (rule state, output lines) it commits, in one atomic
/// file. On start, outputs are cut back to their committed length, rule state and input positions are restored,
/// and everything after the checkpoint is re-read and re-derived identically. The action journal rides in the same
/// file: an action runs only after the checkpoint holding its alert is committed, and is recorded done afterwards.
/// </summary>
public sealed class LiveRunner(GumshoeConfig config, RuleSet rules, LiveRunOptions options, MetricsRegistry metrics, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("gumshoe.run");
    private RuleSet _rules = rules;
    private int _reloadRequested;

    /// <summary>The rules in use (replaced by a reload).</summary>
    public RuleSet Rules => _rules;

    /// <summary>The action journal of the current run (null before it starts).</summary>
    public ActionJournal? Journal { get; private set; }

    /// <summary>Asks for the rules to be reloaded from the config file before the next event.</summary>
    public void RequestReload() => Interlocked.Exchange(ref _reloadRequested, 1);

    /// <summary>Set once inputs are started (for tests and readiness).</summary>
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task RunAsync(CancellationToken stop)
    {
        var store = new CheckpointStore(options.DataDirectory);
        using var hold = await store.HoldAsync(_logger, stop);
        if (hold is null) return; // stopped while waiting for it
        var checkpoint = store.Load();
        // A collector's events file is read by an analyser as it grows: it is never cut back (the analyser would take
        // that for a truncation and read it all again). What the last run wrote past the checkpoint stays, and is not
        // written again when the inputs re-read it.
        var eventsCommitted = (long?)checkpoint?["outputs"]?["events"];
        HashSet<string>? alreadyWritten = null;
        if (options.AnnotateEventsOut && options.EventsOut is { } eventsPath && eventsCommitted is { } committed)
        {
            (eventsCommitted, alreadyWritten) = Parsers.CollectedEventParser.AfterCommitted(eventsPath, committed);
            // kept by an earlier restart and not re-derived before the next kill: still pending
            if (checkpoint?["outputs"]?["events_written"] is JsonArray pending)
                foreach (var key in pending) if (key?.GetValue<string>() is { } k) alreadyWritten.Add(k);
        }
        var pipeline = new EventPipeline(_rules, metrics, loggers.CreateLogger("gumshoe.pipeline"))
        {
            Enrichers = config.Enrichers,
            AnnotateEventsOut = options.AnnotateEventsOut,
            AlreadyWritten = alreadyWritten,
            Analyzers = options.RunAnalytics && config.Sections.GetValueOrDefault("analytics") is Analytics.Logins.AnalyticsSection analytics ? analytics.CreateAnalyzers() : [],
        };
        using var alerts = options.AlertsOut is null ? null : new JsonLinesFile(options.AlertsOut, (long?)checkpoint?["outputs"]?["alerts"]);
        using var events = options.EventsOut is null ? null : new JsonLinesFile(options.EventsOut, eventsCommitted);
        pipeline.AlertsOut = alerts;
        pipeline.EventsOut = events;
        _rules.Restore(checkpoint?["rules"]);
        var journalOptions = config.Sections.GetValueOrDefault("actions") as ActionJournalOptions ?? new ActionJournalOptions();
        await using var journal = new ActionJournal(journalOptions, (rule, index) => _rules.FindAction(rule, index), options.DataDirectory, metrics, loggers);
        Journal = journal;
        journal.Restore(checkpoint?["actions"]);
        _rules.Actions = journal;
        journal.Start();
        using var hup = options.ReloadRules ? PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; RequestReload(); }) : null;
        using var watcher = options.ReloadRules ? WatchConfig() : null;
        foreach (var input in config.Inputs) input.Restore(checkpoint?["inputs"]?[input.Name]?.DeepClone());
        if (checkpoint is not null) _logger.LogInformation("resumed from checkpoint {Path}", store.Path);

        var lines = metrics.Counter("gumshoe_pipeline_events_total");
        var commitFailures = metrics.Counter("gumshoe_checkpoint_failures_total");
        var healthy = metrics.Gauge("gumshoe_checkpoint_healthy");
        healthy.Set(1);
        var sinceCommit = Stopwatch.StartNew();
        var lastCommitCost = TimeSpan.Zero;
        var sinceProfiles = Stopwatch.StartNew();
        var dirty = false;

        async Task<bool> TryCommit(CancellationToken ct, bool initial = false)
        {
            var cost = Stopwatch.StartNew();
            try
            {
                // positions may only move past events the stream has acknowledged
                if (options.Forward is { } forward && !initial) await forward.FlushAsync(_rules.Clock, ct);
                // so do the stores of what those events produced (an alert stored late is re-derived, stored once)
                foreach (var participant in options.Participants) await participant.FlushAsync(ct);
                alerts?.FlushToDisk();
                events?.FlushToDisk();
                var inputsState = new JsonObject();
                foreach (var input in config.Inputs) inputsState[input.Name] = input.Checkpoint();
                var outputs = new JsonObject();
                if (alerts is not null) outputs["alerts"] = alerts.Length;
                if (events is not null) outputs["events"] = events.Length;
                // the file's length counts lines whose events the inputs have not re-read yet: they stay pending
                if (pipeline.AlreadyWritten is { Count: > 0 } written) outputs["events_written"] = new JsonArray([.. written.Select(k => (JsonNode?)k)]);
                store.Commit(new JsonObject
                {
                    ["version"] = 1,
                    ["written"] = DateTimeOffset.UtcNow.ToString("O"),
                    ["inputs"] = inputsState,
                    ["rules"] = _rules.Snapshot(),
                    ["actions"] = journal.Snapshot(),
                    ["outputs"] = outputs,
                });
                journal.Committed();
                // learnt login profiles go to their state file now and then (a full rewrite: too heavy for every commit)
                if (sinceProfiles.Elapsed >= ProfileSaveInterval || ct.IsCancellationRequested || stop.IsCancellationRequested)
                {
                    try { foreach (var a in pipeline.Analyzers.OfType<Analytics.Logins.LoginAnalyzer>()) a.SaveState(); }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { _logger.LogError("cannot save the login profiles: {Error}", ex.Message); }
                    sinceProfiles.Restart();
                }
                if (healthy.Value == 0) _logger.LogWarning("checkpoints work again; resuming");
                healthy.Set(1);
                dirty = false;
                sinceCommit.Restart();
                // smoothed: one slow fsync must not hold the next few actions back
                lastCommitCost = lastCommitCost == TimeSpan.Zero ? cost.Elapsed : (lastCommitCost * 0.8) + (cost.Elapsed * 0.2);
                return true;
            }
            catch (OperationCanceledException) when (options.Forward is not null || options.Participants.Count > 0)
            {
                // stopping while the stream or a store acknowledged: not a storage problem; the final checkpoint flushes again
                journal.CommitFailed();
                return false;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Data.Common.DbException or Storage.StorageException)
            {
                journal.CommitFailed();
                commitFailures.Add();
                if (healthy.Value == 1)
                {
                    if (ex is IOException or UnauthorizedAccessException)
                        _logger.LogError("cannot write the checkpoint in {Dir}: {Error}; not consuming input until it works", store.Directory, ex.Message);
                    else
                        _logger.LogError("cannot store alerts: {Error}; not consuming input until it works", ex.Message);
                }
                healthy.Set(0);
                return false;
            }
        }

        // The output lengths are committed before any line is written: a collector killed before its first regular
        // checkpoint must not leave lines that the restart keeps (a missing length means "keep the file as it is")
        // and then writes again. A failure here holds the inputs back like any failed checkpoint.
        await TryCommit(stop, initial: true);

        var channel = Channel.CreateBounded<(IInput Input, RawRecord Record)>(new BoundedChannelOptions(options.ChannelCapacity)
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
        using var inputsStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var inputTasks = config.Inputs.Select(input => Task.Run(async () =>
        {
            var relay = Channel.CreateBounded<RawRecord>(new BoundedChannelOptions(1024) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
            var pump = Task.Run(async () =>
            {
                await foreach (var r in relay.Reader.ReadAllAsync(inputsStop.Token)) await channel.Writer.WriteAsync((input, r), inputsStop.Token);
            });
            try { await input.RunAsync(relay.Writer, new InputRun(true, metrics, loggers.CreateLogger("gumshoe.input." + input.Name)), inputsStop.Token); }
            catch (OperationCanceledException) { }
            catch (Exception ex) { _logger.LogError(ex, "input {Input} failed", input.Name); }
            relay.Writer.TryComplete();
            try { await pump; } catch (OperationCanceledException) { }
        })).ToList();
        options.Observe?.Invoke(pipeline);
        Started.TrySetResult();

        bool ParticipantsPending()
        {
            foreach (var p in options.Participants) if (p.HasPending) return true;
            return false;
        }

        var reader = channel.Reader;
        var lag = TimeSpan.Zero;
        var turn = Stopwatch.StartNew();
        var sinceClock = Stopwatch.StartNew();
        // Actions wait for the commit that holds their alert: commit as soon as one is waiting, but space commits by
        // four times what a commit costs lately (a big rule state costs more to write), so a stream of alerts spends
        // about a fifth of the time committing at most.
        TimeSpan ActionCommitSpacing() =>
            TimeSpan.FromTicks(Math.Min(Math.Max(lastCommitCost.Ticks * 4, TimeSpan.TicksPerMillisecond), options.CheckpointInterval.Ticks));
        try
        {
            while (!stop.IsCancellationRequested)
            {
                // Nothing is consumed while checkpoints fail (read-only or full disk): inputs are held back, not lost.
                if (healthy.Value == 0)
                {
                    if (!await TryCommit(stop)) { await Task.Delay(1000, stop); continue; }
                }
                if (Interlocked.Exchange(ref _reloadRequested, 0) == 1) { Reload(pipeline, journal); dirty = true; }
                if ((journal.NeedsCommit || ParticipantsPending()) && sinceCommit.Elapsed >= ActionCommitSpacing()) { await TryCommit(stop); continue; }
                // too many unfinished actions: hold the input back until they drain
                if (journal.IsFull) { await Task.Delay(50, stop); continue; }
                var wait = options.CheckpointInterval - sinceCommit.Elapsed;
                // the clock moves on by wall time only while the pipeline keeps up: after a stall (a full disk, a broker
                // failover) the inputs are behind, not quiet, and what they queued meanwhile is not late
                var stalled = turn.Elapsed > KeepingUp;
                turn.Restart();
                if (sinceClock.Elapsed >= options.ClockInterval && ((!stalled && lag < KeepingUp) || !reader.TryPeek(out _)))
                {
                    sinceClock.Restart();
                    if (_rules.AdvanceWallClock(pipeline)) dirty = true;
                }
                if (!reader.TryRead(out var item))
                {
                    if (dirty && wait <= TimeSpan.Zero) { await TryCommit(stop); continue; }
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    var nap = dirty ? (wait > TimeSpan.Zero ? wait : TimeSpan.Zero) : options.CheckpointInterval;
                    if (nap > options.ClockInterval) nap = options.ClockInterval;
                    // the time left until a waiting commit may run; while actions run, look again soon so that their
                    // completion (recorded by the next commit) is not left for a quiet input to wake us
                    var spacing = ActionCommitSpacing() - sinceCommit.Elapsed;
                    if (journal.NeedsCommit || ParticipantsPending()) nap = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond / 2, Math.Min(spacing.Ticks, nap.Ticks)));
                    else if (journal.Unfinished > 0) nap = TimeSpan.FromTicks(Math.Max(5 * TimeSpan.TicksPerMillisecond, Math.Min(spacing.Ticks, nap.Ticks)));
                    timeout.CancelAfter(nap);
                    try { if (!await reader.WaitToReadAsync(timeout.Token)) break; }
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested) { }
                    continue;
                }
                var (input, record) = item;
                lag = DateTimeOffset.UtcNow - record.Received;
                var e = pipeline.Parse(input, record);
                if (e is not null)
                {
                    pipeline.Handle(e);
                    if (options.Forward is { } forward) await forward.ForwardAsync(e, record, stop);
                }
                record.Source.Acked = record.EndOffset;
                lines.Add();
                dirty = true;
                if (sinceCommit.Elapsed >= options.CheckpointInterval) await TryCommit(stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        finally
        {
            await inputsStop.CancelAsync();
            try { await Task.WhenAll(inputTasks).WaitAsync(TimeSpan.FromSeconds(3)); }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException) { }
            // records still queued were never acknowledged: the next start reads them again
            using var finalFlush = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            if (!await TryCommit(finalFlush.Token)) _logger.LogError("stopped without a final checkpoint; the next start resumes from the previous one");
            // actions released by that commit may finish within the grace; the last commit records which did, so that
            // none of them runs again after the restart
            else if (journal.Unfinished > 0)
            {
                await journal.StopAsync(journalOptions.ShutdownGrace);
                using var actionsFlush = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                if (journal.NeedsCommit && !await TryCommit(actionsFlush.Token))
                    _logger.LogError("the actions that finished while stopping are not in the final checkpoint; they run again on the next start");
            }
        }
    }

    // how often a live run rewrites the login analyzer's state file (and always at the final checkpoint)
    private static readonly TimeSpan ProfileSaveInterval = TimeSpan.FromSeconds(30);

    // a record handled this soon after it was read means the pipeline is not behind
    private static readonly TimeSpan KeepingUp = TimeSpan.FromMilliseconds(200);

    private FileSystemWatcher? WatchConfig()
    {
        var dir = Path.GetDirectoryName(config.File);
        if (dir is null || !Directory.Exists(dir)) return null;
        var w = new FileSystemWatcher(dir, Path.GetFileName(config.File)) { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size };
        w.Changed += (_, _) => RequestReload();
        w.Created += (_, _) => RequestReload();
        w.Renamed += (_, _) => RequestReload();
        w.EnableRaisingEvents = true;
        return w;
    }

    // Recompiles the rules from the config file; rules whose definition did not change keep their window state.
    // Inputs are not reloaded (that needs a restart). A broken config keeps the rules running as they were.
    private void Reload(EventPipeline pipeline, ActionJournal journal)
    {
        try
        {
            var fresh = GumshoeConfig.Load(config.File, config.Components.Registry);
            var next = RuleSet.Compile(fresh, metrics);
            var kept = next.TakeStateFrom(_rules);
            next.Actions = journal;
            _rules = next;
            pipeline.Rules = next;
            _logger.LogInformation("rules reloaded from {File}: {Count} rules, state kept for {Kept} unchanged", config.File, next.Compiled.Count, kept.Count);
        }
        catch (ConfigException ex)
        {
            _logger.LogError("rules not reloaded, keeping the running ones: {Error}", ex.Message);
        }
    }
}
