using System.Text.Json;
using Gumshoe.Engine.Analytics.Logins;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Tests.Parsers;

namespace Gumshoe.Engine.Tests.Analytics.Logins;

public class AnalyticsSectionTests
{
    private static string Repo([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "../../../.."));

    private static GumshoeConfig Load(string yaml)
    {
        var path = Path.Combine(Path.GetTempPath(), $"gumshoe-analytics-{Guid.NewGuid():N}.yml");
        File.WriteAllText(path, yaml);
        try { return GumshoeConfig.Load(path, BuiltInComponents.Create()); }
        finally { File.Delete(path); }
    }

    [Fact]
    public void The_logins_section_is_read_into_typed_options()
    {
        var config = Load("""
            analytics:
              logins:
                warmup: 7
                threshold: 0.8
                seed: 9
                when: event.action == "login"
                impossible_travel: {min_distance_km: 300, max_speed_kmh: 900, allow_asns: [64500], allow_as_organizations: [NordVPN], findings: flagged}
                new_device: {enabled: false}
                isolation_forest: {trees: 20, window: 40, refit_every: 10, refit_interval: 1d, min_rows: 30}
            """);
        var o = ((AnalyticsSection)config.Sections["analytics"]).Logins!;
        Assert.Equal(7, o.Warmup);
        Assert.Equal(0.8, o.Threshold);
        Assert.Equal(9UL, o.Seed);
        Assert.NotNull(o.Logins);
        Assert.Equal(300, o.Travel.MinDistanceKm);
        Assert.Contains(64500L, o.Travel.AllowAsns);
        Assert.Equal(FindingMode.Flagged, o.Travel.Findings);
        Assert.False(o.NewDevice);
        Assert.Equal((20, 40, 10, TimeSpan.FromDays(1), 30), (o.Forest.Trees, o.Forest.Window, o.Forest.RefitEvery, o.Forest.RefitInterval, o.Forest.MinRows));
        Assert.Single(((AnalyticsSection)config.Sections["analytics"]).CreateAnalyzers());
    }

    [Fact]
    public void A_misspelt_key_is_an_error_with_its_location()
    {
        var ex = Assert.Throws<ConfigException>(() => Load("""
            analytics:
              logins:
                impossible_travel:
                  max_speed_kph: 900
            """));
        Assert.Contains("unknown key 'max_speed_kph'", ex.Message);
        Assert.Contains(":4:", ex.Message);
    }

    [Fact]
    public void A_threshold_outside_0_to_1_is_refused()
    {
        var ex = Assert.Throws<ConfigException>(() => Load("analytics:\n  logins:\n    threshold: 2\n"));
        Assert.Contains("0..1", ex.Message);
    }

    [Fact]
    public void Replay_of_the_example_writes_one_score_line_per_successful_login()
    {
        var repo = Repo();
        var example = Path.Combine(repo, "examples/login-anomaly.yml");
        var config = example;
        var registry = BuiltInComponents.Create();
        if (!registry.EnricherTypes.Contains("geoip"))
        {
            // the enrichers land from another branch; the sample events already carry their geo and network fields
            var text = File.ReadAllText(example);
            var start = text.IndexOf("\nenrich:", StringComparison.Ordinal);
            var end = text.IndexOf("\nanalytics:", StringComparison.Ordinal);
            config = Path.Combine(Path.GetTempPath(), $"login-anomaly-{Guid.NewGuid():N}.yml");
            File.WriteAllText(config, text[..start] + text[end..]);
        }
        Environment.SetEnvironmentVariable("GEOIP_CITY_DB", Gumshoe.Engine.Tests.Parsers.SharedData.File("geoip/GeoLite2-City-Test.mmdb"));
        Environment.SetEnvironmentVariable("GEOIP_ASN_DB", Gumshoe.Engine.Tests.Parsers.SharedData.File("geoip/GeoLite2-ASN-Test.mmdb"));
        var events = Gumshoe.Engine.Tests.Parsers.SharedData.File("saas/expected/normalized_login_events.jsonl");
        var output = Path.Combine(Path.GetTempPath(), $"scores-{Guid.NewGuid():N}.jsonl");
        try
        {
            Assert.Equal(0, Gumshoe.Cli.Program.Main(["replay", "-c", config, events, "--scores-out", output]));
            var want = File.ReadLines(events).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event"))
                // every successful authentication event has a line (the contract); sign-ins are scored, logouts say so
                .Where(e => e.GetProperty("outcome").GetString() == "success" && e.GetProperty("kind").GetString() == "event")
                .Select(e => e.GetProperty("id").GetString()).ToList();
            var lines = File.ReadLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(want, lines.Select(l => l.GetProperty("event.id").GetString()).ToList());
            foreach (var l in lines)
            {
                Assert.InRange(l.GetProperty("score").GetDouble(), 0, 1);
                Assert.True(l.GetProperty("flagged").ValueKind is JsonValueKind.True or JsonValueKind.False);
                Assert.Equal(JsonValueKind.Array, l.GetProperty("reasons").ValueKind);
                Assert.False(string.IsNullOrEmpty(l.GetProperty("user").GetString()));
            }
            Assert.Contains(lines, l => l.GetProperty("flagged").GetBoolean() && l.GetProperty("reasons")[0].GetString()!.Contains("km/h", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(output);
            if (config != example) File.Delete(config);
        }
    }
}
