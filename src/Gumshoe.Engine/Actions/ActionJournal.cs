using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Actions;

/// <summary>
/// Runs side-effect actions off the hot path, exactly once across crashes, by riding the pipeline's checkpoint.
/// A request enqueued by a rule is held until the checkpoint that contains its alert (and the request itself, as
/// "pending") is committed; only then does it run. After it ran it is "done"; the next checkpoint records that,
/// and a done key is never run again. On restart, pending requests are resumed. Failures are retried with
/// exponential backoff and jitter (or after the action's Retry-After) up to the attempt limit, then written to the
/// dead-letter file and counted — never dropped silently. The idempotency key is rule + group + window start +
/// action index; actions pass it on (<c>Idempotency-Key</c> header, <c>GUMSHOE_ACTION_KEY</c>) because a crash
/// between an action's completion and the next checkpoint makes it run once more after the restart.
/// </summary>
public sealed class ActionJournal : IActionSink, IAsyncDisposable
{
    private readonly ActionJournalOptions _options;
    private readonly Func<string, int, IAction?> _resolve;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggers;
    private readonly string _deadLetterPath;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _done = new(StringComparer.Ordinal);
    private readonly Queue<string> _doneOrder = new();
    private readonly Channel<Entry> _ready = Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<IAction, SemaphoreSlim> _slots = [];
    private readonly List<Task> _running = [];
    // _dispatch ends the starting of attempts (and retry waits); _stop interrupts the attempts still running
    private readonly CancellationTokenSource _dispatch = new(), _stop = new();
    private readonly Counter _succeeded, _failed, _retried, _dead, _duplicates;
    private readonly Gauge _unfinished;
    private Task? _loop;
    private bool _changed;

    private enum EntryState { Uncommitted, Releasing, Pending }

    private sealed class Entry
    {
        public required string Key, Rule;
        public required int Index;
        public required IReadOnlyDictionary<string, string> Values;
        public IAction? Action;
        public ActionRequest? Request;
        public int Attempts;
        public string? LastError;
        public EntryState State;
        public bool BackingOff;
    }

    public ActionJournal(ActionJournalOptions options, Func<string, int, IAction?> resolve, string dataDirectory, MetricsRegistry metrics, ILoggerFactory loggers)
    {
        _loggers = loggers;
        var logger = loggers.CreateLogger("gumshoe.actions");
        _options = options;
        _resolve = resolve;
        _logger = logger;
        _deadLetterPath = options.DeadLetter ?? Path.Combine(dataDirectory, "actions-dead-letter.jsonl");
        _succeeded = metrics.Counter("gumshoe_actions_total", "outcome", "succeeded");
        _failed = metrics.Counter("gumshoe_actions_attempts_failed_total");
        _retried = metrics.Counter("gumshoe_actions_retries_total");
        _dead = metrics.Counter("gumshoe_actions_total", "outcome", "dead_lettered");
        _duplicates = metrics.Counter("gumshoe_actions_duplicates_total");
        _unfinished = metrics.Gauge("gumshoe_actions_unfinished");
    }

    /// <summary>Where failed actions are recorded after their last attempt.</summary>
    public string DeadLetterPath => _deadLetterPath;

    /// <summary>Whether the pipeline should stop consuming input until actions finish.</summary>
    public bool IsFull { get { lock (_lock) return _entries.Count >= _options.Queue; } }

    /// <summary>Whether requests wait for a commit, or something finished since the last snapshot.</summary>
    public bool NeedsCommit { get { lock (_lock) return _changed || _entries.Values.Any(e => e.State == EntryState.Uncommitted); } }

    /// <summary>Requests not yet finished (uncommitted, waiting, running or retrying).</summary>
    public int Unfinished { get { lock (_lock) return _entries.Count; } }

    public void Enqueue(IAction action, int index, ActionRequest request)
    {
        lock (_lock)
        {
            if (_done.Contains(request.Key) || _entries.ContainsKey(request.Key)) { _duplicates.Add(); return; }
            _entries[request.Key] = new Entry
            {
                Key = request.Key, Rule = request.Rule, Index = index, Values = request.Values, Action = action,
                Request = request, State = EntryState.Uncommitted,
            };
            _unfinished.Set(_entries.Count);
        }
    }

    /// <summary>
    /// Journals a request recorded elsewhere (an analyser's alert, read by a responder): the action is found again by
    /// rule and <c>then:</c> index and rendered from the recorded values. Like <see cref="Enqueue"/>, it runs after the
    /// next commit, and a key already known is counted as a duplicate and ignored.
    /// </summary>
    public void EnqueueRecorded(string key, string rule, int index, IReadOnlyDictionary<string, string> values)
    {
        lock (_lock)
        {
            if (_done.Contains(key) || _entries.ContainsKey(key)) { _duplicates.Add(); return; }
            _entries[key] = new Entry { Key = key, Rule = rule, Index = index, Values = values, State = EntryState.Uncommitted };
            _unfinished.Set(_entries.Count);
        }
    }

