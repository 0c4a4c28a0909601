using System.Net;
using Gumshoe.Engine.Decisions;

namespace Gumshoe.Web.Tests.Pages;

public sealed class CsrfTests(WebTestServer server) : IClassFixture<WebTestServer>
{
    [Fact]
    public async Task A_release_posted_without_a_token_is_rejected_and_changes_nothing()
    {
        var d = await server.PenaliseAsync("ip", "198.51.100.70");
        var client = await server.SignedInAsync("helpdesk");
        var response = await client.PostAsync($"/decisions/{d.Id}/release", new FormUrlEncodedContent(new Dictionary<string, string> { ["reason"] = "forged" }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(DecisionState.Active, (await server.Store.Decisions.GetAsync(d.Id))!.State);
    }

    [Fact]
    public async Task A_token_from_another_session_is_rejected()
    {
        var d = await server.PenaliseAsync("ip", "198.51.100.71");
        var attacker = await server.SignedInAsync("viewer");
        var stolen = await WebTestServer.CsrfTokenAsync(attacker, "/decisions");
        var victim = await server.SignedInAsync("helpdesk");
        var response = await victim.PostAsync($"/decisions/{d.Id}/release", new FormUrlEncodedContent(new Dictionary<string, string> { ["_csrf"] = stolen, ["reason"] = "forged" }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(DecisionState.Active, (await server.Store.Decisions.GetAsync(d.Id))!.State);
    }

    [Fact]
    public async Task Sign_in_and_self_release_need_a_token_too()
    {
        var client = server.Anonymous();
        var login = await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = "admin", ["password"] = WebTestServer.Password }));
        Assert.Equal(HttpStatusCode.BadRequest, login.StatusCode);
        var d = await server.PenaliseAsync("ip", "127.0.0.1", rule: "csrf-self", selfRelease: 3);
        var release = await client.PostAsync("/blocked/release", new FormUrlEncodedContent(new Dictionary<string, string> { ["decision"] = d.Id, ["confirm"] = "yes" }));
        Assert.Equal(HttpStatusCode.BadRequest, release.StatusCode);
        Assert.Equal(DecisionState.Active, (await server.Store.Decisions.GetAsync(d.Id))!.State);
        await server.Store.Decisions.ReleaseAsync(d.Id, "test", "cleanup");
    }

    [Fact]
    public async Task A_release_without_a_reason_is_refused()
    {
        var d = await server.PenaliseAsync("ip", "198.51.100.72");
        var client = await server.SignedInAsync("helpdesk");
        var response = await WebTestServer.PostFormAsync(client, "/decisions", $"/decisions/{d.Id}/release", new() { ["reason"] = "   " });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Say why you release it", await response.Content.ReadAsStringAsync());
        Assert.Equal(DecisionState.Active, (await server.Store.Decisions.GetAsync(d.Id))!.State);
    }

    [Fact]
    public async Task Every_form_on_the_signed_in_pages_carries_a_token()
    {
        await server.PenaliseAsync("ip", "198.51.100.73");
        var client = await server.SignedInAsync("admin");
        foreach (var page in new[] { "/", "/decisions", "/audit", "/entities/ip/198.51.100.73" })
        {
            var html = await client.GetStringAsync(page);
            var posts = System.Text.RegularExpressions.Regex.Matches(html, "<form[^>]*method=\"post\".*?</form>", System.Text.RegularExpressions.RegexOptions.Singleline);
            Assert.NotEmpty(posts);
            Assert.All(posts, f => Assert.Contains("name=\"_csrf\"", f.Value));
        }
    }
}
