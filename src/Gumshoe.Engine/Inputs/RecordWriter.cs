using System.Threading.Channels;

namespace Gumshoe.Engine.Inputs;

/// <summary>Queues records in order, waiting while the channel is full; what cannot be queued is counted as dropped.</summary>
internal static class RecordWriter
{
    /// <summary>Writes and clears the batch; rethrows cancellation and a closed channel after counting the rest.</summary>
    public static async Task WriteAllAsync(List<RawRecord> batch, ChannelWriter<RawRecord> output, InputCounters counters, CancellationToken ct)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            try { await output.WriteAsync(batch[i], ct); }
            catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
            {
                counters.Dropped(ex is ChannelClosedException ? "channel_closed" : "shutdown", batch.Count - i);
                batch.Clear();
                throw;
            }
        }
        batch.Clear();
    }
}
