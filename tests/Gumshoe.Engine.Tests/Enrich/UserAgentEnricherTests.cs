using Gumshoe.Engine.Enrich;
using Gumshoe.Engine.Enrich.UserAgent;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Enrich;

public sealed class UserAgentEnricherTests
{
    private const string Slack = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.41.105 Chrome/130.0.6723.191 Electron/33.2.0 Safari/537.36 Sonic Slack_SSB/4.41.105";

    [Fact]
    public void The_ecs_user_agent_fields_are_set_from_user_agent_original()
    {
        var enricher = new UserAgentEnricher(UserAgentParser.Default);
        var e = new Event();
        e.Set("user_agent.original", Slack);
        enricher.Enrich(e);
        Assert.Equal("Slack Desktop Client", e.GetString("user_agent.name"));
        Assert.Equal("4.41.105", e.GetString("user_agent.version"));
        Assert.Equal("Windows", e.GetString("user_agent.os.name"));
        Assert.Equal("10", e.GetString("user_agent.os.version"));
        Assert.Equal("Windows 10", e.GetString("user_agent.os.full"));
        Assert.Equal("Other", e.GetString("user_agent.device.name"));
    }

    [Fact]
    public void A_repeated_string_is_answered_from_the_cache_and_events_without_one_are_counted()
    {
        var enricher = new UserAgentEnricher(UserAgentParser.Default, cacheSize: 2);
        var metrics = new MetricsRegistry();
        enricher.Attach(metrics, NullLogger.Instance);
        foreach (var ua in new[] { "curl/8.5.0", "curl/8.5.0", "python-requests/2.32.3", "curl/8.5.0", "" })
        {
            var e = new Event();
            e.Set("user_agent.original", ua);
            enricher.Enrich(e);
            if (ua.Length > 0) Assert.NotNull(e.GetString("user_agent.name"));
        }
        long Count(string outcome) => metrics.Counter("gumshoe_enrich_outcomes_total", "enricher", "user_agent", "outcome", outcome).Value;
        Assert.Equal(2, Count("parsed"));
        Assert.Equal(2, Count("cached"));
        Assert.Equal(1, Count("no_user_agent"));
    }

    [Fact]
    public void A_huge_user_agent_is_cut_before_parsing_and_counted()
    {
        var enricher = new UserAgentEnricher(UserAgentParser.Default, maxLength: 256);
        var metrics = new MetricsRegistry();
        enricher.Attach(metrics, NullLogger.Instance);
        var e = new Event();
        e.Set("user_agent.original", "curl/8.5.0 " + new string('(', 100_000));
        enricher.Enrich(e);
        Assert.Equal("curl", e.GetString("user_agent.name"));
        Assert.Equal(1, metrics.Counter("gumshoe_enrich_outcomes_total", "enricher", "user_agent", "outcome", "truncated").Value);
    }
}
