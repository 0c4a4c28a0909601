using Gumshoe.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Cluster;

/// <summary>Keeps a collector's or responder's row in the membership table fresh, for <c>gumshoe cluster status</c>.</summary>
public sealed class MemberHeartbeat(ClusterStore store, string id, string role, TimeSpan lease, Func<string?> info, ILogger logger)
{
    public async Task RunAsync(CancellationToken stop)
    {
        var started = DateTimeOffset.UtcNow;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                try { await store.HeartbeatAsync(id, role, Environment.MachineName, started, info(), stop); }
                catch (Exception ex) when (ex is System.Data.Common.DbException or TimeoutException && !stop.IsCancellationRequested)
                {
                    logger.LogWarning("{Role} {Id}: heartbeat failed ({Error})", role, id, ex.Message);
                }
                await Task.Delay(lease / 4, stop);
            }
        }
        catch (OperationCanceledException) { }
        using var leave = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await store.LeaveAsync(id, leave.Token); }
        catch (Exception ex) when (ex is System.Data.Common.DbException or OperationCanceledException) { }
    }
}
