using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Analytics;

/// <summary>
/// Learns from enriched events and reports findings (an unusual login, impossible travel) as derived events that
/// the rules see like any other event. Called from the pipeline's single thread, after the enrichers.
/// </summary>
public interface IAnalyzer
{
    /// <summary>The analyzer's name under <c>analytics:</c>.</summary>
    string Name { get; }

    /// <summary>Looks at one event; calls <paramref name="finding"/> for each finding it raises.</summary>
    void Analyze(Event e, Action<Event> finding);
}

/// <summary>An analyzer whose learnt state can be saved and restored (into a partition snapshot, a state file).</summary>
public interface IStatefulAnalyzer : IAnalyzer
{
    /// <summary>Writes the learnt state.</summary>
    void SaveState(Stream stream);

    /// <summary>Replaces the learnt state with what <see cref="SaveState"/> wrote.</summary>
    void LoadState(Stream stream);
}
