using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Gumshoe.Engine.Events;

/// <summary>
/// One event: typed fields addressed by dotted ECS names, plus the event time, the raw line and where it was read.
/// </summary>
/// <remarks>
/// <c>@timestamp</c>, <c>event.original</c>, <c>log.file.path</c>, <c>log.offset</c> and the input name are
/// properties rather than table entries because every event has them. A parser may leave the rest of the
/// line unparsed and register a <see cref="Deferred"/> extraction that runs the first time a field is read.
/// </remarks>
public sealed class Event
{
    /// <summary>A stored field; a null name marks a removed one whose slot the next new field takes.</summary>
    internal struct Field
    {
        public string? Name;
        public FieldValue Value;
    }

    // Fields in one array, in the order they were set (a removed field's slot is reused by the next new one, as
    // Dictionary reuses its entries, so writers see the order they always saw). A dozen fields: one allocation of
    // ~540 B instead of a dictionary's three of ~830 B, and a lookup is a scan that first compares references —
    // names are mostly the same literal or interned strings (FieldNames) — before comparing text; an event with
    // many fields gets an index.
    private Field[] _fields;
    private int _count;
    private int[]? _free;
    private int _freeCount;
    private Dictionary<string, int>? _index;
    private Action<Event>? _deferred;
    // A bit per name stored (by length and end characters; never cleared on removal): a name whose bit is clear is
    // not here, so a parser adding its new fields, or a rule asking for one an event lacks, skips both scans.
    private ulong _names;

    private const int InitialFields = 16;
    private const int IndexedFrom = 24;

    /// <summary>An event without fields.</summary>
    public Event() => _fields = new Field[InitialFields];

    /// <summary>An event whose table starts with room for <paramref name="fields"/> fields (it grows past them as usual).</summary>
    public Event(int fields) => _fields = new Field[Math.Max(1, fields)];

    /// <summary>Event time (UTC).</summary>
    public DateTimeOffset Timestamp { get; set; }

    /// <summary>The raw line (<c>event.original</c>), when the event came from one.</summary>
    public string? Original { get; set; }

    /// <summary>The file the line came from (<c>log.file.path</c>).</summary>
    public string? FilePath { get; set; }

    /// <summary>Byte offset of the line's start in its file (<c>log.offset</c>), or -1.</summary>
    public long Offset { get; set; } = -1;

    /// <summary>Name of the configured input that produced the event.</summary>
    public string Input { get; set; } = "";

    /// <summary>Extraction left for later: runs once, on the first read of a field that is not yet set.</summary>
    public Action<Event>? Deferred { get => _deferred; set => _deferred = value; }

    /// <summary>Runs the deferred extraction, if any.</summary>
    public void Expand()
    {
        var d = _deferred;
        if (d is null) return;
        _deferred = null;
        d(this);
    }

    /// <summary>Reads a field by its dotted name.</summary>
    public bool TryGet(string name, out FieldValue value) =>
        TryGetProperty(name, out value, out var found) ? found : TryGetStoredOrNested(name, out value, out _);

    // The fields every event has as properties: handled (true) with whether the event has it (found).
    private bool TryGetProperty(string name, out FieldValue value, out bool found)
    {
        switch (name)
        {
            case Ecs.Timestamp: value = FieldValue.Timestamp(Timestamp); found = true; return true;
            case Ecs.EventOriginal: value = Original is null ? default : FieldValue.String(Original); found = Original is not null; return true;
            case Ecs.LogFilePath: value = FilePath is null ? default : FieldValue.String(FilePath); found = FilePath is not null; return true;
            case Ecs.LogOffset: value = Offset >= 0 ? FieldValue.Long(Offset) : default; found = Offset >= 0; return true;
            case Ecs.InputName: value = FieldValue.String(Input); found = true; return true;
        }
        value = default;
        found = false;
        return false;
    }

    // A stored field (at: its index) or one nested in a stored object (at: -1).
    private bool TryGetStoredOrNested(string name, out FieldValue value, out int at)
    {
        var i = IndexOf(name);
        if (i < 0 && _deferred is not null)
        {
            Expand();
            i = IndexOf(name);
        }
        at = i;
        if (i >= 0)
        {
            value = _fields[i].Value;
            return true;
        }
        return TryGetNested(name, out value);
    }

