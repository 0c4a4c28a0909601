using System.Threading.Channels;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Web.Activity;

/// <summary>
/// Stores every alert of a live run, with copies of its contributing events, so the web UI can show them. The
/// pipeline thread only copies and queues; a background task writes. Storing is idempotent by alert id, so an
/// alert re-derived after a restart is not stored twice.
/// </summary>
public sealed class AlertRecorder : IAsyncDisposable
{
    private readonly AlertStore _alerts;
    private readonly LiveActivity _activity;
    private readonly ILogger _logger;
    private readonly Channel<(Alert Alert, List<Event> Events)> _queue =
        Channel.CreateBounded<(Alert, List<Event>)>(new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Counter _stored;
    private readonly Counter _dropped;
    private readonly Counter _failed;
    private readonly Task _writer;

    public AlertRecorder(AlertStore alerts, LiveActivity activity, MetricsRegistry metrics, ILogger logger)
    {
        _alerts = alerts;
        _activity = activity;
        _logger = logger;
        _stored = metrics.Counter("gumshoe_store_alerts_total", "result", "stored");
        _dropped = metrics.Counter("gumshoe_store_alerts_total", "result", "dropped_queue_full");
        _failed = metrics.Counter("gumshoe_store_alerts_total", "result", "failed");
        _writer = Task.Run(WriteAsync);
    }

    /// <summary>Feeds the activity window with the pipeline's events and records its alerts.</summary>
    public void Attach(EventPipeline pipeline)
    {
        pipeline.EventEnriched += _activity.Observe;
        pipeline.AlertRaised += Record;
    }

    /// <summary>Queues an alert with its contributing events (called on the pipeline thread).</summary>
    public void Record(Alert alert)
    {
        if (!_queue.Writer.TryWrite((alert, _activity.ContributingEvents(alert))))
        {
            _dropped.Add();
            _logger.LogWarning("alert {Id} of rule {Rule} not stored: the store is too slow (queue full)", alert.Id, alert.Rule);
        }
    }

    private async Task WriteAsync()
    {
        await foreach (var (alert, events) in _queue.Reader.ReadAllAsync())
        {
            try
            {
                await _alerts.AddAsync(alert, events);
                _stored.Add();
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or StorageException or IOException or InvalidOperationException)
            {
                _failed.Add();
                _logger.LogError("alert {Id} of rule {Rule} not stored: {Error}", alert.Id, alert.Rule, ex.Message);
            }
        }
    }

    /// <summary>Writes what is queued (at most two seconds) and stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try { await _writer.WaitAsync(TimeSpan.FromSeconds(2)); }
        catch (TimeoutException) { _logger.LogWarning("stopped before every alert was stored"); }
    }
}
