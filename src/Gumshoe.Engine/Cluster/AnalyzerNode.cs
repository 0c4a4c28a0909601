using Gumshoe.Engine.Config;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Cluster;

/// <summary>
/// The <c>analyze</c> role: joins the membership, and owns the partitions the live analysers' sorted ids assign to
/// it (partition p goes to member p mod n). A partition changes hands through its lease: the old owner snapshots
/// and releases it when a member joins; when an owner dies its lease runs out and the new owner restores the last
/// snapshot and re-reads the stream from there.
/// </summary>
public sealed class AnalyzerNode(ClusterConnection connection, GumshoeStore store, GumshoeConfig config, MetricsRegistry metrics, ILoggerFactory loggers)
{
    /// <summary>The role name in the membership table.</summary>
    public const string Role = "analyze";

    private readonly ClusterOptions _options = connection.Options;
    private readonly ILogger _logger = loggers.CreateLogger("gumshoe.cluster.analyze");
    private readonly Dictionary<int, (PartitionWorker Worker, Task Task, CancellationTokenSource Stop)> _running = [];

    /// <summary>This member's id (host, process, start).</summary>
    public string Id { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Partitions this member runs now.</summary>
    public IReadOnlyCollection<int> Owned => _running.Keys;

    public async Task RunAsync(CancellationToken stop)
    {
        var started = DateTimeOffset.UtcNow;
        var owned = metrics.Gauge("gumshoe_cluster_partitions_owned");
        _logger.LogInformation("analyser {Id} joining ({Partitions} partitions)", Id, _options.Partitions);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                try { await BalanceAsync(started, stop); }
                catch (Exception ex) when (ex is System.Data.Common.DbException or TimeoutException or InvalidOperationException && !stop.IsCancellationRequested)
                {
                    _logger.LogWarning("analyser {Id}: cannot reach the store ({Error}); retrying", Id, ex.Message);
                }
                owned.Set(_running.Count);
                try { await Task.Delay(_options.Lease / 4, stop); }
                catch (OperationCanceledException) { break; }
            }
        }
        finally
        {
            // a clean stop hands every partition over at once
            foreach (var p in _running.Keys.ToList()) await StopAsync(p, release: true);
            using var leave = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try { await store.Cluster.LeaveAsync(Id, leave.Token); }
            catch (Exception ex) when (ex is System.Data.Common.DbException or OperationCanceledException) { }
        }
    }

    private async Task BalanceAsync(DateTimeOffset started, CancellationToken stop)
    {
        await store.Cluster.HeartbeatAsync(Id, Role, Environment.MachineName, started, $"partitions {string.Join(",", _running.Keys.Order())}", stop);
        var members = (await store.Cluster.MembersAsync(_options.Lease, stop)).Where(m => m.Role == Role).Select(m => m.Id).Order(StringComparer.Ordinal).ToList();
        if (!members.Contains(Id)) members.Add(Id);
        members.Sort(StringComparer.Ordinal);
        var mine = Enumerable.Range(0, _options.Partitions).Where(p => members[p % members.Count] == Id).ToHashSet();

        // finished workers (lease lost, failure) are restarted below if the partition is still ours
        foreach (var (p, run) in _running.Where(r => r.Value.Task.IsCompleted).ToList())
        {
            if (run.Task.IsFaulted) _logger.LogError(run.Task.Exception!.GetBaseException(), "partition {Partition} failed; restarting from its snapshot", p);
            run.Stop.Dispose();
            _running.Remove(p);
        }
        foreach (var p in _running.Keys.Where(p => !mine.Contains(p)).ToList())
        {
            _logger.LogInformation("partition {Partition}: handing over to {Owner}", p, members[p % members.Count]);
            await StopAsync(p, release: true);
        }
        foreach (var p in mine)
        {
            var epoch = await store.Cluster.TryAcquireAsync(p, Id, _options.Lease, stop);
            if (_running.TryGetValue(p, out var run))
            {
                if (epoch == run.Worker.Epoch) continue;
                _logger.LogWarning("partition {Partition}: lease lost; stopping", p);
                await StopAsync(p, release: false);
            }
            if (epoch is not { } e) continue; // still held by its previous owner: it lets go or its lease runs out
            var worker = new PartitionWorker(p, e, Id, connection, store, config, metrics, loggers.CreateLogger($"gumshoe.cluster.p{p}"));
            var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
            _running[p] = (worker, Task.Run(() => worker.RunAsync(cts.Token), CancellationToken.None), cts);
            _logger.LogInformation("partition {Partition}: taken (epoch {Epoch})", p, e);
        }
    }

    private async Task StopAsync(int partition, bool release)
    {
        if (!_running.Remove(partition, out var run)) return;
        await run.Stop.CancelAsync();
        try { await run.Task; }
        catch (Exception ex) when (ex is not OperationCanceledException) { _logger.LogWarning("partition {Partition} stopped with {Error}", partition, ex.Message); }
        catch (OperationCanceledException) { }
        run.Stop.Dispose();
        if (!release || run.Worker.LeaseLost) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try { await store.Cluster.ReleaseAsync(partition, Id, run.Worker.Epoch, timeout.Token); }
        catch (Exception ex) when (ex is System.Data.Common.DbException or OperationCanceledException) { }
    }
}
