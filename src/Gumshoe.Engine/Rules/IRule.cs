using System.Text.Json.Nodes;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Rules;

/// <summary>
/// A correlation rule: sees every event (in event-time order per input), keeps bounded per-group state, and emits
/// alerts. Its state can be snapshotted into a checkpoint and restored, so a restart mid-window loses nothing.
/// </summary>
public interface IRule
{
    string Name { get; }

    /// <summary>Feeds one event.</summary>
    void OnEvent(Event e, IAlertSink sink);

    /// <summary>
    /// Tells the rule how far event time has progressed on every input (the minimum over inputs of the newest event
    /// time seen, advanced by wall time in live mode when an input is quiet). Time-driven rules (absence) fire here.
    /// </summary>
    void AdvanceClock(DateTimeOffset clock, IAlertSink sink);

    /// <summary>
    /// Whether <see cref="AdvanceClock"/> may raise alerts (absence), so it must be told of every move of the clock.
    /// Any other rule may be told late — just before its next event — so a rule set skips it for events it cannot match.
    /// </summary>
    bool ClockDriven => true;

    /// <summary>
    /// A hint before <see cref="OnEvent"/>: start loading the memory the event's group state lives in (stage 0, then
    /// stage 1), so that a rule set can overlap the cache misses of all the rules an event visits. No effect on results.
    /// </summary>
    void Prefetch(Event e, int stage) { }

    /// <summary>The per-group state, for a checkpoint.</summary>
    JsonNode Snapshot();

    /// <summary>Restores state saved by <see cref="Snapshot"/>.</summary>
    void Restore(JsonNode state);

    /// <summary>Number of groups with state.</summary>
    int ActiveKeys { get; }

    /// <summary>Describes the state of the group an event belongs to (for <c>gumshoe explain</c>).</summary>
    string Describe(Event e);
}
