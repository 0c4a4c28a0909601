using System.Net;
using Gumshoe.Engine.Decisions;
using Gumshoe.Engine.Events;

namespace Gumshoe.Web.Tests.Pages;

public sealed class BlockedPageTests(WebTestServer server) : IClassFixture<WebTestServer>
{
    [Fact]
    public async Task A_visitor_sees_only_their_own_decisions()
    {
        var mine = await server.PenaliseAsync("ip", "203.0.113.10", reason: "internal note: 7 failures", explain: "Too many failed sign-ins came from your address.",
            remediation: "Reset your password, then wait an hour.");
        var theirs = await server.PenaliseAsync("ip", "203.0.113.11", rule: "other-rule", reason: "someone else's reason", explain: "Someone else's explanation.");

        var html = await BlockedAs("203.0.113.10");
        Assert.Contains("203.0.113.10", html);
        Assert.Contains(mine.Id, html);
        Assert.Contains("Too many failed sign-ins came from your address.", html);
        Assert.Contains("Reset your password, then wait an hour.", html);
        Assert.DoesNotContain(theirs.Id, html);
        Assert.DoesNotContain("203.0.113.11", html);
        Assert.DoesNotContain("Someone else", html);
        Assert.DoesNotContain("internal note", html);

        var other = await BlockedAs("192.0.2.99");
        Assert.Contains("Nothing is blocked for you", other);
        Assert.DoesNotContain(mine.Id, other);
        Assert.DoesNotContain(theirs.Id, other);
    }

    [Fact]
    public async Task Ranges_and_ipv6_prefixes_cover_their_addresses_and_the_highest_priority_comes_first()
    {
        var low = await server.PenaliseAsync("range", "198.51.100.0/24", rule: "range-rule", explain: "Your whole network is paused.", priority: 1);
        var high = await server.PenaliseAsync("ip", "198.51.100.40", rule: "ip-rule", explain: "Your address is paused.", priority: 9);
        var v6 = await server.PenaliseAsync("ip", "2001:db8:1:2::5", rule: "v6-rule", explain: "Your IPv6 network is paused.");
        var html = await BlockedAs("198.51.100.40");
        Assert.True(html.IndexOf(high.Id, StringComparison.Ordinal) < html.IndexOf(low.Id, StringComparison.Ordinal));
        Assert.Contains(v6.Id, await BlockedAs("2001:db8:1:2:aaaa::1"));
        Assert.DoesNotContain(v6.Id, await BlockedAs("2001:db8:1:3::1"));
    }

    [Fact]
    public async Task The_user_of_a_recent_login_from_the_address_is_recognised_when_configured()
    {
        await using var owned = new OwnedServer(WebTestServer.With(o => o with { UserLookup = VisitorLookup.RecentLogins }));
        await owned.Server.InitializeAsync();
        var login = new Event { Timestamp = DateTimeOffset.UtcNow, Input = "auth" };
        login.Set(Ecs.SourceIp, "192.0.2.77");
        login.Set(Ecs.UserName, "mallory");
        login.Set(Ecs.EventOutcome, "success");
        owned.Server.Activity.Observe(login);
        owned.Server.Activity.Observe(new Event { Timestamp = DateTimeOffset.UtcNow, Input = "auth" });
        var d = await owned.Server.PenaliseAsync("user", "mallory", rule: "user-rule", explain: "Your account is paused.");
        var client = owned.Anonymous();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", "192.0.2.77");
        var html = await client.GetStringAsync("/blocked");
        Assert.Contains(d.Id, html);
        Assert.Contains("mallory", html);
        var stranger = owned.Anonymous();
        stranger.DefaultRequestHeaders.Add("X-Forwarded-For", "192.0.2.78");
        Assert.DoesNotContain(d.Id, await stranger.GetStringAsync("/blocked"));
    }

    [Fact]
    public async Task Forwarded_addresses_are_ignored_unless_the_proxy_is_trusted()
    {
        await using var owned = new OwnedServer(WebTestServer.With(o => o with { TrustedProxies = [] }));
        await owned.Server.InitializeAsync();
        var d = await owned.Server.PenaliseAsync("ip", "203.0.113.50");
        var client = owned.Anonymous();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.50");
        var html = await client.GetStringAsync("/blocked");
        Assert.DoesNotContain(d.Id, html);
        Assert.Contains("127.0.0.1", html);
    }

    [Fact]
    public async Task Only_the_last_untrusted_hop_counts_so_a_spoofed_first_entry_is_ignored()
    {
        var d = await server.PenaliseAsync("ip", "203.0.113.60");
        var client = server.Anonymous();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.60, 192.0.2.61");
        var html = await client.GetStringAsync("/blocked");
        Assert.DoesNotContain(d.Id, html);
        Assert.Contains("192.0.2.61", html);
    }

    [Fact]
    public async Task A_visitor_releases_themselves_up_to_the_limit_and_never_someone_else()
    {
        var other = await server.PenaliseAsync("ip", "203.0.113.71", rule: "self-rule", selfRelease: 5);
        var d = await server.PenaliseAsync("ip", "203.0.113.70", rule: "self-rule", selfRelease: 1, remediation: "Update your SSH client.");
        var client = Visitor("203.0.113.70");

        var foreign = await WebTestServer.PostFormAsync(client, "/blocked", "/blocked/release", new() { ["decision"] = other.Id, ["confirm"] = "yes" });
        Assert.Equal(HttpStatusCode.Conflict, foreign.StatusCode);
        Assert.Equal(DecisionState.Active, (await server.Store.Decisions.GetAsync(other.Id))!.State);

        Assert.Contains("Restore my access", await client.GetStringAsync("/blocked"));
        var ok = await WebTestServer.PostFormAsync(client, "/blocked", "/blocked/release", new() { ["decision"] = d.Id, ["confirm"] = "yes" });
        Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);
        var released = (await server.Store.Decisions.GetAsync(d.Id))!;
        Assert.Equal(DecisionState.Released, released.State);
        Assert.StartsWith("self:203.0.113.70", released.EndedBy);

        // the limit is used up: a new decision of the same rule offers no button, and a forged post is refused
        var again = await server.PenaliseAsync("ip", "203.0.113.70", rule: "self-rule", selfRelease: 1);
        var html = await client.GetStringAsync("/blocked");
        Assert.DoesNotContain("Restore my access", html);
        Assert.Contains("used every self-service release", html);
        var refused = await WebTestServer.PostFormAsync(client, "/login", "/blocked/release", new() { ["decision"] = again.Id, ["confirm"] = "yes" });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(DecisionState.Active, (await server.Store.Decisions.GetAsync(again.Id))!.State);
    }

    private HttpClient Visitor(string address)
    {
        var client = server.Anonymous();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        return client;
    }

    private Task<string> BlockedAs(string address) => Visitor(address).GetStringAsync("/blocked");
}
