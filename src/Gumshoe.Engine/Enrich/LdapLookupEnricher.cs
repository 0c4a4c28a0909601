using System.DirectoryServices.Protocols;
using System.Net;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Enrich;

/// <summary>How an LDAP attribute becomes a field.</summary>
/// <param name="Field">The event field to set.</param>
/// <param name="Rdn">For DN values (<c>manager</c>, <c>memberOf</c>, <c>owner</c>): keep only the first RDN's value
/// (<c>uid=carol,ou=people,…</c> → <c>carol</c>).</param>
/// <param name="List">Always a list, also with one value (groups); otherwise a list only when there are several.</param>
public sealed record LdapAttributeMapping(string Field, bool Rdn = false, bool List = false);

/// <summary>
/// <c>ldap_lookup:</c> searches a directory (System.DirectoryServices.Protocols, LDAPv3 simple bind) with a filter
/// built from event fields, escaped per RFC 4515, and copies the one matching entry's attributes into fields: a user's
/// department, manager and groups by <c>(uid={user.name})</c>, or the owner of an address from a device registration
/// database by <c>(ipHostNumber={source.ip})</c> or <c>(macAddress={source.mac})</c>. A filter matching more than one
/// entry enriches nothing (counted as <c>ambiguous</c>). Several lookups: give a list.
/// </summary>
/// <example>
/// <code>
/// enrich:
///   ldap_lookup:
///     name: people
///     url: ldaps://ldap.example.org     # ldap:// or ldaps://, port optional
///     bind_dn: cn=gumshoe,ou=services,dc=example,dc=org
///     password: ${file:/run/secrets/ldap}   # or ${LDAP_PASSWORD}
///     base: ou=people,dc=example,dc=org
///     filter: (&amp;(objectClass=inetOrgPerson)(uid={user.name}))
///     attributes:
///       departmentNumber: user.department
///       manager: {field: user.manager, value: rdn}
///       memberOf: {field: user.groups, value: rdn, list: true}
/// </code>
/// </example>
public sealed class LdapLookupEnricher : LookupEnricher
{
    private readonly string _host;
    private readonly int _port;
    private readonly bool _ssl, _startTls;
    private readonly string? _bindDn, _password;
    private readonly string _base;
    private readonly SearchScope _scope;
    private readonly LdapFilterTemplate _filter;
    private readonly Dictionary<string, LdapAttributeMapping> _attributes;
    private readonly string[] _attributeNames;
    private LdapConnection? _connection;

    public LdapLookupEnricher(string name, Uri url, string? bindDn, string? password, string searchBase, string filter,
        IReadOnlyDictionary<string, LdapAttributeMapping> attributes, SearchScope scope = SearchScope.Subtree, bool startTls = false,
        LookupOptions? options = null, Func<long>? clock = null)
        : this(name, url, bindDn, password, searchBase, LdapFilterTemplate.Parse(filter), attributes, scope, startTls, options, clock) { }

    private LdapLookupEnricher(string name, Uri url, string? bindDn, string? password, string searchBase, LdapFilterTemplate filter,
        IReadOnlyDictionary<string, LdapAttributeMapping> attributes, SearchScope scope, bool startTls, LookupOptions? options, Func<long>? clock)
        : base("ldap_lookup", name, filter.Fields, options ?? new LookupOptions(), clock)
    {
        if (url.Scheme is not ("ldap" or "ldaps")) throw new ArgumentException($"url should start with ldap:// or ldaps://, got '{url.Scheme}://'");
        if (attributes.Count == 0) throw new ArgumentException("attributes: name at least one attribute and the field it goes to");
        _ssl = url.Scheme == "ldaps";
        _host = url.Host;
        _port = url.IsDefaultPort || url.Port <= 0 ? (_ssl ? 636 : 389) : url.Port;
        _startTls = startTls;
        _bindDn = bindDn;
        _password = password;
        _base = searchBase;
        _scope = scope;
        _filter = filter;
        _attributes = new Dictionary<string, LdapAttributeMapping>(attributes, StringComparer.OrdinalIgnoreCase);
        _attributeNames = _attributes.Keys.Where(k => !k.Equals("dn", StringComparison.OrdinalIgnoreCase)).ToArray();
        if (_attributeNames.Length == 0) _attributeNames = ["1.1"];   // RFC 4511: no attributes, only the DN
    }

