using System.Text.Json;
using Gumshoe.Engine.Enrich;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Tests.Parsers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Enrich;

public sealed class IdentityEnricherTests : IDisposable
{
    private static readonly string Identities = SharedData.File("saas/identities.json");
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-identity-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static Event User(string? email = null, string? name = null, string? id = null, string? provider = null)
    {
        var e = new Event();
        e.Set("user.email", email);
        e.Set("user.name", name);
        e.Set("user.id", id);
        e.Set("event.provider", provider);
        return e;
    }

    [Fact]
    public void Every_saas_sample_login_maps_to_one_canonical_address_per_person_across_providers()
    {
        var enricher = new IdentityEnricher("example.com", identitiesFile: Identities);
        var seen = new HashSet<string>();
        foreach (var line in File.ReadLines(SharedData.File("saas/expected/normalized_login_events.jsonl")))
        {
            using var doc = JsonDocument.Parse(line);
            var e = new Event();
            EventJson.Flatten(e, doc.RootElement);
            var expected = e.GetString("user.email");
            enricher.Enrich(e);
            var canonical = e.GetString("gumshoe.user")!;
            if (expected is not null) Assert.Equal(expected, canonical);
            else if (e.GetString("user.name") == "root") Assert.Equal("root@example.com", canonical);
            else
            {
                // GitHub logins carry no e-mail: the identities file supplies it, and user.email is filled in
                Assert.EndsWith("@example.com", canonical);
                Assert.Equal(canonical, e.GetString("user.email"));
            }
            seen.Add(canonical);
        }
        Assert.Equal(
            ["alice.nguyen@example.com", "bob.martin@example.com", "carol.diaz@example.com", "dave.okafor@example.com", "erin.kim@example.com", "root@example.com"],
            seen.Order());
    }

    [Fact]
    public void A_provider_login_maps_through_the_identities_file_and_only_for_its_provider_when_another_person_uses_it()
    {
        var file = Path.Combine(_dir, "ids.json");
        File.WriteAllText(file, """
            {
              "ann": {"email": "Ann@Example.com", "github_login": "jsmith", "aws_iam_user": "ann"},
              "joe": {"email": "joe@example.com", "aws_iam_user": "jsmith", "aliases": ["joey"]}
            }
            """);
        var enricher = new IdentityEnricher(identitiesFile: file);
        Assert.Equal("ann@example.com", enricher.Canonicalize(null, "jsmith", provider: "github"));
        Assert.Equal("joe@example.com", enricher.Canonicalize(null, "JSMITH", provider: "aws"));
        Assert.Equal("jsmith", enricher.Canonicalize(null, "jsmith", provider: "sshd"));   // ambiguous without a provider
        Assert.Equal("joe@example.com", enricher.Canonicalize(null, "joey"));
        Assert.Equal("ann@example.com", enricher.Canonicalize(null, "ann"));
    }

    [Fact]
    public void User_map_comes_first_then_the_events_address_then_user_domain_for_bare_names()
    {
        var enricher = new IdentityEnricher("Example.com", new Dictionary<string, string>
        {
            ["Alice.Old@legacy.example"] = "alice",             // bare value: user_domain applies, as in the seed
            ["svc-backup"] = "backup-team@example.com",
        });
        Assert.Equal("alice@example.com", enricher.Canonicalize("alice.old@LEGACY.example", null));
        Assert.Equal("backup-team@example.com", enricher.Canonicalize(null, "SVC-BACKUP"));
        Assert.Equal("bob@example.org", enricher.Canonicalize("Bob@Example.org", "bob"));
        Assert.Equal("carol@example.com", enricher.Canonicalize(null, "Carol"));
        Assert.Equal("dave@elsewhere.net", enricher.Canonicalize(null, "dave@elsewhere.net"));
        Assert.Equal("erin kim", enricher.Canonicalize(null, "Erin Kim"));            // a display name gets no domain
        Assert.Null(enricher.Canonicalize(null, null));
    }

    [Fact]
    public void The_canonical_identity_the_filled_in_address_and_related_user_are_set_and_counted()
    {
        var enricher = new IdentityEnricher("example.com");
        var metrics = new MetricsRegistry();
        enricher.Attach(metrics, NullLogger.Instance);
        var e = User(name: "Frank");
        e.Set("related.user", FieldValue.Array([FieldValue.String("root")]));
        enricher.Enrich(e);
        enricher.Enrich(new Event());
        Assert.Equal("frank@example.com", e.GetString("gumshoe.user"));
        Assert.Equal("frank@example.com", e.GetString("user.email"));
        Assert.Equal(["root", "frank@example.com", "Frank"], e.Get("related.user").AsArray().Select(v => v.AsString()));
        Assert.Equal(1, metrics.Counter("gumshoe_enrich_outcomes_total", "enricher", "identity", "outcome", "user_domain").Value);
        Assert.Equal(1, metrics.Counter("gumshoe_enrich_outcomes_total", "enricher", "identity", "outcome", "no_user").Value);
    }

    [Fact]
    public void A_changed_identities_file_is_read_again_and_a_broken_one_keeps_the_previous_mapping()
    {
        var file = Path.Combine(_dir, "ids.json");
        File.WriteAllText(file, """{"ann": {"email": "ann@example.com", "github_login": "annie"}}""");
        long now = 0;
        var enricher = new IdentityEnricher(identitiesFile: file, clock: () => now);
        var metrics = new MetricsRegistry();
        enricher.Attach(metrics, NullLogger.Instance);
        string? Resolve(string login)
        {
            var e = User(name: login, provider: "github");
            enricher.Enrich(e);
            return e.GetString("gumshoe.user");
        }
        Assert.Equal("ann@example.com", Resolve("annie"));
        File.WriteAllText(file, """{"ann": {"email": "ann.new@example.com", "github_login": "annie"}, "bo": {"email": "bo@example.com", "github_login": "bo-gh"}}""");
        now = 6_000;
        Assert.Equal("ann.new@example.com", Resolve("annie"));
        Assert.Equal("bo@example.com", Resolve("bo-gh"));
        File.WriteAllText(file, "{ not json");
        now = 12_000;
        Assert.Equal("bo@example.com", Resolve("bo-gh"));
        Assert.Equal(1, metrics.Counter("gumshoe_enrich_errors_total", "enricher", "identity", "reason", "identities_file_invalid").Value);
    }

    [Fact]
    public void A_broken_identities_file_at_start_is_a_configuration_error_naming_the_file()
    {
        var file = Path.Combine(_dir, "ids.json");
        File.WriteAllText(file, """{"ann": {"github_login": "annie"}}""");
        var ex = Assert.Throws<FormatException>(() => new IdentityEnricher(identitiesFile: file));
        Assert.Contains("'ann' has no email address", ex.Message);
    }
}
