using System.Net;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Rules;

namespace Gumshoe.Web.Activity;

/// <summary>One event as the web pages show it: a copy of its fields, safe to read from any thread.</summary>
public sealed record EventSnapshot(DateTimeOffset Timestamp, string Input, IReadOnlyList<KeyValuePair<string, string>> Fields)
{
    public string? this[string name] => Fields.FirstOrDefault(f => f.Key == name).Value;
}

/// <summary>
/// What the pipeline is doing right now, for the dashboard and entity pages: the last events (a fixed ring, no
/// growth), events per second over the last minute, and an address → user mapping from recent successful logins.
/// <see cref="Observe"/> runs on the pipeline thread and only writes a slot; readers copy under a lock.
/// </summary>
public sealed class LiveActivity(int capacity = 10_000)
{
    private readonly Event?[] _ring = new Event?[capacity];
    private readonly long[] _perSecond = new long[60];
    private readonly long[] _secondOf = new long[60];
    private readonly Lock _gate = new();
    private long _next;
    private Event? _current;   // still being handled by the rules: published when the next event arrives
    private long _total;

    /// <summary>Events seen since the start.</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <summary>Called by the pipeline for each event before the rules see it.</summary>
    public void Observe(Event e)
    {
        var second = Environment.TickCount64 / 1000;
        lock (_gate)
        {
            if (_current is not null) _ring[_next++ % _ring.Length] = _current;
            _current = e;
            var slot = (int)(second % 60);
            if (_secondOf[slot] != second) { _secondOf[slot] = second; _perSecond[slot] = 0; }
            _perSecond[slot]++;
        }
        Interlocked.Increment(ref _total);
    }

    /// <summary>Events per second, averaged over the last full minute.</summary>
    public double EventsPerSecond
    {
        get
        {
            var now = Environment.TickCount64 / 1000;
            long sum = 0;
            lock (_gate)
                for (var i = 0; i < 60; i++)
                    if (_secondOf[i] < now && _secondOf[i] >= now - 60) sum += _perSecond[i];
            return sum / 60.0;
        }
    }

    /// <summary>Copies of the recent events an alert refers to (pipeline thread only: the events are not shared yet).</summary>
    public List<Event> ContributingEvents(Alert alert)
    {
        var wanted = alert.Events.Select(r => (r.Path, r.Offset, r.Timestamp)).ToHashSet();
        var found = new List<Event>();
        lock (_gate)
        {
            foreach (var e in All())
                if (wanted.Contains((e.FilePath, e.Offset, e.Timestamp))) found.Add(e.Clone());
        }
        return [.. found.OrderBy(e => e.Timestamp).ThenBy(e => e.Offset)];
    }

    /// <summary>The most recent events (newest first) for which <paramref name="match"/> holds, at most <paramref name="max"/>.</summary>
    public List<EventSnapshot> Recent(Func<Event, bool>? match = null, int max = 50)
    {
        var result = new List<EventSnapshot>();
        lock (_gate)
        {
            var n = Math.Min(_next, _ring.Length);
            for (long i = 1; i <= n && result.Count < max; i++)
            {
                var e = _ring[(_next - i) % _ring.Length]!;
                if (match is null || match(e)) result.Add(Snapshot(e));
            }
        }
        return result;
    }

    /// <summary>The user of the latest successful login from an address among recent events, if any.</summary>
    public string? UserForAddress(IPAddress address)
    {
        var text = address.ToString();
        var hit = Recent(e => e.GetString(Ecs.SourceIp) == text && e.GetString(Ecs.EventOutcome) == "success" && e.GetString(Ecs.UserName) is not null, 1);
        return hit.Count == 0 ? null : hit[0][Ecs.UserName];
    }

    private IEnumerable<Event> All()
    {
        var n = Math.Min(_next, _ring.Length);
        for (long i = 1; i <= n; i++) yield return _ring[(_next - i) % _ring.Length]!;
        if (_current is not null) yield return _current;
    }

    private static EventSnapshot Snapshot(Event e) =>
        new(e.Timestamp, e.Input, [.. e.Fields.Where(f => !f.Value.IsNull && f.Key != Ecs.Timestamp).Select(f => new KeyValuePair<string, string>(f.Key, f.Value.AsString()))]);
}