    /// <summary>The journal for a checkpoint. Requests captured here run once <see cref="Committed"/> is called.</summary>
    public JsonObject Snapshot()
    {
        lock (_lock)
        {
            var pending = new JsonArray();
            foreach (var e in _entries.Values)
            {
                if (e.State == EntryState.Uncommitted) e.State = EntryState.Releasing;
                var values = new JsonObject();
                foreach (var (k, v) in e.Values) values[k] = v;
                pending.Add((JsonNode)new JsonObject
                {
                    ["key"] = e.Key, ["rule"] = e.Rule, ["index"] = e.Index, ["attempts"] = e.Attempts,
                    ["error"] = e.LastError, ["values"] = values,
                });
            }
            _changed = false;
            return new JsonObject { ["pending"] = pending, ["done"] = new JsonArray(_doneOrder.Select(k => (JsonNode)k).ToArray()) };
        }
    }

    /// <summary>The snapshot taken last is durable: the requests it holds as pending may run now.</summary>
    public void Committed()
    {
        lock (_lock)
        {
            foreach (var e in _entries.Values)
            {
                if (e.State != EntryState.Releasing) continue;
                e.State = EntryState.Pending;
                _ready.Writer.TryWrite(e);
            }
        }
    }

    /// <summary>The last commit failed: what it held is uncommitted again.</summary>
    public void CommitFailed()
    {
        lock (_lock)
            foreach (var e in _entries.Values)
                if (e.State == EntryState.Releasing) e.State = EntryState.Uncommitted;
    }

