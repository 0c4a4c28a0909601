using System.Globalization;
using System.Text.Json.Nodes;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>One event the API returned: its de-duplication id, its event time and its raw JSON.</summary>
public readonly record struct PolledItem(string Id, DateTimeOffset Time, string Json);

/// <summary>A time window read in one poll: [start, end], both inclusive.</summary>
public readonly record struct PollWindow(DateTimeOffset Start, DateTimeOffset End);

/// <summary>
/// The position of one stream of a poller (one Google application, one endpoint): the end of the last window read
/// completely (the watermark), the ids delivered in the overlap, and the window being delivered now.
/// </summary>
/// <remarks>
/// The checkpoint counts only acknowledged records: records of the current window carry a
/// <see cref="SourceCursor"/> whose <see cref="SourceCursor.Acked"/> is the number of them the pipeline has
/// finished with. A checkpoint therefore holds the committed ids plus the acknowledged prefix of the current
/// window, and moves the watermark only once the whole window was read and acknowledged. After a crash the window
/// is read again and exactly the acknowledged ids are skipped.
/// </remarks>
public sealed class PollStream(string input, string name, PollerOptions options)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private DateTimeOffset _floor = options.Start;
    private DateTimeOffset? _watermark;
    private Batch? _batch;

    /// <summary>The stream's name in the checkpoint (an application, an endpoint).</summary>
    public string Name { get; } = name;

    /// <summary>End of the last completely read window, if any.</summary>
    public DateTimeOffset? Watermark { get { lock (_gate) return _watermark; } }

    /// <summary>Number of ids remembered for de-duplication.</summary>
    public int Remembered { get { lock (_gate) return _seen.Count; } }

    private sealed class Batch(PollWindow window, SourceCursor cursor)
    {
        public PollWindow Window { get; } = window;
        public SourceCursor Cursor { get; } = cursor;
        public List<(string Id, DateTimeOffset Time)> Emitted { get; } = [];
        public HashSet<string> Ids { get; } = new(StringComparer.Ordinal);
        public bool Complete { get; set; }
    }

    /// <summary>The next window to read at <paramref name="now"/>, or null when there is nothing new yet.</summary>
    public PollWindow? NextWindow(DateTimeOffset now)
    {
        lock (_gate)
        {
            var latest = now - options.SafetyLag;
            var progress = _watermark ?? _floor;
            var end = Min(latest, progress + options.MaxWindow);
            if (end <= progress) return null;
            var start = _watermark is { } w ? Max(_floor, w - options.Overlap) : _floor;
            return new PollWindow(start, end);
        }
    }

    /// <summary>Whether the window ends before the latest time a poll could read now (still catching up).</summary>
    public bool Behind(PollWindow window, DateTimeOffset now) => window.End < now - options.SafetyLag - TimeSpan.FromSeconds(1);

    /// <summary>Starts delivering a window; the previous one must be folded.</summary>
    public SourceCursor Begin(PollWindow window)
    {
        lock (_gate)
        {
            if (_batch is not null) throw new InvalidOperationException("the previous window is still being delivered");
            var cursor = new SourceCursor(input, null);
            _batch = new Batch(window, cursor);
            return cursor;
        }
    }

    /// <summary>Whether an id was delivered already (committed, or earlier in this window).</summary>
    public bool Knows(string id)
    {
        lock (_gate) return _seen.ContainsKey(id) || (_batch?.Ids.Contains(id) ?? false);
    }

    /// <summary>Records an id about to be delivered; returns its sequence number in the window (its record offset).</summary>
    public long Add(string id, DateTimeOffset time)
    {
        lock (_gate)
        {
            var b = _batch ?? throw new InvalidOperationException("no window is being delivered");
            b.Ids.Add(id);
            b.Emitted.Add((id, time));
            return b.Emitted.Count - 1;
        }
    }

    /// <summary>Marks the window as read to its end (every page followed).</summary>
    public void Complete()
    {
        lock (_gate) { if (_batch is not null) _batch.Complete = true; }
    }

    /// <summary>Whether every record delivered in the current window was acknowledged.</summary>
    public bool AllAcked
    {
        get { lock (_gate) return _batch is null || _batch.Cursor.Acked >= _batch.Emitted.Count; }
    }

    /// <summary>
    /// Folds the acknowledged window into the committed state: its ids join the remembered ones and, when it was
    /// read completely, the watermark moves to its end and ids older than the next window's start are forgotten.
    /// </summary>
    public void Fold()
    {
        lock (_gate)
        {
            if (_batch is not { } b) return;
            var acked = (int)Math.Min(b.Cursor.Acked, b.Emitted.Count);
            for (var i = 0; i < acked; i++) _seen[b.Emitted[i].Id] = b.Emitted[i].Time;
            if (b.Complete && acked == b.Emitted.Count) _watermark = b.Window.End;
            _batch = null;
            Prune();
        }
    }

    private void Prune()
    {
        if (_watermark is not { } w) return;
        var keepFrom = Max(_floor, w - options.Overlap);
        List<string>? old = null;
        foreach (var (id, t) in _seen) if (t < keepFrom) (old ??= []).Add(id);
        if (old is not null) foreach (var id in old) _seen.Remove(id);
        if (_seen.Count > options.MaxRemembered)
        {
            // a bound on memory: the oldest ids go first (they are the least likely to be returned again)
            foreach (var (id, _) in _seen.OrderBy(kv => kv.Value).Take(_seen.Count - options.MaxRemembered).ToList()) _seen.Remove(id);
        }
    }

    /// <summary>The state to commit: only what the pipeline acknowledged.</summary>
    public JsonObject Checkpoint()
    {
        lock (_gate)
        {
            var seen = new JsonObject();
            foreach (var (id, t) in _seen) seen[id] = Format(t);
            var watermark = _watermark;
            if (_batch is { } b)
            {
                var acked = (int)Math.Min(b.Cursor.Acked, b.Emitted.Count);
                for (var i = 0; i < acked; i++) seen[b.Emitted[i].Id] = Format(b.Emitted[i].Time);
                if (b.Complete && acked == b.Emitted.Count) watermark = b.Window.End;
            }
            return new JsonObject
            {
                ["start"] = Format(_floor),
                ["watermark"] = watermark is { } w ? Format(w) : null,
                ["seen"] = seen,
            };
        }
    }

    /// <summary>Restores a state written by <see cref="Checkpoint"/>; a missing or unreadable state starts afresh.</summary>
    public void Restore(JsonNode? state)
    {
        lock (_gate)
        {
            _seen.Clear();
            _batch = null;
            _watermark = null;
            _floor = options.Start;
            if (state is not JsonObject o) return;
            if (Parse(o["start"]) is { } s) _floor = s;
            _watermark = Parse(o["watermark"]);
            if (o["seen"] is JsonObject seen)
                foreach (var (id, t) in seen) if (Parse(t) is { } time) _seen[id] = time;
        }
    }

    private static DateTimeOffset? Parse(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s)
        && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    /// <summary>UTC, RFC 3339 with milliseconds.</summary>
    public static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
