namespace Gumshoe.Engine.Pipeline;

/// <summary>
/// Somewhere the pipeline's results go (the alert store) that must hold them before a checkpoint moves input
/// positions past the lines they came from: the live runner awaits <see cref="FlushAsync"/> before every commit, and
/// a failed flush is a failed commit (nothing consumed until it works). What was not flushed when the process dies is
/// derived again from the re-read lines, so the participant must store idempotently.
/// </summary>
public interface ICommitParticipant
{
    /// <summary>Whether results wait to be flushed (the runner then commits soon rather than on its interval).</summary>
    bool HasPending { get; }

    /// <summary>Makes everything handed over so far durable; throws when it cannot (kept for the next attempt).</summary>
    Task FlushAsync(CancellationToken ct);
}
