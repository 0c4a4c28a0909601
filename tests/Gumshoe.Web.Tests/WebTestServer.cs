using System.Net;
using System.Text.RegularExpressions;
using Gumshoe.Engine.Decisions;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Storage;
using Gumshoe.Web;
using Gumshoe.Web.Activity;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Web.Tests;

/// <summary>
/// A real Gumshoe web server on 127.0.0.1 (a free port) over a fresh SQLite store, with one user per role and an
/// API token each; clients sign in through the real login form.
/// </summary>
public sealed partial class WebTestServer : IAsyncLifetime
{
    public const string Password = "correct horse battery staple";

    private readonly Func<WebOptions, WebOptions> _configure;

    public WebTestServer() => _configure = o => o;

    /// <summary>A server with other options (for a test that owns it).</summary>
    public static WebTestServer With(Func<WebOptions, WebOptions> configure) => new(configure);

    private WebTestServer(Func<WebOptions, WebOptions> configure) => _configure = configure;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "gumshoe-web-" + Guid.NewGuid().ToString("N"));
    public GumshoeStore Store { get; private set; } = null!;
    public LiveActivity Activity { get; } = new();
    public MetricsRegistry Metrics { get; } = new();
    public LoginHistory Logins { get; } = new();
    public GumshoeWebApp App { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public Dictionary<string, string> Tokens { get; } = [];
    public List<Gumshoe.Web.Activity.RuleInfo> Rules { get; } = [new("ssh-bruteforce", "threshold", "Many failed SSH logins from one address.", "event.action == \"ssh_auth_failed\"", "source.ip", 5, "60s")];

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        Store = await GumshoeStore.OpenAsync(StorageOptions.Default, DataDirectory);
        foreach (var (name, role) in new[] { ("admin", UserRole.Admin), ("helpdesk", UserRole.Helpdesk), ("viewer", UserRole.Viewer) })
        {
            Assert.True(await Store.Users.AddAsync(name, role, Password));
            Tokens[name] = (await Store.Users.CreateTokenAsync(name, "tests"))!.Value.Token;
        }
        var options = _configure(new WebOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            SignInPerIp = 1000,
            SignInPerUser = 1000,
            TrustedProxies = [new IPNetwork(IPAddress.Loopback, 32)],
        });
        App = GumshoeWebApp.Create(options, new RunView(Store, Metrics, Activity, Rules, Logins), DataDirectory, NullLoggerFactory.Instance);
        await App.StartAsync();
        BaseAddress = App.Address!;
    }

    public async Task DisposeAsync()
    {
        await App.StopAsync(TimeSpan.FromSeconds(1));
        await App.DisposeAsync();
        await Store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }

    /// <summary>A client that does not follow redirects and keeps cookies.</summary>
    public HttpClient Anonymous() =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true }) { BaseAddress = BaseAddress };

    /// <summary>A client signed in through the login form.</summary>
    public async Task<HttpClient> SignedInAsync(string user)
    {
        var client = Anonymous();
        var response = await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_csrf"] = await CsrfTokenAsync(client, "/login"), ["username"] = user, ["password"] = Password, ["returnUrl"] = "/",
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    /// <summary>A client sending <c>Authorization: Bearer</c> with the user's token.</summary>
    public HttpClient Bearer(string user)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Tokens[user]);
        return client;
    }

    /// <summary>The antiforgery token of the first form on a page.</summary>
    public static async Task<string> CsrfTokenAsync(HttpClient client, string page)
    {
        var html = await client.GetStringAsync(page);
        var m = CsrfField().Match(html);
        Assert.True(m.Success, $"no antiforgery field on {page}");
        return WebUtility.HtmlDecode(m.Groups[1].Value);
    }

    /// <summary>Posts a form with the page's antiforgery token.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string page, string action, Dictionary<string, string> fields)
    {
        fields["_csrf"] = await CsrfTokenAsync(client, page);
        return await client.PostAsync(action, new FormUrlEncodedContent(fields));
    }

    /// <summary>Puts an entity in the penalty box as a rule would.</summary>
    public async Task<Decision> PenaliseAsync(string scope, string value, string rule = "ssh-bruteforce", string reason = "brute force", int selfRelease = 0,
        string? explain = null, string? remediation = null, int priority = 0)
    {
        var outcome = await Store.Decisions.ApplyAsync(new DecisionRequest
        {
            Scope = scope, Value = value, Reason = reason, Rule = rule, Window = Guid.NewGuid().ToString("N"), SelfReleaseMax = selfRelease,
            Explain = explain, Remediation = remediation, Priority = priority, Steps = [TimeSpan.FromHours(1)],
        }, "rule:" + rule);
        return outcome.Decision!;
    }

    [GeneratedRegex("name=\"_csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();
}
