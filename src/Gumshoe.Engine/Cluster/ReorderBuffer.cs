using System.Text.Json.Nodes;

namespace Gumshoe.Engine.Cluster;

/// <summary>
/// Events of one partition held back until every live collector's watermark has passed them, then handed out in
/// event-time order (ties in stream order), so the rules see what a single process reading every log in time order
/// would have seen. Collectors announce their watermark in-band; one that has not been heard from for a timeout no
/// longer holds the others back.
/// </summary>
public sealed class ReorderBuffer(TimeSpan collectorTimeout, int limit)
{
    private readonly PriorityQueue<(ulong Seq, byte[] Data), (long Time, ulong Seq)> _queue = new();
    private readonly Dictionary<string, Collector> _collectors = new(StringComparer.Ordinal);

    private sealed class Collector
    {
        public long? Watermark;        // null: has sent events but no watermark yet (holds everything back)
        public bool Unconstrained;     // announced "none": has seen no event, holds nothing back
        public DateTimeOffset Heard;
    }

    /// <summary>Events held.</summary>
    public int Count => _queue.Count;

    /// <summary>Events handed out early because the buffer was full (order no longer guaranteed for them).</summary>
    public long Overflowed { get; private set; }

    /// <summary>Holds an event from <paramref name="collector"/> at stream position <paramref name="seq"/>.</summary>
    public void Add(string collector, long time, ulong seq, byte[] data, DateTimeOffset now)
    {
        var c = Of(collector, now);
        c.Heard = now;
        c.Unconstrained = false;
        _queue.Enqueue((seq, data), (time, seq));
    }

    /// <summary>Records a collector's watermark (<c>null</c>: it has seen no event yet).</summary>
    public void Watermark(string collector, long? ticks, DateTimeOffset now)
    {
        var c = Of(collector, now);
        c.Heard = now;
        if (ticks is null) { c.Unconstrained = c.Watermark is null; return; }
        c.Unconstrained = false;
        if (c.Watermark is null || ticks > c.Watermark) c.Watermark = ticks;
    }

    private Collector Of(string id, DateTimeOffset now)
    {
        if (!_collectors.TryGetValue(id, out var c)) _collectors[id] = c = new Collector { Heard = now };
        return c;
    }

    /// <summary>
    /// The event time every live collector has passed: <c>long.MaxValue</c> when none holds anything back,
    /// <c>long.MinValue</c> when one has sent events but no watermark yet.
    /// </summary>
    public long Low(DateTimeOffset now)
    {
        var low = long.MaxValue;
        foreach (var c in _collectors.Values)
        {
            if (now - c.Heard > collectorTimeout || c.Unconstrained) continue;
            low = Math.Min(low, c.Watermark ?? long.MinValue);
        }
        return low;
    }

    /// <summary>Hands out, in order, every event at or before the watermark (and the oldest beyond the limit).</summary>
    public IEnumerable<(ulong Seq, byte[] Data)> Release(long low)
    {
        while (_queue.TryPeek(out var item, out var at))
        {
            if (at.Time > low)
            {
                if (_queue.Count <= limit) yield break;
                Overflowed++;
            }
            _queue.Dequeue();
            yield return item;
        }
    }

    /// <summary>The lowest stream position still held (what must be read again after a restore), or null.</summary>
    public ulong? LowestHeld => _queue.UnorderedItems.Select(i => (ulong?)i.Element.Seq).Min();

    /// <summary>State for a partition snapshot: collectors and held events.</summary>
    public JsonObject Snapshot()
    {
        var collectors = new JsonObject();
        foreach (var (id, c) in _collectors)
            collectors[id] = new JsonObject { ["w"] = c.Watermark, ["u"] = c.Unconstrained, ["h"] = c.Heard.ToUnixTimeMilliseconds() };
        var held = new JsonArray();
        foreach (var (item, at) in _queue.UnorderedItems)
            held.Add(new JsonArray(at.Time, item.Seq, Convert.ToBase64String(item.Data)));
        return new JsonObject { ["collectors"] = collectors, ["held"] = held };
    }

    /// <summary>Restores <see cref="Snapshot"/>.</summary>
    public void Restore(JsonNode? state)
    {
        if (state is null) return;
        foreach (var (id, n) in state["collectors"]!.AsObject())
            _collectors[id] = new Collector
            {
                Watermark = (long?)n!["w"], Unconstrained = (bool)n["u"]!, Heard = DateTimeOffset.FromUnixTimeMilliseconds((long)n["h"]!),
            };
        foreach (var h in state["held"]!.AsArray())
        {
            var a = h!.AsArray();
            var time = (long)a[0]!;
            var seq = (ulong)a[1]!;
            _queue.Enqueue((seq, Convert.FromBase64String((string)a[2]!)), (time, seq));
        }
    }
}
