using Gumshoe.Engine.Events;
using Gumshoe.Engine.Rules;

namespace Gumshoe.Web.Tests.Pages;

public sealed class XssTests(WebTestServer server) : IClassFixture<WebTestServer>
{
    private const string Payload = "<script>alert('xss')</script><img src=x onerror=alert(1)>\"'";

    [Fact]
    public async Task Payloads_in_event_fields_alerts_and_decisions_render_inert_on_every_page()
    {
        var e = new Event { Timestamp = DateTimeOffset.UtcNow, Original = "sshd: Failed password for " + Payload, Input = "auth", FilePath = "/var/log/auth.log", Offset = 42 };
        e.Set("source.ip", "203.0.113.99");
        e.Set("user.name", Payload);
        e.Set("event.action", Payload);
        e.Set(Payload, "field named by an attacker");
        server.Activity.Observe(e);
        server.Activity.Observe(new Event { Timestamp = DateTimeOffset.UtcNow, Input = "auth" });   // publishes the first
        var alert = new Alert
        {
            Rule = "ssh-bruteforce", Group = [new("source.ip", "203.0.113.99"), new("user.name", Payload)], Count = 5,
            FirstSeen = e.Timestamp, LastSeen = e.Timestamp, Title = "Brute force " + Payload, Description = Payload,
            Events = [new EventRef(e.Timestamp, e.FilePath, e.Offset)],
        };
        await server.Store.Alerts.AddAsync(alert, [e]);
        var d = await server.PenaliseAsync("user", Payload, reason: "reason " + Payload, explain: "explain " + Payload, remediation: "fix " + Payload);
        await server.PenaliseAsync("ip", "127.0.0.1", rule: "xss-rule", reason: Payload, explain: Payload, remediation: Payload);
        await server.Store.Audit.AppendAsync(Payload, Payload, d.Id, Payload, Payload, default);

        var client = await server.SignedInAsync("admin");
        var pages = new[] { "/", "/alerts", $"/alerts/{alert.Id}", "/decisions", "/entities/ip/203.0.113.99", "/entities/user/" + Uri.EscapeDataString(Payload), "/audit", "/rules" };
        foreach (var page in pages)
            AssertInert(page, await client.GetStringAsync(page));
        AssertInert("/blocked", await server.Anonymous().GetStringAsync("/blocked"));
        Assert.Contains("&lt;script&gt;", await client.GetStringAsync($"/alerts/{alert.Id}"));
    }

    [Fact]
    public async Task Pages_forbid_inline_scripts()
    {
        var response = await server.Anonymous().GetAsync("/blocked");
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
    }

    private static void AssertInert(string page, string html)
    {
        Assert.DoesNotContain("<script>alert", html);
        Assert.DoesNotContain("<img src=x", html);
        Assert.DoesNotContain("onerror=alert(1)>", html.Replace("onerror=alert(1)&gt;", "", StringComparison.Ordinal));
        // the only script elements are the page's own
        var scripts = System.Text.RegularExpressions.Regex.Matches(html, "<script[^>]*>");
        Assert.All(scripts, s => Assert.Matches("^<script (src=\"/static/[^\"]+\" defer|type=\"application/json\" id=\"alerts-series\")>$", s.Value));
        _ = page;
    }
}
