using System.Net;
using System.Security.Cryptography.X509Certificates;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Web;

/// <summary>How <c>/blocked</c> may tie a visitor's address to a user name.</summary>
public enum VisitorLookup
{
    /// <summary>By address only.</summary>
    None,
    /// <summary>The user of the latest successful login from the address among recent events.</summary>
    RecentLogins,
}

/// <summary>
/// The <c>web:</c> section: <c>{listen: 127.0.0.1:8080, trusted_proxies: [10.0.0.0/8], tls: {certificate, key, password},
/// session: 8h, sign_in: {per_ip: 10, per_user: 5, window: 5m}, blocked: {user_lookup: none|recent_logins, contact}}</c>.
/// </summary>
public sealed record WebOptions
{
    public const string DefaultListen = "127.0.0.1:8080";

    public IPEndPoint Listen { get; init; } = IPEndPoint.Parse(DefaultListen);
    /// <summary>Proxies whose <c>X-Forwarded-For</c>/<c>X-Forwarded-Proto</c> are believed; nobody else's are.</summary>
    public IReadOnlyList<IPNetwork> TrustedProxies { get; init; } = [];
    /// <summary>Serve HTTPS with this certificate (cookies are then marked Secure).</summary>
    public X509Certificate2? Certificate { get; init; }
    /// <summary>How long a sign-in lasts without activity.</summary>
    public TimeSpan Session { get; init; } = TimeSpan.FromHours(8);
    /// <summary>Sign-in attempts allowed per client address per <see cref="SignInWindow"/>.</summary>
    public int SignInPerIp { get; init; } = 10;
    /// <summary>Sign-in attempts allowed per user name per <see cref="SignInWindow"/>.</summary>
    public int SignInPerUser { get; init; } = 5;
    public TimeSpan SignInWindow { get; init; } = TimeSpan.FromMinutes(5);
    public VisitorLookup UserLookup { get; init; } = VisitorLookup.None;
    /// <summary>Who to contact, shown on <c>/blocked</c> ("IT helpdesk, ext. 4242").</summary>
    public string? Contact { get; init; }

    /// <summary>Reads and validates the section.</summary>
    public static WebOptions Read(ConfigNode node)
    {
        if (!node.IsMapping) throw node.Error("web: expected a mapping such as {listen: 127.0.0.1:8080}");
        var proxies = new List<IPNetwork>();
        foreach (var p in node.Get("trusted_proxies")?.Items ?? [])
        {
            var text = p.AsString().Trim();
            if (IPNetwork.TryParse(text, out var net)) proxies.Add(net);
            else if (IPAddress.TryParse(text, out var ip)) proxies.Add(new IPNetwork(ip, ip.GetAddressBytes().Length * 8));
            else throw p.Error($"web.trusted_proxies: expected an address or CIDR range such as 10.0.0.0/8, got '{text}'");
        }
        var options = new WebOptions
        {
            Listen = node.Get("listen") is { IsNull: false } l ? ListenAddress.Parse(l) : IPEndPoint.Parse(DefaultListen),
            TrustedProxies = proxies,
            Certificate = node.Get("tls") is { IsNull: false } tls ? ServerCertificate.FromConfig(tls) : null,
            Session = node.DurationAt("session") ?? TimeSpan.FromHours(8),
        };
        if (node.Get("sign_in") is { IsNull: false } signIn)
        {
            options = options with
            {
                SignInPerIp = signIn.Int("per_ip", 1, 100_000) ?? options.SignInPerIp,
                SignInPerUser = signIn.Int("per_user", 1, 100_000) ?? options.SignInPerUser,
                SignInWindow = signIn.DurationAt("window") ?? options.SignInWindow,
            };
            signIn.EnsureNoUnknownKeys("web.sign_in");
        }
        if (node.Get("blocked") is { IsNull: false } blocked)
        {
            options = options with
            {
                UserLookup = blocked.Get("user_lookup") is { IsNull: false } u && u.AsEnum("none", "recent_logins") == "recent_logins"
                    ? VisitorLookup.RecentLogins : VisitorLookup.None,
                Contact = blocked.String("contact"),
            };
            blocked.EnsureNoUnknownKeys("web.blocked");
        }
        if (options.Session <= TimeSpan.Zero) throw node.Get("session")!.Error("web.session must be positive");
        return options;
    }

    /// <summary>The <c>web:</c> section reader for <see cref="ComponentRegistry.AddSection"/>.</summary>
    public static object ReadSection(ConfigNode node, ComponentContext context) => Read(node);

    /// <summary>Options with another address (<c>--listen</c>).</summary>
    public WebOptions WithListen(IPEndPoint listen) => this with { Listen = listen };
}
