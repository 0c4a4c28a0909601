using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Enrich;

/// <summary>
/// Adds fields to a parsed event before the rules see it (GeoIP, user agent, identity, lookups). Called from the
/// pipeline's single thread; an enricher that cannot enrich an event leaves it as it is and counts why.
/// </summary>
public interface IEnricher
{
    /// <summary>The enricher's type name under <c>enrich:</c>.</summary>
    string Name { get; }

    /// <summary>Adds fields to the event.</summary>
    void Enrich(Event e);

    /// <summary>
    /// Gives the enricher the run's metrics and logger; called by the pipeline before the first event. Until then an
    /// enricher counts into a private registry.
    /// </summary>
    void Attach(MetricsRegistry metrics, ILogger logger) { }
}
