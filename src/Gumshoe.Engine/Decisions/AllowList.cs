using System.Net;
using Gumshoe.Engine.Config;

namespace Gumshoe.Engine.Decisions;

/// <summary>
/// Entities that are never penalised: address ranges (<c>cidrs</c>), user names (<c>users</c>, case-insensitive)
/// and any other scope's values (<c>values: {mac: [..]}</c>). An IP or range decision is refused when it touches
/// an allowed range.
/// </summary>
public sealed class AllowList
{
    private readonly IPNetwork[] _cidrs;
    private readonly HashSet<string> _users;
    private readonly Dictionary<string, HashSet<string>> _values;

    public AllowList(IEnumerable<IPNetwork> cidrs, IEnumerable<string> users, IReadOnlyDictionary<string, IEnumerable<string>>? values = null)
    {
        _cidrs = [.. cidrs];
        _users = new HashSet<string>(users.Select(u => u.Trim().ToLowerInvariant()), StringComparer.Ordinal);
        _values = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (scope, list) in values ?? new Dictionary<string, IEnumerable<string>>())
            _values[scope] = new HashSet<string>(list.Select(v => DecisionScope.TryNormalize(scope, v, out _, out var n, out _) ? n : v), StringComparer.Ordinal);
    }

    public static readonly AllowList Empty = new([], []);

    public bool IsEmpty => _cidrs.Length == 0 && _users.Count == 0 && _values.Count == 0;

    /// <summary>Both lists together.</summary>
    public AllowList Merge(AllowList other) =>
        other.IsEmpty ? this : IsEmpty ? other
        : new AllowList(_cidrs.Concat(other._cidrs), _users.Concat(other._users),
            _values.Keys.Concat(other._values.Keys).Distinct().ToDictionary(k => k,
                k => (IEnumerable<string>)[.. (_values.GetValueOrDefault(k) ?? []).Concat(other._values.GetValueOrDefault(k) ?? [])]));

    /// <summary>Whether a normalised scope and value is allowed (never penalised).</summary>
    public bool Allows(string scope, string value)
    {
        switch (scope)
        {
            case DecisionScope.Ip:
                return IPAddress.TryParse(value, out var ip) && _cidrs.Any(c => c.Contains(ip));
            case DecisionScope.Range:
                // a range that overlaps an allowed one would penalise allowed addresses too
                return IPNetwork.TryParse(value, out var net) && _cidrs.Any(c => Overlaps(c, net));
            case DecisionScope.User:
                return _users.Contains(value);
            default:
                return _values.TryGetValue(scope, out var set) && set.Contains(value);
        }
    }

    private static bool Overlaps(IPNetwork a, IPNetwork b) =>
        a.BaseAddress.AddressFamily == b.BaseAddress.AddressFamily && (a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress));

    /// <summary>Reads <c>{cidrs: [...], users: [...], values: {scope: [...]}}</c>.</summary>
    public static AllowList Read(ConfigNode node)
    {
        var cidrs = new List<IPNetwork>();
        foreach (var item in node.Get("cidrs")?.Items ?? [])
        {
            var text = item.AsString().Trim();
            if (IPNetwork.TryParse(text, out var net)) cidrs.Add(net);
            else if (IPAddress.TryParse(text, out var ip)) cidrs.Add(new IPNetwork(ip, ip.GetAddressBytes().Length * 8));
            else throw item.Error($"expected a CIDR range such as 10.0.0.0/8 or an address, got '{text}'");
        }
        var users = node.StringList("users") ?? [];
        var values = new Dictionary<string, IEnumerable<string>>(StringComparer.Ordinal);
        if (node.Get("values") is { IsNull: false } v)
            foreach (var (scope, list) in v.Entries) values[scope] = list.AsStringList();
        node.EnsureNoUnknownKeys("allow list");
        return new AllowList(cidrs, users, values);
    }
}
