using Gumshoe.Engine.Storage;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Cluster;

/// <summary>Keeps a collector's or responder's row in the membership table fresh, for <c>gumshoe cluster status</c>.</summary>
public sealed class MemberHeartbeat(ClusterStore store, string id, string role, TimeSpan lease, Func<string?> info, ILogger logger)
{
    /// <summary>Runs <paramref name="role"/> with the heartbeat beside it; the member leaves when the role ends, however it ends.</summary>
    public async Task RunWhileAsync(Func<Task> role, CancellationToken stop)
    {
        using var beat = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var heartbeat = RunAsync(beat.Token);
        try { await role(); }
        finally
        {
            await beat.CancelAsync();
            await heartbeat;
        }
    }

    /// <summary>Heartbeats until <paramref name="stop"/>, then leaves the membership.</summary>
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
