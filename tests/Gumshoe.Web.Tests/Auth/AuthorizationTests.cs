using System.Net;
using System.Text;

namespace Gumshoe.Web.Tests.Auth;

public sealed class AuthorizationTests(WebTestServer server) : IClassFixture<WebTestServer>
{
    public static readonly TheoryData<string> Pages = new() { "/", "/alerts", "/alerts/abc", "/decisions", "/entities/ip/203.0.113.45", "/entities/user/alice", "/rules", "/audit", "/metrics" };

    public static readonly TheoryData<string> FormPosts = new() { "/decisions", "/decisions/d-1/release", "/decisions/d-1/extend", "/logout" };

    public static readonly TheoryData<string, string> ApiRoutes = new()
    {
        { "GET", "/api/alerts" }, { "GET", "/api/alerts/abc" }, { "GET", "/api/decisions" }, { "GET", "/api/decisions/d-1" }, { "GET", "/api/audit" },
        { "POST", "/api/decisions" }, { "POST", "/api/decisions/d-1/release" }, { "POST", "/api/decisions/d-1/extend" },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task An_anonymous_visitor_is_sent_to_the_login_page(string page)
    {
        var response = await server.Anonymous().GetAsync(page);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery);
    }

    [Theory]
    [MemberData(nameof(FormPosts))]
    public async Task An_anonymous_form_post_is_sent_to_the_login_page(string action)
    {
        var response = await server.Anonymous().PostAsync(action, new FormUrlEncodedContent(new Dictionary<string, string> { ["reason"] = "x" }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery);
    }

    [Theory]
    [MemberData(nameof(ApiRoutes))]
    public async Task An_anonymous_api_call_gets_401(string method, string route)
    {
        var response = await server.Anonymous().SendAsync(new HttpRequestMessage(new HttpMethod(method), route) { Content = Json("{}") });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(ApiRoutes))]
    public async Task An_unknown_bearer_token_gets_401(string method, string route)
    {
        var client = server.Anonymous();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "gst_0000_not-a-token");
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), route) { Content = Json("{}") });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_session_cookie_does_not_open_the_api()
    {
        var client = await server.SignedInAsync("admin");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/decisions")).StatusCode);
    }

    [Theory]
    [InlineData("/login")]
    [InlineData("/blocked")]
    [InlineData("/healthz")]
    [InlineData("/static/app.css")]
    [InlineData("/static/vendor/chartjs/chart.umd.min.js")]
    public async Task Public_routes_answer_anonymous_visitors(string route) =>
        Assert.Equal(HttpStatusCode.OK, (await server.Anonymous().GetAsync(route)).StatusCode);

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task A_viewer_may_read_every_page(string page)
    {
        var client = await server.SignedInAsync("viewer");
        var response = await client.GetAsync(page);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{page}: {response.StatusCode}");
    }

    [Fact]
    public async Task A_viewer_may_not_release_extend_or_add_from_the_web()
    {
        var d = await server.PenaliseAsync("ip", "192.0.2.200");
        var client = await server.SignedInAsync("viewer");
        foreach (var (action, fields) in new[]
        {
            ($"/decisions/{d.Id}/release", new Dictionary<string, string> { ["reason"] = "fixed" }),
            ($"/decisions/{d.Id}/extend", new Dictionary<string, string> { ["duration"] = "1h" }),
            ("/decisions", new Dictionary<string, string> { ["scope"] = "ip", ["value"] = "192.0.2.201", ["reason"] = "x" }),
        })
        {
            var response = await WebTestServer.PostFormAsync(client, "/decisions", action, fields);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        Assert.Equal(Engine.Decisions.DecisionState.Active, (await server.Store.Decisions.GetAsync(d.Id))!.State);
    }

    [Fact]
    public async Task A_helpdesk_user_may_release_but_not_add()
    {
        var d = await server.PenaliseAsync("ip", "192.0.2.202");
        var client = await server.SignedInAsync("helpdesk");
        var add = await WebTestServer.PostFormAsync(client, "/decisions", "/decisions", new() { ["scope"] = "ip", ["value"] = "192.0.2.203", ["reason"] = "x" });
        Assert.Equal(HttpStatusCode.Forbidden, add.StatusCode);
        var release = await WebTestServer.PostFormAsync(client, "/decisions", $"/decisions/{d.Id}/release", new() { ["reason"] = "password reset done" });
        Assert.Equal(HttpStatusCode.Redirect, release.StatusCode);
        var after = await server.Store.Decisions.GetAsync(d.Id);
        Assert.Equal(Engine.Decisions.DecisionState.Released, after!.State);
        Assert.Equal("web:helpdesk", after.EndedBy);
    }

    [Fact]
    public async Task Api_roles_are_enforced_per_route()
    {
        var d = await server.PenaliseAsync("ip", "192.0.2.204");
        var add = Json("{\"scope\":\"ip\",\"value\":\"192.0.2.205\",\"reason\":\"manual\",\"duration\":\"1h\"}");
        Assert.Equal(HttpStatusCode.OK, (await server.Bearer("viewer").GetAsync("/api/decisions")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Bearer("viewer").PostAsync($"/api/decisions/{d.Id}/release", Json("{\"reason\":\"x\"}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Bearer("viewer").PostAsync("/api/decisions", add)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Bearer("helpdesk").PostAsync("/api/decisions", add)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Bearer("helpdesk").PostAsync($"/api/decisions/{d.Id}/extend", Json("{\"duration\":\"1h\"}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await server.Bearer("admin").PostAsync("/api/decisions", add)).StatusCode);
    }

    [Fact]
    public async Task A_removed_user_loses_the_session_at_the_next_request()
    {
        Assert.True(await server.Store.Users.AddAsync("temp-user", Engine.Storage.UserRole.Viewer, WebTestServer.Password));
        var client = await server.SignedInAsync("temp-user");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/rules")).StatusCode);
        Assert.True(await server.Store.Users.RemoveAsync("temp-user"));
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/rules")).StatusCode);
    }

    [Fact]
    public async Task A_demoted_user_loses_the_rights_of_the_old_role()
    {
        Assert.True(await server.Store.Users.AddAsync("demoted", Engine.Storage.UserRole.Admin, WebTestServer.Password));
        var d = await server.PenaliseAsync("ip", "192.0.2.206");
        var client = await server.SignedInAsync("demoted");
        Assert.True(await server.Store.Users.SetRoleAsync("demoted", Engine.Storage.UserRole.Viewer));
        var response = await WebTestServer.PostFormAsync(client, "/decisions", $"/decisions/{d.Id}/release", new() { ["reason"] = "x" });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Session_cookies_are_http_only_and_same_site_strict()
    {
        var client = server.Anonymous();
        var token = await WebTestServer.CsrfTokenAsync(client, "/login");
        var response = await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["_csrf"] = token, ["username"] = "viewer", ["password"] = WebTestServer.Password }));
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("gumshoe.session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
