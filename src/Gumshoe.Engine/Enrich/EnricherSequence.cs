using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Enrich;

/// <summary>Several enrichers of one type configured as a list (<c>sql_lookup: [{name: a, …}, {name: b, …}]</c>), run in order.</summary>
public sealed class EnricherSequence(string name, IReadOnlyList<IEnricher> enrichers) : IEnricher, IDisposable
{
    public string Name { get; } = name;

    /// <summary>The enrichers, in the order they run.</summary>
    public IReadOnlyList<IEnricher> Enrichers { get; } = enrichers;

    public void Enrich(Event e)
    {
        foreach (var enricher in Enrichers) enricher.Enrich(e);
    }

    public void Attach(MetricsRegistry metrics, ILogger logger)
    {
        foreach (var enricher in Enrichers) enricher.Attach(metrics, logger);
    }

    public void Dispose()
    {
        foreach (var enricher in Enrichers) (enricher as IDisposable)?.Dispose();
    }
}
