using System.Net;
using System.Net.Sockets;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Rules;

/// <summary>
/// How a rule groups events: one or more fields, each optionally reduced to a derived key —
/// <c>source.ip/24</c> groups IPv4 addresses by their /24 network, <c>source.ip/64</c> IPv6 ones by /64.
/// </summary>
public sealed class GroupKey
{
    private readonly (string Field, int V4Prefix, int V6Prefix, string Label)[] _parts;

    private GroupKey((string, int, int, string)[] parts)
    {
        _parts = [.. parts.Select(p => (Events.FieldNames.Intern(p.Item1), p.Item2, p.Item3, p.Item4))];
        _hints = [.. _parts.Select(_ => -1)];
    }

    private readonly int[] _hints; // per part: where events have had its field (see Event.TryGet)

    /// <summary>The event fields the key is made of.</summary>
    public IEnumerable<string> Fields => _parts.Select(p => p.Field);

    /// <summary>Field labels as they appear in an alert's <c>group</c>.</summary>
    public IEnumerable<string> Labels => _parts.Select(p => p.Label);

    /// <summary>Parses <c>group_by</c>: a field or list of fields, each optionally <c>field/prefix</c>.</summary>
    public static GroupKey Parse(ConfigNode? node)
    {
        if (node is null || node.IsNull) return new GroupKey([]);
        var parts = new List<(string, int, int, string)>();
        foreach (var item in node.Items)
        {
            var text = item.AsString().Trim();
            var slash = text.LastIndexOf('/');
            if (slash > 0 && int.TryParse(text[(slash + 1)..], out var prefix))
            {
                if (prefix is < 0 or > 128) throw item.Error($"prefix /{prefix} is out of range");
                // one prefix serves both families: /24 for IPv4, and the same number for IPv6 when ≥ 32, else /64
                parts.Add((text[..slash], Math.Min(prefix, 32), prefix > 32 ? prefix : 64, text));
            }
            else parts.Add((text, 32, 128, text));
        }
        return new GroupKey([.. parts]);
    }

    /// <summary>Number of fields in the key.</summary>
    public int Count => _parts.Length;

    /// <summary>The group values of an event, or false when a field is missing.</summary>
    public bool TryGet(Event e, out string key, out KeyValuePair<string, string>[] values)
    {
        if (!TryGetKey(e, out key)) { values = []; return false; }
        values = ValuesOf(key);
        return true;
    }

    /// <summary>The group key of an event as text (values joined by U+001F), or false when a field is missing.</summary>
    public bool TryGetKey(Event e, out string key)
    {
        var ok = TryGetValue(e, out var value);
        key = ok ? value.ToString() : "";
        return ok;
    }

    /// <summary>
    /// The group key of an event as a <see cref="GroupKeyValue"/>, or false when a field is missing. An IPv4 address
    /// or an IP network (<c>source.ip/24</c>) of a one-field key is held as a number: nothing is allocated.
    /// </summary>
    public bool TryGetValue(Event e, out GroupKeyValue key)
    {
        // rules of one set share GroupKey instances (see RuleSet): the key of the event just seen is reused
        if (ReferenceEquals(e, _lastEvent) && e.Timestamp == _lastTime)
        {
            key = _lastKey;
            return _lastOk;
        }
        _lastOk = Compute(e, out key);
        _lastEvent = e;
        _lastTime = e.Timestamp;
        _lastKey = key;
        return _lastOk;
    }

    private Event? _lastEvent;
    private DateTimeOffset _lastTime;
    private GroupKeyValue _lastKey;
    private bool _lastOk;

    /// <summary>An event's key in a batch (see <see cref="KeyAt(int, Event)"/>): whether it has one, the key, its table hash.</summary>
    internal struct BatchKey
    {
        public GroupKeyValue Key;
        public int Hash;      // Correlation.GroupTable's hash of the key
        public bool Has;
        public int Batch;     // the batch it was worked out in
    }

    // The keys of a batch's events by index: worked out once per event by the first rule of the set that asks (rules
    // of one set share this instance), then read back by the others and by each as it applies its matches, where every
    // rule kept a copy of the key and its hash per match.
    private BatchKey[] _batchKeys = [];
    private int _batch;

    /// <summary>Starts a batch of <paramref name="length"/> events: the keys of the one before are forgotten.</summary>
    internal void BeginBatch(int length)
    {
        if (_batchKeys.Length < length) _batchKeys = new BatchKey[Math.Max(length, 2 * _batchKeys.Length)];
        if (++_batch == int.MaxValue)
        {
            Array.Clear(_batchKeys);
            _batch = 1;
        }
    }