    /// <summary>Reads one <c>ldap_lookup</c> mapping, or a list of them (run in order).</summary>
    public static IEnricher Create(ConfigNode node, ComponentContext context)
    {
        if (!node.IsSequence) return CreateOne(node, "ldap_lookup");
        var lookups = new List<IEnricher>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in node.Items)
        {
            var lookup = (LdapLookupEnricher)CreateOne(item, null);
            if (!names.Add(lookup.LookupName)) throw item.Error($"two ldap_lookup entries are named '{lookup.LookupName}'");
            item.EnsureNoUnknownKeys("ldap_lookup");
            lookups.Add(lookup);
        }
        return new EnricherSequence("ldap_lookup", lookups);
    }

    private static IEnricher CreateOne(ConfigNode node, string? defaultName)
    {
        var name = node.String("name") ?? defaultName ?? throw node.Error("each ldap_lookup in a list needs a name");
        var urlNode = node.Required("url");
        if (!Uri.TryCreate(urlNode.AsString(), UriKind.Absolute, out var url) || url.Scheme is not ("ldap" or "ldaps"))
            throw urlNode.Error("url should look like ldap://host:389 or ldaps://host:636");
        var bindDn = node.String("bind_dn");
        var password = node.String("password");
        if (bindDn is not null && password is null) throw node.Error("bind_dn needs a password (password: ${LDAP_PASSWORD} or ${file:PATH})");
        var searchBase = node.Required("base").AsString();
        var scope = node.Get("scope") is { IsNull: false } s
            ? s.AsEnum("sub", "one", "base") switch { "one" => SearchScope.OneLevel, "base" => SearchScope.Base, _ => SearchScope.Subtree }
            : SearchScope.Subtree;
        var filterNode = node.Required("filter");
        LdapFilterTemplate filter;
        try { filter = LdapFilterTemplate.Parse(filterNode.AsString()); }
        catch (FormatException ex) { throw filterNode.Error(ex.Message); }
        var attributes = new Dictionary<string, LdapAttributeMapping>(StringComparer.OrdinalIgnoreCase);
        var attrsNode = node.Required("attributes");
        foreach (var (attr, target) in attrsNode.Entries)
        {
            if (target.IsMapping)
            {
                var mapping = new LdapAttributeMapping(
                    target.Required("field").AsString(),
                    target.Get("value") is { IsNull: false } v && v.AsEnum("raw", "rdn") == "rdn",
                    target.Bool("list") ?? false);
                target.EnsureNoUnknownKeys($"ldap_lookup attribute '{attr}'");
                attributes[attr] = mapping;
            }
            else attributes[attr] = new LdapAttributeMapping(target.AsString());
        }
        if (attributes.Count == 0) throw attrsNode.Error("name at least one attribute and the field it goes to");
        var startTls = node.Bool("start_tls") ?? false;
        var options = LookupOptions.Read(node);
        return new LdapLookupEnricher(name, url, bindDn, password, searchBase, filter, attributes, scope, startTls, options, null);
    }

    private LdapConnection Connect()
    {
        var identifier = new LdapDirectoryIdentifier(_host, _port, fullyQualifiedDnsHostName: false, connectionless: false);
        var connection = _bindDn is null
            ? new LdapConnection(identifier) { AuthType = AuthType.Anonymous }
            : new LdapConnection(identifier, new NetworkCredential(_bindDn, _password), AuthType.Basic);
        try
        {
            connection.Timeout = Options.Timeout;
            connection.AutoBind = false;
            connection.SessionOptions.ProtocolVersion = 3;
            connection.SessionOptions.ReferralChasing = ReferralChasingOptions.None;
            if (_ssl) connection.SessionOptions.SecureSocketLayer = true;
            if (_startTls) connection.SessionOptions.StartTransportLayerSecurity(null);
            connection.Bind();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    protected override LookupField[] Query(FieldValue[] keyValues)
    {
        var filter = _filter.Render(keyValues.Select(v => v.AsString()).ToArray());
        var connected = _connection is not null;
        try
        {
            _connection ??= Connect();
            var request = new SearchRequest(_base, filter, _scope, _attributeNames) { SizeLimit = 2, TimeLimit = Options.Timeout };
            SearchResponse response;
            try { response = (SearchResponse)_connection.SendRequest(request, Options.Timeout); }
            catch (DirectoryOperationException ex) when (ex.Response?.ResultCode == ResultCode.NoSuchObject) { return []; }
            catch (DirectoryOperationException ex) when (ex.Response?.ResultCode == ResultCode.SizeLimitExceeded)
            {
                Counters.Outcome("ambiguous").Add();
                return [];
            }
            if (response.Entries.Count > 1)
            {
                Counters.Outcome("ambiguous").Add();
                return [];
            }
            return response.Entries.Count == 0 ? [] : Read(response.Entries[0]);
        }
        catch (Exception ex) when (ex is LdapException or DirectoryOperationException or DirectoryException or TimeoutException or InvalidOperationException)
        {
            _connection?.Dispose();
            _connection = null;
            var reason = ex switch
            {
                TimeoutException => "timeout",
                LdapException { ErrorCode: 85 } => "timeout",                       // LDAP_TIMEOUT
                LdapException { ErrorCode: 49 } => "bind_failed",                   // invalid credentials
                LdapException { ErrorCode: 81 or 91 } => "server_down",             // LDAP_SERVER_DOWN, LDAP_CONNECT_ERROR
                LdapException when !connected => "server_down",
                _ => "query_error",
            };
            throw new LookupFailedException(reason, $"ldap {_host}:{_port}: {ex.Message}", ex);
        }
    }

    private LookupField[] Read(SearchResultEntry entry)
    {
        var fields = new List<LookupField>();
        foreach (var (attr, mapping) in _attributes)
        {
            List<string> values = [];
            if (attr.Equals("dn", StringComparison.OrdinalIgnoreCase)) values.Add(entry.DistinguishedName);
            else
            {
                foreach (string returned in entry.Attributes.AttributeNames)
                {
                    if (!returned.Equals(attr, StringComparison.OrdinalIgnoreCase)) continue;
                    foreach (var v in entry.Attributes[returned].GetValues(typeof(string))) values.Add((string)v);
                }
            }
            if (mapping.Rdn) values = values.Select(FirstRdnValue).ToList();
            values.RemoveAll(string.IsNullOrEmpty);
            if (values.Count == 0) continue;
            var value = values.Count == 1 && !mapping.List
                ? FieldValue.String(values[0])
                : FieldValue.Array(values.Select(FieldValue.String).ToArray());
            fields.Add(new LookupField(mapping.Field, value));
        }
        return fields.ToArray();
    }

    /// <summary>The value of a DN's first RDN (<c>uid=carol,ou=people,dc=example</c> → <c>carol</c>), unescaped.</summary>
    public static string FirstRdnValue(string dn)
    {
        var eq = dn.IndexOf('=');
        if (eq < 0) return dn;
        var sb = new System.Text.StringBuilder();
        for (var i = eq + 1; i < dn.Length; i++)
        {
            var c = dn[i];
            if (c == '\\' && i + 1 < dn.Length)
            {
                // RFC 4514: \, \+ … or \XX hex
                if (i + 2 < dn.Length && Uri.IsHexDigit(dn[i + 1]) && Uri.IsHexDigit(dn[i + 2]))
                {
                    sb.Append((char)Convert.ToInt32(dn.Substring(i + 1, 2), 16));
                    i += 2;
                }
                else sb.Append(dn[++i]);
                continue;
            }
            if (c is ',' or '+') break;
            sb.Append(c);
        }
        return sb.ToString().Trim();
    }

    public override void Dispose()
    {
        _connection?.Dispose();
        _connection = null;
        base.Dispose();
    }
}