    /// <summary>Restores the journal of a committed checkpoint: its pending requests run again once started.</summary>
    public void Restore(JsonNode? state)
    {
        if (state is null) return;
        lock (_lock)
        {
            foreach (var k in state["done"]?.AsArray() ?? []) Remember((string)k!);
            foreach (var p in state["pending"]?.AsArray() ?? [])
            {
                var values = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (k, v) in p!["values"]!.AsObject()) values[k] = (string)v!;
                var e = new Entry
                {
                    Key = (string)p["key"]!, Rule = (string)p["rule"]!, Index = (int)p["index"]!, Values = values,
                    Attempts = (int)p["attempts"]!, LastError = (string?)p["error"], State = EntryState.Pending,
                };
                _entries[e.Key] = e;
                _ready.Writer.TryWrite(e);
            }
            _unfinished.Set(_entries.Count);
            if (_entries.Count > 0) _logger.LogInformation("resuming {Count} pending action(s) from the checkpoint", _entries.Count);
        }
    }

    /// <summary>Starts running released requests.</summary>
    public void Start() => _loop ??= Task.Run(LoopAsync);

    private async Task LoopAsync()
    {
        try
        {
            await foreach (var e in _ready.Reader.ReadAllAsync(_dispatch.Token))
            {
                var action = e.Action ??= _resolve(e.Rule, e.Index);
                if (action is null)
                {
                    e.LastError = $"rule '{e.Rule}' has no action at then[{e.Index}] any more (config changed)";
                    DeadLetter(e);
                    continue;
                }
                SemaphoreSlim slot;
                lock (_lock)
                {
                    if (!_slots.TryGetValue(action, out slot!))
                    {
                        _slots[action] = slot = new SemaphoreSlim((action as IActionLimits)?.MaxConcurrency ?? _options.MaxConcurrency);
                        (action as IActionWithLogger)?.UseLogger(_loggers);
                    }
                }
                await slot.WaitAsync(_dispatch.Token);
                var task = Task.Run(async () =>
                {
                    try { await AttemptAsync(e, action); }
                    finally { slot.Release(); }
                });
                lock (_lock)
                {
                    _running.RemoveAll(t => t.IsCompleted);
                    _running.Add(task);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task AttemptAsync(Entry e, IAction action)
    {
        var request = e.Request ?? new ActionRequest(e.Key, e.Rule, null, EventOf(e.Values), e.Values);
        e.Attempts++;
        try
        {
            await action.ExecuteAsync(request, _stop.Token);
            lock (_lock)
            {
                _entries.Remove(e.Key);
                Remember(e.Key);
                _changed = true;
                _unfinished.Set(_entries.Count);
            }
            _succeeded.Add();
            return;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            e.Attempts--; // interrupted by shutdown: not a failed attempt; stays pending for the next start
            return;
        }
        catch (Exception ex)
        {
            var failure = ex as ActionFailedException ?? new ActionFailedException(ex.Message, retryable: true, inner: ex);
            _failed.Add();
            lock (_lock) { e.LastError = failure.Message; _changed = true; }
            var max = (action as IActionLimits)?.Attempts ?? _options.Attempts;
            if (!failure.Retryable || e.Attempts >= max)
            {
                _logger.LogError("action {Type} of rule {Rule} failed after {Attempts} attempt(s): {Error}; dead-lettered to {Path}",
                    action.Type, e.Rule, e.Attempts, failure.Message, _deadLetterPath);
                DeadLetter(e);
                return;
            }
            var delay = failure.RetryAfter is { } ra ? Clamp(ra) : Backoff(e.Attempts);
            _logger.LogWarning("action {Type} of rule {Rule} failed (attempt {Attempt} of {Max}): {Error}; retrying in {Delay}",
                action.Type, e.Rule, e.Attempts, max, failure.Message, delay);
            _retried.Add();
            lock (_lock) e.BackingOff = true;
            try { await Task.Delay(delay, _dispatch.Token); }
            catch (OperationCanceledException) { return; } // stopping: stays pending for the next start
            lock (_lock) e.BackingOff = false;
            _ready.Writer.TryWrite(e);
        }
    }

    /// <summary>Delay before retry number <paramref name="attempt"/>: base × 2^(attempt − 1), capped, times a random 50–100 %.</summary>
    public TimeSpan Backoff(int attempt)
    {
        var exp = Math.Min(_options.MaxBackoff.Ticks, _options.Backoff.Ticks * (1L << Math.Min(attempt - 1, 30)));
        return TimeSpan.FromTicks((long)(exp * (0.5 + Random.Shared.NextDouble() * 0.5)));
    }

    private TimeSpan Clamp(TimeSpan retryAfter) =>
        retryAfter < TimeSpan.Zero ? TimeSpan.Zero : retryAfter > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : retryAfter;

    private void DeadLetter(Entry e)
    {
        try
        {
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("time", EventTime.Format(DateTimeOffset.UtcNow));
                w.WriteString("key", e.Key);
                w.WriteString("rule", e.Rule);
                w.WriteNumber("index", e.Index);
                w.WriteString("type", e.Action?.Type);
                w.WriteNumber("attempts", e.Attempts);
                w.WriteString("error", e.LastError);
                w.WriteStartObject("values");
                foreach (var (k, v) in e.Values) w.WriteString(k, v);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            buffer.WriteByte((byte)'\n');
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_deadLetterPath))!);
            using var f = new FileStream(_deadLetterPath, FileMode.Append, FileAccess.Write, FileShare.Read);
            f.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            f.Flush(flushToDisk: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // stays pending: it is retried on the next start rather than lost
            _logger.LogError("cannot write the dead-letter record for {Key} to {Path}: {Error}", e.Key, _deadLetterPath, ex.Message);
            return;
        }
        _dead.Add();
        lock (_lock)
        {
            _entries.Remove(e.Key);
            Remember(e.Key);
            _changed = true;
            _unfinished.Set(_entries.Count);
        }
    }

    private void Remember(string key)
    {
        if (_options.RememberDone == 0 || !_done.Add(key)) return;
        _doneOrder.Enqueue(key);
        while (_doneOrder.Count > _options.RememberDone) _done.Remove(_doneOrder.Dequeue());
    }

    // A request resumed after a restart has no live event: its values (all fields, as text) stand in for it.
    private static Event EventOf(IReadOnlyDictionary<string, string> values)
    {
        var e = new Event();
        foreach (var (k, v) in values) e.Set(k, v);
        return e;
    }

    /// <summary>Waits for the given time for all runnable requests to finish (tests, shutdown).</summary>
    public Task<bool> WaitIdleAsync(TimeSpan timeout) => WaitUntilAsync(() => _entries.Count == 0, timeout);

    // Looks every 20 ms, under the lock, whether done() holds, for up to the given time.
    private async Task<bool> WaitUntilAsync(Func<bool> done, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            lock (_lock) if (done()) return true;
            if (DateTime.UtcNow >= until) return false;
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Stops for a clean shutdown: released requests go on running for up to <paramref name="grace"/> (retries that
    /// wait for their backoff are not waited for), then no new attempt starts and what still runs is interrupted.
    /// What did not finish stays pending. Take the final snapshot after this, so that every action that finished is
    /// recorded as done and never runs again after the restart.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_loop is not null) await WaitUntilAsync(() => !_entries.Values.Any(e => e.State == EntryState.Pending && !e.BackingOff), grace);
        await _dispatch.CancelAsync();
        try { if (_loop is not null) await _loop.WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
        Task[] running;
        lock (_lock) running = [.. _running];
        await _stop.CancelAsync();
        try { await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
    }

    /// <summary>Stops at once (see <see cref="StopAsync"/>); unfinished requests stay pending for the next start.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero);
        _dispatch.Dispose();
        _stop.Dispose();
    }
}