    /// <summary>The key of event <paramref name="e"/>, number <paramref name="at"/> of the batch begun last, worked out if no rule has asked yet.</summary>
    internal ref readonly BatchKey KeyAt(int at, Event e)
    {
        ref var k = ref _batchKeys[at];
        if (k.Batch != _batch)
        {
            k.Has = Compute(e, out k.Key);
            k.Hash = k.Has ? Correlation.GroupTable<int>.HashOf(k.Key) : 0;
            k.Batch = _batch;
        }
        return ref k;
    }

    /// <summary>The key of event <paramref name="at"/> of the batch begun last, as <see cref="KeyAt(int, Event)"/> worked it out.</summary>
    internal ref readonly BatchKey KeyAt(int at) => ref _batchKeys[at];

    /// <summary>The spec this key was parsed from (<c>source.ip/24,user.name</c>), to share one instance per spec.</summary>
    public string Spec => string.Join(",", _parts.Select(p => p.Label));

    /// <summary>
    /// The key whose text is <paramref name="text"/> (a snapshot's key): the value an event with those field values
    /// gets from <see cref="TryGetValue"/>.
    /// </summary>
    public GroupKeyValue ValueOf(string text)
    {
        if (_parts.Length != 1) return GroupKeyValue.Text(text);
        if (IsPrefixed(0)) return GroupKeyValue.TryCanonicalNetwork(text, out var net) ? net : GroupKeyValue.Text(text);
        return GroupKeyValue.TryCanonicalIpv4(text, out var v4) ? GroupKeyValue.Ipv4(v4) : GroupKeyValue.Text(text);
    }

    private bool IsPrefixed(int i) => _parts[i].V4Prefix < 32 || _parts[i].V6Prefix < 128;

    private bool Compute(Event e, out GroupKeyValue key)
    {
        if (_parts.Length == 0) { key = GroupKeyValue.Text(""); return true; }
        if (_parts.Length == 1) return TryPartValue(e, out key);
        key = default;
        string[] texts = new string[_parts.Length];
        for (var i = 0; i < _parts.Length; i++)
            if (!TryPart(e, i, out texts[i])) return false;
        key = GroupKeyValue.Text(string.Join('\u001f', texts));
        return true;
    }

    // A one-field key: the same text as TryPart gives, held as a number where it is an address or network.
    private bool TryPartValue(Event e, out GroupKeyValue key)
    {
        var (field, v4, v6, _) = _parts[0];
        key = default;
        if (!e.TryGet(field, ref _hints[0], out var v) || v.IsNull) return false;
        if (IsPrefixed(0))
        {
            if (v.AsIp() is { } ip) key = GroupKeyValue.Network(ip, ip.AddressFamily == AddressFamily.InterNetwork ? v4 : v6);
            else
            {
                var text = v.AsString();
                key = text.Contains('/') && GroupKeyValue.TryCanonicalNetwork(text, out var net) ? net : GroupKeyValue.Text(text);
            }
            return true;
        }
        if (v.TryGetIpv4(out var address)) key = GroupKeyValue.Ipv4(address);
        else if (v.Kind == FieldKind.String && GroupKeyValue.TryCanonicalIpv4(v.AsString(), out address)) key = GroupKeyValue.Ipv4(address);
        else key = GroupKeyValue.Text(v.AsString());
        return true;
    }

    /// <summary>The labelled values of a key.</summary>
    public KeyValuePair<string, string>[] ValuesOf(GroupKeyValue key) => ValuesOf(key.ToString());

    /// <summary>The labelled values of a key's text (<see cref="TryGetKey"/>).</summary>
    public KeyValuePair<string, string>[] ValuesOf(string key)
    {
        if (_parts.Length == 0) return [];
        if (_parts.Length == 1) return [new(_parts[0].Label, key)];
        var texts = key.Split('\u001f');
        var values = new KeyValuePair<string, string>[_parts.Length];
        for (var i = 0; i < _parts.Length; i++) values[i] = new(_parts[i].Label, i < texts.Length ? texts[i] : "");
        return values;
    }

    private bool TryPart(Event e, int i, out string text)
    {
        var (field, v4, v6, _) = _parts[i];
        text = "";
        if (!e.TryGet(field, ref _hints[i], out var v) || v.IsNull) return false;
        if ((v4 < 32 || v6 < 128) && v.AsIp() is { } ip)
        {
            var prefix = ip.AddressFamily == AddressFamily.InterNetwork ? v4 : v6;
            text = new IPNetwork(Mask(ip, prefix), prefix).ToString();
        }
        else text = v.AsString();
        return true;
    }

    private static IPAddress Mask(IPAddress ip, int prefix)
    {
        var bytes = ip.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var bits = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }
        return new IPAddress(bytes);
    }
}
