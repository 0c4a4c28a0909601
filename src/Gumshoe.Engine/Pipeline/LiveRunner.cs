using System.Diagnostics;
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
}

/// <summary>
/// Runs the configured inputs live until cancelled. Exactly once rests on one mechanism: at a checkpoint the
/// pipeline has acknowledged exactly the records whose effects (rule state, output lines) it commits, in one atomic
/// file. On start, outputs are cut back to their committed length, rule state and input positions are restored,
/// and everything after the checkpoint is re-read and re-derived identically.
/// </summary>
public sealed class LiveRunner(GumshoeConfig config, RuleSet rules, LiveRunOptions options, MetricsRegistry metrics, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("gumshoe.run");

    /// <summary>Set once inputs are started (for tests and readiness).</summary>
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task RunAsync(CancellationToken stop)
    {
        var store = new CheckpointStore(options.DataDirectory);
        var checkpoint = store.Load();
        var pipeline = new EventPipeline(rules, metrics, loggers.CreateLogger("gumshoe.pipeline")) { Enrichers = config.Enrichers };
        using var alerts = options.AlertsOut is null ? null : new JsonLinesFile(options.AlertsOut, (long?)checkpoint?["outputs"]?["alerts"]);
        using var events = options.EventsOut is null ? null : new JsonLinesFile(options.EventsOut, (long?)checkpoint?["outputs"]?["events"]);
        pipeline.AlertsOut = alerts;
        pipeline.EventsOut = events;
        rules.Restore(checkpoint?["rules"]);
        var byName = config.Inputs.ToDictionary(i => i.Name);
        foreach (var input in config.Inputs) input.Restore(checkpoint?["inputs"]?[input.Name]?.DeepClone());
        if (checkpoint is not null) _logger.LogInformation("resumed from checkpoint {Path}", store.Path);

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

        var lines = metrics.Counter("gumshoe_pipeline_events_total");
        var commitFailures = metrics.Counter("gumshoe_checkpoint_failures_total");
        var healthy = metrics.Gauge("gumshoe_checkpoint_healthy");
        healthy.Set(1);
        var sinceCommit = Stopwatch.StartNew();
        var dirty = false;

        bool TryCommit()
        {
            try
            {
                alerts?.FlushToDisk();
                events?.FlushToDisk();
                var inputsState = new JsonObject();
                foreach (var input in config.Inputs) inputsState[input.Name] = input.Checkpoint();
                var outputs = new JsonObject();
                if (alerts is not null) outputs["alerts"] = alerts.Length;
                if (events is not null) outputs["events"] = events.Length;
                store.Commit(new JsonObject
                {
                    ["version"] = 1,
                    ["written"] = DateTimeOffset.UtcNow.ToString("O"),
                    ["inputs"] = inputsState,
                    ["rules"] = rules.Snapshot(),
                    ["outputs"] = outputs,
                });
                if (healthy.Value == 0) _logger.LogWarning("checkpoints work again; resuming");
                healthy.Set(1);
                dirty = false;
                sinceCommit.Restart();
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                commitFailures.Add();
                if (healthy.Value == 1) _logger.LogError("cannot write the checkpoint in {Dir}: {Error}; not consuming input until it works", store.Directory, ex.Message);
                healthy.Set(0);
                return false;
            }
        }

        var reader = channel.Reader;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                // Nothing is consumed while checkpoints fail (read-only or full disk): inputs are held back, not lost.
                if (healthy.Value == 0)
                {
                    if (!TryCommit()) { await Task.Delay(1000, stop); continue; }
                }
                var wait = options.CheckpointInterval - sinceCommit.Elapsed;
                if (!reader.TryRead(out var item))
                {
                    if (dirty && wait <= TimeSpan.Zero) { TryCommit(); continue; }
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    timeout.CancelAfter(dirty ? (wait > TimeSpan.Zero ? wait : TimeSpan.Zero) : options.CheckpointInterval);
                    try { if (!await reader.WaitToReadAsync(timeout.Token)) break; }
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested) { }
                    continue;
                }
                var (input, record) = item;
                var e = pipeline.Parse(input, record);
                if (e is not null) pipeline.Handle(e);
                record.Source.Acked = record.EndOffset;
                lines.Add();
                dirty = true;
                if (sinceCommit.Elapsed >= options.CheckpointInterval) TryCommit();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        finally
        {
            await inputsStop.CancelAsync();
            try { await Task.WhenAll(inputTasks).WaitAsync(TimeSpan.FromSeconds(3)); }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException) { }
            // records still queued were never acknowledged: the next start reads them again
            if (!TryCommit()) _logger.LogError("stopped without a final checkpoint; the next start resumes from the previous one");
        }
    }
}
