using Gumshoe.Engine.Events;
using Gumshoe.Engine.Inputs;

namespace Gumshoe.Engine.Pipeline;

/// <summary>
/// Where a collector hands its parsed, enriched events instead of rules: another process's stream. A checkpoint
/// commits input positions only after <see cref="FlushAsync"/> says every event forwarded so far is durable there.
/// </summary>
public interface IEventForwarder
{
    /// <summary>Starts forwarding one event (read from <paramref name="record"/>); may wait when too many are in flight.</summary>
    ValueTask ForwardAsync(Event e, RawRecord record, CancellationToken ct);

    /// <summary>Waits until every event forwarded so far is acknowledged, then announces the event clock reached.</summary>
    Task FlushAsync(DateTimeOffset clock, CancellationToken ct);
}
