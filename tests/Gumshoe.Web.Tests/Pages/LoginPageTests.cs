using System.Net;

namespace Gumshoe.Web.Tests.Pages;

public sealed class LoginPageTests
{
    [Fact]
    public async Task A_wrong_password_is_refused_and_audited()
    {
        await using var server = await StartAsync(o => o);
        var client = server.Anonymous();
        var response = await WebTestServer.PostFormAsync(client, "/login", "/login", new() { ["username"] = "viewer", ["password"] = "not the password at all" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Wrong user name or password", await response.Content.ReadAsStringAsync());
        Assert.Contains(await server.Store.Audit.ListAsync(actor: "web:viewer"), e => e.Action == "sign_in_failed");
    }

    [Fact]
    public async Task A_successful_sign_in_is_audited_and_returns_to_the_page_asked_for()
    {
        await using var server = await StartAsync(o => o);
        var client = server.Anonymous();
        var response = await WebTestServer.PostFormAsync(client, "/login", "/login", new() { ["username"] = "viewer", ["password"] = WebTestServer.Password, ["returnUrl"] = "/audit" });
        Assert.Equal("/audit", response.Headers.Location!.OriginalString);
        Assert.Contains(await server.Store.Audit.ListAsync(actor: "web:viewer"), e => e.Action == "sign_in");
    }

    [Theory]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("https://evil.example/")]
    public async Task The_return_address_never_leaves_the_site(string returnUrl)
    {
        await using var server = await StartAsync(o => o);
        var client = server.Anonymous();
        var response = await WebTestServer.PostFormAsync(client, "/login", "/login", new() { ["username"] = "viewer", ["password"] = WebTestServer.Password, ["returnUrl"] = returnUrl });
        Assert.Equal("/", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Attempts_on_one_user_name_are_limited()
    {
        await using var server = await StartAsync(o => o with { SignInPerUser = 3 });
        var client = server.Anonymous();
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
            codes.Add((await WebTestServer.PostFormAsync(client, "/login", "/login", new() { ["username"] = "admin", ["password"] = "guess number " + i })).StatusCode);
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], codes);
        // even the right password waits until the window has passed
        var right = await WebTestServer.PostFormAsync(client, "/login", "/login", new() { ["username"] = "admin", ["password"] = WebTestServer.Password });
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
    }

    [Fact]
    public async Task Attempts_from_one_address_are_limited()
    {
        await using var server = await StartAsync(o => o with { SignInPerIp = 2 });
        var client = server.Anonymous();
        var codes = new List<HttpStatusCode>();
        foreach (var user in new[] { "a-user", "b-user", "c-user" })
            codes.Add((await WebTestServer.PostFormAsync(client, "/login", "/login", new() { ["username"] = user, ["password"] = "whatever it is" })).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, codes[^1]);
    }

    private static async Task<OwnedServer> StartAsync(Func<WebOptions, WebOptions> configure)
    {
        var server = WebTestServer.With(o => configure(o with { SignInPerIp = 1000, SignInPerUser = 1000 }));
        await server.InitializeAsync();
        return new OwnedServer(server);
    }
}

/// <summary>A test server owned by one test (its own limits), disposed with it.</summary>
internal sealed class OwnedServer(WebTestServer server) : IAsyncDisposable
{
    public Engine.Storage.GumshoeStore Store => server.Store;
    public HttpClient Anonymous() => server.Anonymous();
    public Task<HttpClient> SignedInAsync(string user) => server.SignedInAsync(user);
    public WebTestServer Server => server;
    public ValueTask DisposeAsync() => new(server.DisposeAsync());
}
