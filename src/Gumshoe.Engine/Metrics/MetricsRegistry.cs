using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Gumshoe.Engine.Metrics;

/// <summary>A monotonically increasing count, safe to bump from any thread.</summary>
public sealed class Counter
{
    private long _value;
    private CounterCell[] _cells = [];

    /// <summary>The count: what was added here and in every cell.</summary>
    public long Value
    {
        get
        {
            var v = Interlocked.Read(ref _value);
            foreach (var c in Volatile.Read(ref _cells)) v += c.Value;
            return v;
        }
    }

    public void Add(long n = 1) => Interlocked.Add(ref _value, n);

    /// <summary>
    /// A share of this count for one thread to bump on a hot path (a rule's matches): a plain add, where a locked add
    /// makes the core wait for every store it has pending — cache misses it would otherwise never wait for.
    /// </summary>
    public CounterCell Cell()
    {
        var cell = new CounterCell();
        CounterCell[] cells;
        do cells = _cells;
        while (Interlocked.CompareExchange(ref _cells, [.. cells, cell], cells) != cells);
        return cell;
    }
}

/// <summary>One writer's share of a <see cref="Counter"/>: bumped by that thread only, read by any.</summary>
public sealed class CounterCell
{
    private long _value;
    public long Value => Volatile.Read(ref _value);
    public void Add(long n = 1) => Volatile.Write(ref _value, _value + n);
}

/// <summary>A value that goes up and down (queue depth, a health flag).</summary>
public sealed class Gauge
{
    private long _value;
    public long Value => Interlocked.Read(ref _value);
    public void Set(long v) => Interlocked.Exchange(ref _value, v);
}

/// <summary>
/// Counters and gauges keyed by name and labels (<c>component</c>, <c>reason</c> …), written out in the
/// Prometheus text format for <c>/metrics</c> and as a summary table at the end of a replay.
/// </summary>
public sealed class MetricsRegistry
{
    private readonly ConcurrentDictionary<string, (string Name, string Labels, object Metric)> _metrics = new(StringComparer.Ordinal);

    /// <summary>The counter for a name and label pairs (<c>"input", "auth", "reason", "invalid_utf8"</c>).</summary>
    public Counter Counter(string name, params string[] labels) => (Counter)GetOrAdd(name, labels, static () => new Counter());

    public Gauge Gauge(string name, params string[] labels) => (Gauge)GetOrAdd(name, labels, static () => new Gauge());

    private object GetOrAdd(string name, string[] labels, Func<object> create)
    {
        var l = FormatLabels(labels);
        var key = name + l;
        return _metrics.TryGetValue(key, out var m) ? m.Metric : _metrics.GetOrAdd(key, _ => (name, l, create())).Metric;
    }

    private static string FormatLabels(string[] labels)
    {
        if (labels.Length == 0) return "";
        var sb = new StringBuilder("{");
        for (var i = 0; i + 1 < labels.Length; i += 2)
        {
            if (i > 0) sb.Append(',');
            sb.Append(labels[i]).Append("=\"").Append(labels[i + 1].Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n")).Append('"');
        }
        return sb.Append('}').ToString();
    }

    /// <summary>All metrics, ordered by name then labels.</summary>
    public IEnumerable<(string Name, string Labels, long Value)> Snapshot() =>
        _metrics.Values.OrderBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.Labels, StringComparer.Ordinal)
            .Select(m => (m.Name, m.Labels, m.Metric is Counter c ? c.Value : ((Gauge)m.Metric).Value));

    /// <summary>The Prometheus text exposition format.</summary>
    public string ToPrometheus()
    {
        var sb = new StringBuilder();
        string? last = null;
        foreach (var (name, labels, value) in Snapshot())
        {
            if (name != last)
            {
                var kind = _metrics[name + labels].Metric is Counter ? "counter" : "gauge";
                sb.Append("# TYPE ").Append(name).Append(' ').Append(kind).Append('\n');
                last = name;
            }
            sb.Append(name).Append(labels).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        return sb.ToString();
    }
}
