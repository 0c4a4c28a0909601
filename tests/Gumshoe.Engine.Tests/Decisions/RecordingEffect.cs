using System.Collections.Concurrent;
using Gumshoe.Engine.Actions;

namespace Gumshoe.Engine.Tests.Decisions;

/// <summary>An effect that records each request it runs (and can be told to fail).</summary>
public sealed class RecordingEffect(string type = "record") : IAction
{
    public ConcurrentQueue<ActionRequest> Runs { get; } = new();
    public int FailuresLeft { get; set; }
    public bool FailRetryable { get; set; } = true;

    public string Type => type;

    public Task ExecuteAsync(ActionRequest request, CancellationToken cancellationToken)
    {
        if (FailuresLeft > 0)
        {
            FailuresLeft--;
            throw new ActionFailedException("receiver said no", FailRetryable);
        }
        Runs.Enqueue(request);
        return Task.CompletedTask;
    }
}
