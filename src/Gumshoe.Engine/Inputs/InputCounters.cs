using System.Collections.Concurrent;
using Gumshoe.Engine.Metrics;

namespace Gumshoe.Engine.Inputs;

/// <summary>
/// The <c>gumshoe_input_*</c> metrics of one network or stream input, labelled with the input's name and, for
/// problems, errors and drops, a reason.
/// </summary>
internal sealed class InputCounters(string input, MetricsRegistry metrics)
{
    private readonly ConcurrentDictionary<(string, string), Counter> _byReason = new();

    public Counter Lines { get; } = metrics.Counter("gumshoe_input_lines_total", "input", input);
    public Counter Bytes { get; } = metrics.Counter("gumshoe_input_bytes_total", "input", input);
    public Counter Connections { get; } = metrics.Counter("gumshoe_input_connections_total", "input", input);
    public Gauge OpenConnections { get; } = metrics.Gauge("gumshoe_input_connections_open", "input", input);
    public Counter Requests { get; } = metrics.Counter("gumshoe_input_requests_total", "input", input);

    /// <summary>A record delivered despite a flaw (truncated, invalid UTF-8 …).</summary>
    public void Problem(string reason) => ByReason("gumshoe_input_problems_total", reason).Add();

    /// <summary>Something that failed (a handshake, a bad request, a refused connection).</summary>
    public void Error(string reason) => ByReason("gumshoe_input_errors_total", reason).Add();

    /// <summary>Records received but never queued.</summary>
    public void Dropped(string reason, long count = 1) => ByReason("gumshoe_input_dropped_total", reason).Add(count);

    private Counter ByReason(string name, string reason) =>
        _byReason.GetOrAdd((name, reason), k => metrics.Counter(k.Item1, "input", input, "reason", k.Item2));
}
