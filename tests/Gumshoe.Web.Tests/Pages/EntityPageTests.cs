using Gumshoe.Engine.Analytics.Logins;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Web.Tests.Pages;

/// <summary>The entity pages show where a user signs in from (places, networks, devices, the analyzer's verdicts) and where an address is.</summary>
public sealed class EntityPageTests(WebTestServer server) : IClassFixture<WebTestServer>
{
    private static string Login(string time, string ip, string city, string country, int asn, string org, string ua)
    {
        var (lat, lon) = country == "GB" ? ("51.5", "-0.12") : ("35.7", "139.7");
        return "{\"@timestamp\":\"" + time + "\",\"event\":{\"category\":\"authentication\",\"outcome\":\"success\",\"id\":\"" + time + "\"},"
            + "\"user\":{\"email\":\"Alice@Example.com\"},\"source\":{\"ip\":\"" + ip + "\",\"geo\":{\"city_name\":\"" + city + "\",\"country_iso_code\":\"" + country + "\","
            + "\"location\":{\"lat\":" + lat + ",\"lon\":" + lon + "}},\"as\":{\"number\":" + asn + ",\"organization\":{\"name\":\"" + org + "\"}}},"
            + "\"user_agent\":{\"original\":\"" + ua + "\",\"name\":\"Firefox\",\"os\":{\"name\":\"Ubuntu\"}}}";
    }

    [Fact]
    public async Task A_users_page_lists_their_login_locations_networks_devices_and_verdicts()
    {
        var metrics = new MetricsRegistry();
        var pipeline = new EventPipeline(RuleSet.Compile((Gumshoe.Engine.Config.ConfigNode?)null, metrics), metrics, NullLogger.Instance)
        {
            Analyzers = [new LoginAnalyzer(new LoginAnalyzerOptions())],
        };
        server.Logins.Attach(pipeline);
        var parser = new JsonLineParser();
        var lines = new List<string>();
        for (var day = 1; day <= 12; day++)
            lines.Add(Login($"2026-03-{day:00}T08:30:00Z", "81.2.69.160", "London", "GB", 2856, "British Telecommunications", "Mozilla/5.0 Firefox/120"));
        lines.Add(Login("2026-03-12T09:05:00Z", "175.16.199.1", "Tokyo", "JP", 4713, "NTT <b>Communications</b>", "Mozilla/5.0 Firefox/120"));
        foreach (var line in lines)
            if (pipeline.Parse("logins", parser, new ParseContext(), line, null, 0, DateTimeOffset.UtcNow) is { } e) pipeline.Handle(e);

        var client = await server.SignedInAsync("viewer");
        var html = await client.GetStringAsync("/entities/user/alice@example.com");
        Assert.Contains("Login locations", html);
        Assert.Contains("London, GB", html);
        Assert.Contains("Tokyo, JP", html);
        Assert.Contains("AS2856 British Telecommunications", html);
        Assert.Contains("Firefox on Ubuntu", html);
        Assert.Contains("175.16.199.1", html);                  // the last login's address
        Assert.Contains("unusual", html);                        // Tokyo, 35 minutes after London
        Assert.Contains("NTT &lt;b&gt;Communications&lt;/b&gt;", html);
        Assert.DoesNotContain("<b>Communications", html);

        // after a restart the history starts from the analyzer's learnt profiles
        var restarted = new Gumshoe.Web.Activity.LoginHistory();
        restarted.Attach(new EventPipeline(RuleSet.Compile((Gumshoe.Engine.Config.ConfigNode?)null, metrics), metrics, NullLogger.Instance) { Analyzers = pipeline.Analyzers });
        var seeded = restarted.For("alice@example.com")!;
        Assert.Contains(seeded.Places, p => p.Name == "London, GB" && p.Logins == 12);
        Assert.Contains(seeded.Networks, n => n.Name == "AS2856 British Telecommunications");
        Assert.Equal("175.16.199.1", seeded.LastAddress);

        var unknown = await client.GetStringAsync("/entities/user/nobody@example.com");
        Assert.Contains("No successful logins of this user seen", unknown);
    }
}
