using System.Text.Json.Nodes;
using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Rules;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Pipeline;

/// <summary>
/// Runs the side-effect actions of a replay (<c>replay --run-actions</c>: decisions, exec, webhooks, notifiers) through
/// the same <see cref="ActionJournal"/> as a live run, with its own checkpoint in <c>DATA_DIR/replay/</c>. Requests are
/// committed (after the participants — the alert store — hold their alerts) before they run, and keys already done
/// are remembered, so replaying the same files again, or again after an interrupted replay, runs nothing twice.
/// </summary>
public sealed class ReplayActions : IAsyncDisposable
{
    private readonly ActionJournal _journal;
    private readonly CheckpointStore _store;
    private readonly IReadOnlyList<ICommitParticipant> _participants;
    private readonly DataDirectoryLock _hold;
    private readonly ILogger _logger;
    private readonly int _commitEvery;
    private int _sinceCommit;

    public ReplayActions(GumshoeConfig config, RuleSet rules, string dataDirectory, IReadOnlyList<ICommitParticipant> participants,
        MetricsRegistry metrics, ILoggerFactory loggers)
    {
        var options = config.Sections.GetValueOrDefault("actions") as ActionJournalOptions ?? new ActionJournalOptions();
        _store = new CheckpointStore(Path.Combine(dataDirectory, "replay"));
        _hold = _store.Hold();
        _journal = new ActionJournal(options, rules.FindAction, dataDirectory, metrics, loggers);
        _journal.Restore(_store.Load()?["actions"]);
        _participants = participants;
        _logger = loggers.CreateLogger("gumshoe.replay");
        // commit in batches: a long replay's actions start while it runs, and memory stays bounded
        _commitEvery = Math.Max(1, Math.Min(1000, options.Queue / 2));
        rules.Actions = _journal;
        _journal.Start();
    }

    /// <summary>The journal (its dead-letter path, its counters).</summary>
    public ActionJournal Journal => _journal;

    /// <summary>Called after each alert: commits a batch once enough requests wait.</summary>
    public void AfterAlert()
    {
        if (++_sinceCommit < _commitEvery) return;
        CommitAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>Stores what the participants hold, then commits the journal so that its requests may run.</summary>
    public async Task CommitAsync(CancellationToken ct)
    {
        foreach (var p in _participants) await p.FlushAsync(ct);
        _store.Commit(new JsonObject { ["version"] = 1, ["written"] = DateTimeOffset.UtcNow.ToString("O"), ["actions"] = _journal.Snapshot() });
        _journal.Committed();
        _sinceCommit = 0;
    }

    /// <summary>Commits the rest, waits up to <paramref name="timeout"/> for every action to finish, and records that.</summary>
    public async Task<bool> FinishAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        await CommitAsync(ct);
        var idle = await _journal.WaitIdleAsync(timeout);
        // what still runs is interrupted before the snapshot: an action finishing after it would run again next time
        await _journal.StopAsync(TimeSpan.Zero);
        if (!idle) _logger.LogWarning("{Count} action(s) still unfinished after {Timeout}; they resume on the next replay --run-actions with this data directory", _journal.Unfinished, timeout);
        _store.Commit(new JsonObject { ["version"] = 1, ["written"] = DateTimeOffset.UtcNow.ToString("O"), ["actions"] = _journal.Snapshot() });
        return idle;
    }

    public async ValueTask DisposeAsync()
    {
        await _journal.DisposeAsync();
        _hold.Dispose();
    }
}
