using System.Net;
using System.Text;
using System.Text.Json;
using Gumshoe.Engine.Rules;

namespace Gumshoe.Web.Tests.Api;

public sealed class ApiEndpointsTests(WebTestServer server) : IClassFixture<WebTestServer>
{
    [Fact]
    public async Task Decisions_are_listed_in_the_contract_shape()
    {
        var d = await server.PenaliseAsync("ip", "203.0.113.20", reason: "SSH brute force");
        using var doc = JsonDocument.Parse(await server.Bearer("viewer").GetStringAsync("/api/decisions"));
        var item = doc.RootElement.GetProperty("decisions").EnumerateArray().Single(x => x.GetProperty("id").GetString() == d.Id);
        Assert.Equal("ip", item.GetProperty("scope").GetString());
        Assert.Equal("203.0.113.20", item.GetProperty("value").GetString());
        Assert.Equal("SSH brute force", item.GetProperty("reason").GetString());
        Assert.Equal("ssh-bruteforce", item.GetProperty("rule").GetString());
        Assert.Equal("active", item.GetProperty("state").GetString());
        Assert.True(DateTimeOffset.TryParse(item.GetProperty("created").GetString(), out _));
        Assert.True(DateTimeOffset.TryParse(item.GetProperty("expires").GetString(), out _));
    }

    [Fact]
    public async Task An_admin_adds_and_a_helpdesk_user_releases_with_a_reason_both_audited()
    {
        var add = await server.Bearer("admin").PostAsync("/api/decisions", Json(new { scope = "user", value = "Eve", reason = "shared her password", duration = "permanent" }));
        Assert.Equal(HttpStatusCode.Created, add.StatusCode);
        using var created = JsonDocument.Parse(await add.Content.ReadAsStringAsync());
        Assert.Equal("created", created.RootElement.GetProperty("outcome").GetString());
        var decision = created.RootElement.GetProperty("decision");
        var id = decision.GetProperty("id").GetString()!;
        Assert.Equal("eve", decision.GetProperty("value").GetString());
        Assert.Equal(JsonValueKind.Null, decision.GetProperty("expires").ValueKind);

        var noReason = await server.Bearer("helpdesk").PostAsync($"/api/decisions/{id}/release", Json(new { }));
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        var release = await server.Bearer("helpdesk").PostAsync($"/api/decisions/{id}/release", Json(new { reason = "talked to her" }));
        Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        using var released = JsonDocument.Parse(await release.Content.ReadAsStringAsync());
        Assert.Equal("released", released.RootElement.GetProperty("decision").GetProperty("state").GetString());
        var twice = await server.Bearer("helpdesk").PostAsync($"/api/decisions/{id}/release", Json(new { reason = "again" }));
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);

        using var audit = JsonDocument.Parse(await server.Bearer("viewer").GetStringAsync($"/api/audit?decision={id}"));
        var entries = audit.RootElement.GetProperty("entries").EnumerateArray().ToList();
        Assert.Contains(entries, e => e.GetProperty("action").GetString() == "create" && e.GetProperty("actor").GetString() == "api:admin");
        Assert.Contains(entries, e => e.GetProperty("action").GetString() == "release" && e.GetProperty("actor").GetString() == "api:helpdesk"
            && e.GetProperty("reason").GetString() == "talked to her");
    }

    [Fact]
    public async Task Bad_requests_get_a_json_error()
    {
        var client = server.Bearer("admin");
        foreach (var (body, status) in new[] { ("not json", HttpStatusCode.BadRequest), ("[1]", HttpStatusCode.BadRequest),
            ("{\"scope\":\"ip\",\"value\":\"not-an-ip\",\"reason\":\"x\"}", HttpStatusCode.BadRequest),
            ("{\"scope\":\"ip\",\"value\":\"192.0.2.1\",\"reason\":\"x\",\"duration\":\"soon\"}", HttpStatusCode.BadRequest) })
        {
            var response = await client.PostAsync("/api/decisions", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(status, response.StatusCode);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.False(string.IsNullOrEmpty(doc.RootElement.GetProperty("error").GetString()));
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/api/decisions/d-nope/release", Json(new { reason = "x" }))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/decisions?state=sideways")).StatusCode);
    }

    [Fact]
    public async Task Alerts_are_listed_in_the_alerts_out_format_with_their_events()
    {
        var e = new Engine.Events.Event { Timestamp = DateTimeOffset.Parse("2025-03-03T09:14:02Z"), Original = "Failed password for root from 203.0.113.30", Input = "auth" };
        e.Set("source.ip", "203.0.113.30");
        var alert = new Alert { Rule = "ssh-bruteforce", Group = [new("source.ip", "203.0.113.30")], Count = 5, FirstSeen = e.Timestamp, LastSeen = e.Timestamp.AddSeconds(20), Title = "SSH brute force" };
        await server.Store.Alerts.AddAsync(alert, [e]);
        using var list = JsonDocument.Parse(await server.Bearer("viewer").GetStringAsync("/api/alerts?rule=ssh-bruteforce"));
        var item = list.RootElement.GetProperty("alerts").EnumerateArray().Single(a => a.GetProperty("id").GetString() == alert.Id);
        foreach (var key in new[] { "rule", "group", "count", "first_seen", "last_seen", "title" }) Assert.True(item.TryGetProperty(key, out _), key);
        Assert.Equal("203.0.113.30", item.GetProperty("group").GetProperty("source.ip").GetString());
        using var one = JsonDocument.Parse(await server.Bearer("viewer").GetStringAsync($"/api/alerts/{alert.Id}"));
        Assert.Equal("203.0.113.30", one.RootElement.GetProperty("events")[0].GetProperty("source").GetProperty("ip").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await server.Bearer("viewer").GetAsync("/api/alerts/nope")).StatusCode);
    }

    private static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");
}
