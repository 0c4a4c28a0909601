using Gumshoe.Engine.Metrics;

namespace Gumshoe.Engine.Enrich;

/// <summary>
/// The metrics of one configured enricher: <c>gumshoe_enrich_outcomes_total{enricher, outcome}</c> for what happened
/// to each event (enriched, not_found, private_address …) and <c>gumshoe_enrich_errors_total{enricher, reason}</c>
/// for failures (server_down, timeout, query_error, reload_failed …). Counters are looked up once per reason and kept,
/// so counting on the hot path is one interlocked add.
/// </summary>
public sealed class EnricherCounters(string enricher)
{
    private MetricsRegistry _metrics = new();
    private readonly Dictionary<string, Counter> _outcomes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Counter> _errors = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>The enricher's label value (<c>geoip</c>, <c>sql_lookup.assets</c> …).</summary>
    public string Enricher { get; } = enricher;

    /// <summary>Moves the counters to the run's registry, carrying over what was counted so far.</summary>
    public void Attach(MetricsRegistry metrics)
    {
        lock (_lock)
        {
            if (ReferenceEquals(metrics, _metrics)) return;
            Rebind(_outcomes, metrics, "gumshoe_enrich_outcomes_total", "outcome");
            Rebind(_errors, metrics, "gumshoe_enrich_errors_total", "reason");
            _metrics = metrics;
        }
    }

    private void Rebind(Dictionary<string, Counter> counters, MetricsRegistry metrics, string name, string label)
    {
        foreach (var key in counters.Keys.ToList())
        {
            var next = metrics.Counter(name, "enricher", Enricher, label, key);
            next.Add(counters[key].Value);
            counters[key] = next;
        }
    }

    /// <summary>The counter for one outcome; keep it in a field when it is counted per event.</summary>
    public Counter Outcome(string outcome) => Get(_outcomes, "gumshoe_enrich_outcomes_total", "outcome", outcome);

    /// <summary>The counter for one kind of error.</summary>
    public Counter Error(string reason) => Get(_errors, "gumshoe_enrich_errors_total", "reason", reason);

    private Counter Get(Dictionary<string, Counter> counters, string name, string label, string key)
    {
        lock (_lock)
        {
            if (!counters.TryGetValue(key, out var c))
                counters[key] = c = _metrics.Counter(name, "enricher", Enricher, label, key);
            return c;
        }
    }
}
