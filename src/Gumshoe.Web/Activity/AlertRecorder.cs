using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Web.Activity;

/// <summary>
/// Stores every alert of a run, with copies of its contributing events, so the web UI can show them. The pipeline
/// thread only copies and holds them; they are written in one transaction before the checkpoint that acknowledges
/// their lines (<see cref="ICommitParticipant"/>), so a crash never loses a stored alert's trace: what was not yet
/// written is derived again from the re-read lines. Storing is idempotent by alert id.
/// </summary>
public sealed class AlertRecorder : ICommitParticipant
{
    private readonly AlertStore _alerts;
    private readonly LiveActivity _activity;
    private readonly ILogger _logger;
    private readonly List<(Alert Alert, IEnumerable<Event> Events)> _held = [];
    private readonly Counter _stored;
    private readonly Counter _repeated;
    private readonly Counter _failed;

    public AlertRecorder(AlertStore alerts, LiveActivity activity, MetricsRegistry metrics, ILogger logger)
    {
        _alerts = alerts;
        _activity = activity;
        _logger = logger;
        _stored = metrics.Counter("gumshoe_store_alerts_total", "result", "stored");
        _repeated = metrics.Counter("gumshoe_store_alerts_total", "result", "already_stored");
        _failed = metrics.Counter("gumshoe_store_alerts_failures_total");
    }

    /// <summary>Feeds the activity window with the pipeline's events and records its alerts.</summary>
    public void Attach(EventPipeline pipeline)
    {
        pipeline.EventEnriched += _activity.Observe;
        pipeline.AlertRaised += Record;
    }

    /// <summary>Holds an alert with copies of its contributing events until the next flush (pipeline thread).</summary>
    public void Record(Alert alert)
    {
        lock (_held) _held.Add((alert, _activity.ContributingEvents(alert)));
    }

    /// <inheritdoc/>
    public bool HasPending { get { lock (_held) return _held.Count > 0; } }

    /// <summary>Writes the held alerts, a bounded batch per transaction; what fails stays held for the next flush.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        while (true)
        {
            List<(Alert, IEnumerable<Event>)> batch;
            lock (_held)
            {
                if (_held.Count == 0) return;
                batch = _held.GetRange(0, Math.Min(_held.Count, BatchSize));
            }
            int added;
            try { added = await _alerts.AddAsync(batch, ct); }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _failed.Add();
                _logger.LogDebug("storing {Count} alert(s) failed: {Error}", batch.Count, ex.Message);
                throw;
            }
            lock (_held) _held.RemoveRange(0, batch.Count);
            _stored.Add(added);
            _repeated.Add(batch.Count - added);
        }
    }

    private const int BatchSize = 500;
}
