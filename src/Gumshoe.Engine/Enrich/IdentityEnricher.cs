using System.Text.Json;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Pipeline;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Enrich;

/// <summary>
/// <c>identity:</c> gives every event one canonical user identity (<c>gumshoe.user</c>, normally an e-mail address), so
/// a person's logins to Google, Slack, GitHub, AWS and sshd land on one profile. It also fills <c>user.email</c> when the
/// event has none and the identity is an address, and adds the names seen to <c>related.user</c>.
/// </summary>
/// <remarks>
/// Precedence, first hit wins (all comparisons case-insensitive; the result is lower-cased):
/// <list type="number">
/// <item><c>user_map</c>: an explicit entry for the event's <c>user.email</c>, then <c>user.name</c>, then <c>user.id</c>;</item>
/// <item>the event's <c>user.email</c>;</item>
/// <item>the identities file: the provider's own id or login (<c>event.provider</c> + <c>user.name</c>/<c>user.id</c>:
/// <c>github_login</c>/<c>github_user_id</c> for github, <c>aws_iam_user</c> for aws, <c>slack_user_id</c>,
/// <c>okta_user_id</c>, <c>entra_object_id</c> for azure_ad, <c>google_profile_id</c> for google_workspace), then any
/// of those values, the person's key or an entry of their <c>aliases</c> regardless of provider, when it names only one person;</item>
/// <item><c>user.name</c> when it is an address;</item>
/// <item><c>user.name</c> with <c>@user_domain</c> appended (a name with spaces, a display name, gets no domain).</item>
/// </list>
/// A <c>user_map</c> value without <c>@</c> also gets <c>user_domain</c>, as in the seed. Events with no user are left alone.
/// The identities file is read again when it changes; a broken file keeps the previous mapping and is counted.
/// </remarks>
public sealed class IdentityEnricher : IEnricher
{
    // provider (event.provider) → the identities-file keys that hold that provider's login or id
    private static readonly Dictionary<string, string[]> ProviderKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["github"] = ["github_login", "github_user_id"],
        ["aws"] = ["aws_iam_user"],
        ["slack"] = ["slack_user_id"],
        ["okta"] = ["okta_user_id"],
        ["azure_ad"] = ["entra_object_id"],
        ["google_workspace"] = ["google_profile_id"],
    };

    private readonly string? _domain;
    private readonly Dictionary<string, string> _userMap;
    private readonly string? _identitiesPath;
    private readonly string _target;
    private readonly bool _setEmail;
    private readonly BoundedCache<(string?, string?, string?, string?), Resolved> _cache;
    private readonly Func<long> _clock;
    private long _nextCheck;
    private (DateTime, long) _stamp;
    private IdentityTable _table = IdentityTable.Empty;
    private readonly EnricherCounters _counters = new("identity");
    private Counter _mapped = null!, _fromEmail = null!, _fromFile = null!, _fromName = null!, _withDomain = null!, _bare = null!, _noUser = null!, _fileError = null!;
    private ILogger _logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public string Name => "identity";

    public IdentityEnricher(string? userDomain = null, IReadOnlyDictionary<string, string>? userMap = null, string? identitiesFile = null,
        string target = "gumshoe.user", bool setEmail = true, int cacheSize = 100_000, Func<long>? clock = null)
    {
        _domain = string.IsNullOrWhiteSpace(userDomain) ? null : userDomain.Trim().TrimStart('@').ToLowerInvariant();
        _userMap = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in userMap ?? new Dictionary<string, string>()) _userMap[k.Trim()] = v.Trim();
        _identitiesPath = identitiesFile;
        _target = target;
        _setEmail = setEmail;
        _cache = new BoundedCache<(string?, string?, string?, string?), Resolved>(cacheSize);
        _clock = clock ?? (static () => Environment.TickCount64);
        BindCounters();
        if (identitiesFile is not null)
        {
            _stamp = Stamp(identitiesFile);
            _table = IdentityTable.Read(identitiesFile);   // a broken file at start is a configuration error
            _nextCheck = _clock() + CheckEveryMs;
        }
    }

    private const long CheckEveryMs = 5000;

    /// <summary>Reads <c>identity: {user_domain, user_map, identities_file, target, set_email, cache_size}</c>.</summary>
    public static IEnricher Create(ConfigNode node, ComponentContext context)
    {
        var domain = node.String("user_domain");
        if (domain is not null && (domain.Contains('@') && !domain.StartsWith('@') || domain.Any(char.IsWhiteSpace)))
            throw node.Required("user_domain").Error($"user_domain should be a domain like example.com, got '{domain}'");
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (node.Get("user_map") is { IsNull: false } m)
        {
            foreach (var (k, v) in m.Entries)
            {
                if (!map.TryAdd(k.Trim(), v.AsString())) throw v.Error($"user_map has '{k}' twice (keys are case-insensitive)");
            }
        }
        string? file = null;
        var fileNode = node.Get("identities_file");
        if (fileNode is { IsNull: false }) file = fileNode.AsPath();
        var target = node.String("target") ?? "gumshoe.user";
        var setEmail = node.Bool("set_email") ?? true;
        var cacheSize = node.Int("cache_size", 1, 10_000_000) ?? 100_000;
        try { return new IdentityEnricher(domain, map, file, target, setEmail, cacheSize); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            throw fileNode!.Error(ex.Message);
        }
    }

    public void Attach(MetricsRegistry metrics, ILogger logger)
    {
        _counters.Attach(metrics);
        _logger = logger;
        BindCounters();
    }

    private void BindCounters()
    {
        _mapped = _counters.Outcome("user_map");
        _fromEmail = _counters.Outcome("email");
        _fromFile = _counters.Outcome("identities_file");
        _fromName = _counters.Outcome("name_is_address");
        _withDomain = _counters.Outcome("user_domain");
        _bare = _counters.Outcome("bare_name");
        _noUser = _counters.Outcome("no_user");
        _fileError = _counters.Error("identities_file_invalid");
    }

    public void Enrich(Event e)
    {
        if (_identitiesPath is not null && _clock() >= _nextCheck) ReloadIfChanged();
        var email = Clean(e.GetString(Ecs.UserEmail));
        var name = Clean(e.GetString(Ecs.UserName));
        var id = Clean(e.GetString("user.id"));
        if (email is null && name is null && id is null) { _noUser.Add(); return; }
        var provider = e.GetString(Ecs.EventProvider);
        var key = (email, name, id, provider);
        if (!_cache.TryGet(key, out var r))
        {
            r = Resolve(email, name, id, provider);
            _cache.Set(key, r);
        }
        if (r.Canonical.IsNull) { _noUser.Add(); return; }
        r.Source.Add();
        e.Set(_target, r.Canonical);
        if (_setEmail && email is null && !r.Email.IsNull) e.Set(Ecs.UserEmail, r.Email);
        if (!e.TryGet("related.user", out var existing) || existing.IsNull) e.Set("related.user", r.Related);
        else if (!ContainsAll(existing, r.Related)) e.Set("related.user", Merge(existing, r.Related));
    }

    private static string? Clean(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static bool ContainsAll(FieldValue existing, FieldValue add)
    {
        if (existing.Kind != FieldKind.Array) return false;
        var have = existing.AsArray();
        foreach (var v in add.AsArray())
        {
            var found = false;
            for (var i = 0; i < have.Count && !found; i++) found = string.Equals(have[i].AsString(), v.AsString(), StringComparison.OrdinalIgnoreCase);
            if (!found) return false;
        }
        return true;
    }

    private static FieldValue Merge(FieldValue existing, FieldValue add)
    {
        var items = existing.Kind == FieldKind.Array ? existing.AsArray().ToList() : [existing];
        foreach (var v in add.AsArray())
            if (!items.Any(x => string.Equals(x.AsString(), v.AsString(), StringComparison.OrdinalIgnoreCase))) items.Add(v);
        return FieldValue.Array(items);
    }

    /// <summary>The canonical identity for these user fields (null when there is none), by the documented precedence.</summary>
    public string? Canonicalize(string? email, string? name, string? id = null, string? provider = null) =>
        Resolve(Clean(email), Clean(name), Clean(id), provider).Canonical is { IsNull: false } c ? c.AsString() : null;

    private Resolved Resolve(string? email, string? name, string? id, string? provider)
    {
        string? canonical = null;
        Counter source = _bare;
        foreach (var candidate in new[] { email, name, id })
        {
            if (candidate is not null && _userMap.TryGetValue(candidate, out var mapped)) { canonical = WithDomain(mapped); source = _mapped; break; }
        }
        if (canonical is null && email is not null && email.Contains('@')) { canonical = email; source = _fromEmail; }
        if (canonical is null && _table.Find(provider, name, id) is { } fromFile) { canonical = fromFile; source = _fromFile; }
        if (canonical is null && name is not null)
        {
            if (name.Contains('@')) { canonical = name; source = _fromName; }
            else if (_domain is not null && !name.Any(char.IsWhiteSpace)) { canonical = name + "@" + _domain; source = _withDomain; }
            else { canonical = name; source = _bare; }
        }
        if (canonical is null && email is not null) { canonical = email; source = _fromEmail; }
        if (canonical is null) return new Resolved(FieldValue.Null, FieldValue.Null, FieldValue.Null, _noUser);
        canonical = canonical.ToLowerInvariant();
        var related = new List<FieldValue> { FieldValue.String(canonical) };
        foreach (var s in new[] { email, name })
            if (s is not null && !related.Any(x => string.Equals(x.AsString(), s, StringComparison.OrdinalIgnoreCase))) related.Add(FieldValue.String(s));
        return new Resolved(FieldValue.String(canonical), canonical.Contains('@') ? FieldValue.String(canonical) : FieldValue.Null, FieldValue.Array(related), source);
    }

    private string WithDomain(string value) => value.Contains('@') || _domain is null || value.Any(char.IsWhiteSpace) ? value : value + "@" + _domain;

    private void ReloadIfChanged()
    {
        _nextCheck = _clock() + CheckEveryMs;
        try
        {
            var stamp = Stamp(_identitiesPath!);
            if (stamp == _stamp) return;
            _table = IdentityTable.Read(_identitiesPath!);
            _stamp = stamp;
            _cache.Clear();
            _logger.LogInformation("identity: reloaded {Path} ({Count} people)", _identitiesPath, _table.People);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            _fileError.Add();
            _logger.LogWarning("identity: keeping the previous identities, cannot read {Path}: {Error}", _identitiesPath, ex.Message);
        }
    }

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : default;
    }

    private sealed record Resolved(FieldValue Canonical, FieldValue Email, FieldValue Related, Counter Source);

    /// <summary>The identities file, indexed: per provider, and across providers for values naming one person.</summary>
    private sealed class IdentityTable
    {
        public static readonly IdentityTable Empty = new(new(StringComparer.OrdinalIgnoreCase), new(StringComparer.OrdinalIgnoreCase), 0);

        private readonly Dictionary<string, Dictionary<string, string>> _byProvider;
        private readonly Dictionary<string, string?> _any;   // null value = names more than one person

        private IdentityTable(Dictionary<string, Dictionary<string, string>> byProvider, Dictionary<string, string?> any, int people)
        {
            _byProvider = byProvider;
            _any = any;
            People = people;
        }

        public int People { get; }

        public string? Find(string? provider, string? name, string? id)
        {
            if (provider is not null && _byProvider.TryGetValue(provider, out var scoped))
            {
                if (name is not null && scoped.TryGetValue(name, out var e1)) return e1;
                if (id is not null && scoped.TryGetValue(id, out var e2)) return e2;
            }
            if (name is not null && _any.TryGetValue(name, out var e3) && e3 is not null) return e3;
            if (id is not null && _any.TryGetValue(id, out var e4) && e4 is not null) return e4;
            return null;
        }

        /// <summary>Reads <c>{"alice": {"email": …, "github_login": …, "aws_iam_user": …, "aliases": […]}, …}</c>.</summary>
        public static IdentityTable Read(string path)
        {
            JsonDocument doc;
            try { doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
            catch (JsonException ex) { throw new FormatException($"{path}: invalid JSON at line {ex.LineNumber + 1}: {ex.Message}"); }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new FormatException($"{path}: expected an object of people by key");
                var byProvider = new Dictionary<string, Dictionary<string, string>>(StringComparer.OrdinalIgnoreCase);
                var any = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
                var people = 0;
                void AddAny(string value, string email)
                {
                    if (!any.TryGetValue(value, out var prev)) any[value] = email;
                    else if (prev is not null && !string.Equals(prev, email, StringComparison.Ordinal)) any[value] = null;
                }
                foreach (var person in doc.RootElement.EnumerateObject())
                {
                    if (person.Value.ValueKind != JsonValueKind.Object) throw new FormatException($"{path}: '{person.Name}' should be an object with an email");
                    if (!person.Value.TryGetProperty("email", out var emailEl) || emailEl.ValueKind != JsonValueKind.String || !(emailEl.GetString() ?? "").Contains('@'))
                        throw new FormatException($"{path}: '{person.Name}' has no email address");
                    var email = emailEl.GetString()!.Trim().ToLowerInvariant();
                    people++;
                    AddAny(person.Name, email);
                    AddAny(email, email);
                    foreach (var (provider, keys) in ProviderKeys)
                    {
                        foreach (var key in keys)
                        {
                            if (!person.Value.TryGetProperty(key, out var v)) continue;
                            var text = v.ValueKind switch { JsonValueKind.String => v.GetString(), JsonValueKind.Number => v.GetRawText(), _ => null };
                            if (string.IsNullOrWhiteSpace(text)) continue;
                            text = text.Trim();
                            if (!byProvider.TryGetValue(provider, out var scoped)) byProvider[provider] = scoped = new(StringComparer.OrdinalIgnoreCase);
                            scoped[text] = email;
                            AddAny(text, email);
                        }
                    }
                    if (person.Value.TryGetProperty("aliases", out var aliases) && aliases.ValueKind == JsonValueKind.Array)
                        foreach (var a in aliases.EnumerateArray())
                            if (a.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(a.GetString())) AddAny(a.GetString()!.Trim(), email);
                }
                return new IdentityTable(byProvider, any, people);
            }
        }
    }
}
