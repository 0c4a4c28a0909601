using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Enrich;

/// <summary>Cache, timeout and outage settings shared by the lookup enrichers (<c>sql_lookup</c>, <c>ldap_lookup</c>).</summary>
public sealed record LookupOptions
{
    /// <summary>Most answers kept (found and not found alike).</summary>
    public int CacheSize { get; init; } = 10_000;
    /// <summary>How long an answer that found something is reused.</summary>
    public TimeSpan CacheTtl { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>How long an answer that found nothing is reused.</summary>
    public TimeSpan NegativeTtl { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>Longest time one query (connect included) may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>After a failure, how long events pass unenriched before the server is tried again.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Reads <c>cache_size</c>, <c>cache_ttl</c>, <c>negative_ttl</c>, <c>timeout</c>, <c>retry_after</c>.</summary>
    public static LookupOptions Read(ConfigNode node)
    {
        var o = new LookupOptions();
        return o with
        {
            CacheSize = node.Int("cache_size", 1, 10_000_000) ?? o.CacheSize,
            CacheTtl = node.DurationAt("cache_ttl") ?? o.CacheTtl,
            NegativeTtl = node.DurationAt("negative_ttl") ?? o.NegativeTtl,
            Timeout = Positive(node, "timeout") ?? o.Timeout,
            RetryAfter = node.DurationAt("retry_after") ?? o.RetryAfter,
        };
    }

    private static TimeSpan? Positive(ConfigNode node, string key) =>
        node.DurationAt(key) is { } d ? d > TimeSpan.Zero ? d : throw node.Required(key).Error($"{key} must be more than zero") : null;
}

/// <summary>One field a lookup answer sets.</summary>
public readonly record struct LookupField(string Name, FieldValue Value);

/// <summary>
/// The common half of a lookup enricher: reads the key fields from the event, answers from a bounded cache with a time
/// to live (shorter for "not found"), and otherwise asks the backend once, with a timeout. When the backend fails
/// (server down, timeout, bad query) the event passes through unenriched, the failure is counted by reason and logged
/// once, and the backend is left alone for <see cref="LookupOptions.RetryAfter"/> so a dead server cannot stall the
/// pipeline event after event.
/// </summary>
public abstract class LookupEnricher : IEnricher, IDisposable
{
    private readonly string[] _keyFields;
    private readonly BoundedCache<string, LookupField[]> _cache;
    private readonly Func<long> _clock;
    private long _downUntil = long.MinValue;
    private bool _down;
    private Counter _found = null!, _notFound = null!, _cached = null!, _missing = null!, _skipped = null!;
    private ILogger _logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    protected LookupEnricher(string type, string name, IReadOnlyList<string> keyFields, LookupOptions options, Func<long>? clock)
    {
        Name = type;
        LookupName = name;
        _keyFields = keyFields.ToArray();
        Options = options;
        _clock = clock ?? (static () => Environment.TickCount64);
        _cache = new BoundedCache<string, LookupField[]>(options.CacheSize, StringComparer.Ordinal, _clock);
        Counters = new EnricherCounters(type + "." + name);
        BindCounters();
    }

    public string Name { get; }

    /// <summary>The configured name of this lookup (<c>assets</c>, <c>people</c>).</summary>
    public string LookupName { get; }

    protected LookupOptions Options { get; }
    protected EnricherCounters Counters { get; }
    protected ILogger Logger => _logger;

    public void Attach(MetricsRegistry metrics, ILogger logger)
    {
        Counters.Attach(metrics);
        _logger = logger;
        BindCounters();
    }

    private void BindCounters()
    {
        _found = Counters.Outcome("found");
        _notFound = Counters.Outcome("not_found");
        _cached = Counters.Outcome("cached");
        _missing = Counters.Outcome("missing_field");
        _skipped = Counters.Outcome("skipped_server_down");
    }

    public void Enrich(Event e)
    {
        // one key field: its text is the cache key, so a hit allocates nothing
        FieldValue first = default;
        string key;
        FieldValue[]? values = null;
        if (_keyFields.Length == 1)
        {
            if (!e.TryGet(_keyFields[0], out first) || first.IsNull || (key = first.AsString()).Length == 0) { _missing.Add(); return; }
        }
        else
        {
            values = new FieldValue[_keyFields.Length];
            var parts = new string[_keyFields.Length];
            for (var i = 0; i < values.Length; i++)
            {
                if (!e.TryGet(_keyFields[i], out values[i]) || values[i].IsNull || (parts[i] = values[i].AsString()).Length == 0) { _missing.Add(); return; }
            }
            key = string.Join('\u001f', parts);
        }
        if (_cache.TryGet(key, out var fields)) _cached.Add();
        else
        {
            var now = _clock();
            if (_down && now < _downUntil) { _skipped.Add(); return; }
            values ??= [first];
            try
            {
                fields = Query(values);
            }
            catch (LookupFailedException ex)
            {
                Counters.Error(ex.Reason).Add();
                _downUntil = _clock() + (long)Options.RetryAfter.TotalMilliseconds;
                if (!_down) _logger.LogWarning("{Lookup}: {Reason}: {Error}; events pass unenriched, retrying in {Retry}", Counters.Enricher, ex.Reason, ex.Message, Options.RetryAfter);
                _down = true;
                return;
            }
            if (_down)
            {
                _down = false;
                _logger.LogInformation("{Lookup}: answering again", Counters.Enricher);
            }
            _cache.Set(key, fields, fields.Length > 0 ? Options.CacheTtl : Options.NegativeTtl);
            (fields.Length > 0 ? _found : _notFound).Add();
        }
        foreach (var f in fields) e.Set(f.Name, f.Value);
    }

    /// <summary>
    /// Asks the backend for the key values (in the order of the key fields); an empty array means "not found".
    /// Throws <see cref="LookupFailedException"/> when the backend cannot answer.
    /// </summary>
    protected abstract LookupField[] Query(FieldValue[] keyValues);

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>A lookup backend could not answer; <see cref="Reason"/> is the metric label (server_down, timeout, query_error …).</summary>
public sealed class LookupFailedException(string reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Reason { get; } = reason;
}
