namespace Gumshoe.Engine.Events;

/// <summary>
/// One event: typed fields addressed by dotted ECS names, plus the event time, the raw line and where it was read.
/// </summary>
/// <remarks>
/// <c>@timestamp</c>, <c>event.original</c>, <c>log.file.path</c>, <c>log.offset</c> and the input name are
/// properties rather than dictionary entries because every event has them. A parser may leave the rest of the
/// line unparsed and register a <see cref="Deferred"/> extraction that runs the first time a field is read.
/// </remarks>
public sealed class Event
{
    // A parsed log line has a dozen fields: room for them up front saves growing the table twice per event.
    private readonly Dictionary<string, FieldValue> _fields = new(16, StringComparer.Ordinal);
    private Action<Event>? _deferred;

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
    public bool TryGet(string name, out FieldValue value)
    {
        switch (name)
        {
            case Ecs.Timestamp: value = FieldValue.Timestamp(Timestamp); return true;
            case Ecs.EventOriginal: value = Original is null ? default : FieldValue.String(Original); return Original is not null;
            case Ecs.LogFilePath: value = FilePath is null ? default : FieldValue.String(FilePath); return FilePath is not null;
            case Ecs.LogOffset: value = Offset >= 0 ? FieldValue.Long(Offset) : default; return Offset >= 0;
            case Ecs.InputName: value = FieldValue.String(Input); return true;
        }
        if (_fields.TryGetValue(name, out value)) return true;
        if (_deferred is not null)
        {
            Expand();
            if (_fields.TryGetValue(name, out value)) return true;
        }
        return TryGetNested(name, out value);
    }

    // A field set as a nested object ("user": {"name": ...}) is still addressable as "user.name".
    private bool TryGetNested(string name, out FieldValue value)
    {
        value = default;
        var dot = name.LastIndexOf('.');
        while (dot > 0)
        {
            if (_fields.TryGetValue(name[..dot], out var parent) && parent.Kind == FieldKind.Object)
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
        if (value.IsNull) _fields.Remove(name);
        else _fields[name] = value;
    }

    public void Set(string name, string? value)
    {
        if (value is not null) Set(name, FieldValue.String(value));
    }

    /// <summary>Removes a field.</summary>
    public bool Remove(string name) => _fields.Remove(name);

    /// <summary>All fields, the fixed ones first, after running any deferred extraction.</summary>
    public IEnumerable<KeyValuePair<string, FieldValue>> Fields
    {
        get
        {
            Expand();
            yield return new(Ecs.Timestamp, FieldValue.Timestamp(Timestamp));
            foreach (var kv in _fields) yield return kv;
            if (FilePath is not null) yield return new(Ecs.LogFilePath, FieldValue.String(FilePath));
            if (Offset >= 0) yield return new(Ecs.LogOffset, FieldValue.Long(Offset));
            if (Original is not null) yield return new(Ecs.EventOriginal, FieldValue.String(Original));
        }
    }

    /// <summary>The stored fields (not the fixed ones), without running the deferred extraction; for writers.</summary>
    internal Dictionary<string, FieldValue> Stored => _fields;

    /// <summary>Number of dictionary fields set so far (not counting the fixed ones).</summary>
    public int FieldCount => _fields.Count;

    /// <summary>
    /// Forgets everything, keeping the field table's room: for a caller that handles one line at a time and keeps
    /// no event past it (<c>parse</c>), one instance serves every line.
    /// </summary>
    public void Reset()
    {
        _fields.Clear();
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
        foreach (var kv in _fields) e._fields[kv.Key] = kv.Value;
        return e;
    }
}