    /// <summary>
    /// <see cref="TryGet(string, out FieldValue)"/> for a caller that asks for the same field of event after event (a
    /// rule's condition): <paramref name="hint"/> is where it found the field last time (-1 at first) and is updated.
    /// Events from one parser store their fields in the same order, so the first place looked is mostly the right one,
    /// where a lookup otherwise compares the name with the fields stored after it.
    /// </summary>
    /// <remarks>A hint is only ever a place to look first: a wrong or stale one (another kind of event, a racing
    /// writer) costs the usual lookup.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(string name, ref int hint, out FieldValue value)
    {
        var fields = _fields;
        var h = hint;
        if ((uint)h < (uint)fields.Length && h < _count && ReferenceEquals(fields[h].Name, name))
        {
            value = fields[h].Value;
            return true;
        }
        return TryGetAndHint(name, ref hint, out value);
    }

    private bool TryGetAndHint(string name, ref int hint, out FieldValue value)
    {
        if (TryGetProperty(name, out value, out var found)) return found; // a property is never hinted at
        if (!TryGetStoredOrNested(name, out value, out var at)) return false;
        if (at >= 0 && ReferenceEquals(_fields[at].Name, name)) hint = at;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bit(string name) =>
        name.Length == 0 ? 1UL : 1UL << ((name.Length * 7 + name[0] * 3 + name[^1]) & 63);

    private int IndexOf(string name)
    {
        if ((_names & Bit(name)) == 0) return -1;
        var fields = _fields;
        var n = Math.Min(_count, fields.Length);
        // newest first: what rules ask for (action, outcome, addresses, user) a parser mostly sets after the header
        for (var i = n - 1; i >= 0; i--)
            if (ReferenceEquals(fields[i].Name, name)) return i;
        if (_index is not null) return _index.TryGetValue(name, out var at) ? at : -1;
        for (var i = 0; i < n; i++)
            if (fields[i].Name is { } k && k.Length == name.Length && string.Equals(k, name)) return i;
        return -1;
    }

    private bool TryGetStored(string name, out FieldValue value)
    {
        var i = IndexOf(name);
        value = i >= 0 ? _fields[i].Value : default;
        return i >= 0;
    }

    // A field set as a nested object ("user": {"name": ...}) is still addressable as "user.name".
    private bool TryGetNested(string name, out FieldValue value)
    {
        value = default;
        var dot = name.LastIndexOf('.');
        while (dot > 0)
        {
            if (TryGetStored(name[..dot], out var parent) && parent.Kind == FieldKind.Object)
            {
                var cur = parent;
                foreach (var part in name[(dot + 1)..].Split('.'))
                {
                    var obj = cur.AsObject();
                    if (obj is null || !obj.TryGetValue(part, out cur)) return false;
                }
                value = cur;
                return true;
            }
            dot = name.LastIndexOf('.', dot - 1);
        }
        return false;
    }

    /// <summary>Reads a field, or <see cref="FieldValue.Null"/>.</summary>
    public FieldValue Get(string name) => TryGet(name, out var v) ? v : FieldValue.Null;

    /// <summary>Reads a field as a string, or null when absent.</summary>
    public string? GetString(string name) => TryGet(name, out var v) && !v.IsNull ? v.AsString() : null;

    public FieldValue this[string name]
    {
        get => Get(name);
        set => Set(name, value);
    }

    /// <summary>Sets a field; a null value removes it.</summary>
    public void Set(string name, FieldValue value)
    {
        switch (name)
        {
            case Ecs.Timestamp:
                if (value.Kind == FieldKind.Timestamp) Timestamp = value.AsTimestamp();
                else if (EventTime.TryParse(value.AsString(), out var t)) Timestamp = t;
                return;
            case Ecs.EventOriginal: Original = value.IsNull ? null : value.AsString(); return;
            case Ecs.LogFilePath: FilePath = value.IsNull ? null : value.AsString(); return;
            case Ecs.LogOffset: Offset = value.IsNull ? -1 : value.AsLong(); return;
        }
        if (value.IsNull) Remove(name);
        else Store(name, value);
    }

    private void Store(string name, FieldValue value)
    {
        var i = IndexOf(name);
        if (i >= 0)
        {
            _fields[i].Value = value;
            return;
        }
        if (_freeCount > 0) i = _free![--_freeCount];
        else
        {
            if (_count == _fields.Length) Array.Resize(ref _fields, _fields.Length * 2);
            i = _count++;
        }
        _fields[i] = new Field { Name = name, Value = value };
        _names |= Bit(name);
        if (_index is not null) _index[name] = i;
        else if (_count - _freeCount >= IndexedFrom)
        {
            _index = new Dictionary<string, int>(_count * 2, StringComparer.Ordinal);
            for (var j = 0; j < _count; j++)
                if (_fields[j].Name is { } k) _index[k] = j;
        }
    }

    public void Set(string name, string? value)
    {
        if (value is not null) Set(name, FieldValue.String(value));
    }

    /// <summary>Removes a field.</summary>
    public bool Remove(string name)
    {
        var i = IndexOf(name);
        if (i < 0) return false;
        _index?.Remove(name);
        _fields[i] = default;
        if (i == _count - 1 && _freeCount == 0) _count--;
        else
        {
            // the slot goes to the next new field, most recently freed first (as Dictionary does)
            _free ??= new int[4];
            if (_freeCount == _free.Length) Array.Resize(ref _free, _free.Length * 2);
            _free[_freeCount++] = i;
        }
        return true;
    }

    /// <summary>All fields, the fixed ones first, after running any deferred extraction.</summary>
    public IEnumerable<KeyValuePair<string, FieldValue>> Fields
    {
        get
        {
            Expand();
            yield return new(Ecs.Timestamp, FieldValue.Timestamp(Timestamp));
            for (var i = 0; i < _count; i++)
                if (_fields[i].Name is { } name) yield return new(name, _fields[i].Value);
            if (FilePath is not null) yield return new(Ecs.LogFilePath, FieldValue.String(FilePath));
            if (Offset >= 0) yield return new(Ecs.LogOffset, FieldValue.Long(Offset));
            if (Original is not null) yield return new(Ecs.EventOriginal, FieldValue.String(Original));
        }
    }

    /// <summary>The stored fields (not the fixed ones) in order, removed ones with a null name, without running the deferred extraction; for writers.</summary>
    internal ReadOnlySpan<Field> Stored => _fields.AsSpan(0, _count);

    /// <summary>
    /// Has the processor fetch the field table into its cache ahead of use: a replay reads events that another core
    /// parsed, and a lookup that waits for them stalls. A hint only (no effect where there is no such instruction).
    /// </summary>
    internal unsafe void PrefetchFields()
    {
        if (!Sse.IsSupported) return;
        // the array's address, without reading the array itself (its length, or a null check, would be the very
        // miss this is meant to start): its header and then the fields in use
        var fields = _fields;
        var p = *(byte**)Unsafe.AsPointer(ref fields);
        var end = 2 * sizeof(nint) + _count * Unsafe.SizeOf<Field>();
        for (var o = 0; o < end; o += 64) Sse.Prefetch0(p + o);
    }

    /// <summary>
    /// Has the processor fetch the objects the field values refer to (an address, a string), once the field table
    /// is in the cache (<see cref="PrefetchFields"/> an event earlier): a rule reading an address otherwise stalls on
    /// the object another core made.
    /// </summary>
    internal unsafe void PrefetchValues()
    {
        if (!Sse.IsSupported) return;
        var fields = _fields;
        var n = Math.Min(_count, fields.Length);
        for (var i = 0; i < n; i++)
        {
            var o = fields[i].Value.Reference;
            if (o is not null) Sse.Prefetch0(*(void**)Unsafe.AsPointer(ref o));
        }
    }

    /// <summary>Has the processor fetch <paramref name="e"/>'s own object: its field table's address, its time, file and offset (see <see cref="PrefetchFields"/>).</summary>
    internal static void Prefetch(Event e) => CacheLines.Fetch(e);

    /// <summary>Number of table fields set so far (not counting the fixed ones).</summary>
    public int FieldCount => _count - _freeCount;

    /// <summary>
    /// Forgets everything, keeping the field table's room: for a caller that handles one line at a time and keeps
    /// no event past it (<c>parse</c>), one instance serves every line.
    /// </summary>
    public void Reset()
    {
        _fields.AsSpan(0, _count).Clear();
        _count = _freeCount = 0;
        _names = 0;
        _index = null;
        _deferred = null;
        Timestamp = default;
        Original = FilePath = null;
        Offset = -1;
        Input = "";
    }

    /// <summary>A shallow copy with the same fields.</summary>
    public Event Clone()
    {
        Expand();
        var e = new Event { Timestamp = Timestamp, Original = Original, FilePath = FilePath, Offset = Offset, Input = Input };
        for (var i = 0; i < _count; i++)
            if (_fields[i].Name is { } name) e.Store(name, _fields[i].Value);
        return e;
    }
}
