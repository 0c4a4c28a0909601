using Gumshoe.Engine.Enrich;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Enrich;

public sealed class LdapLookupEnricherTests
{
    private static string Url => TestServers.Require("GUMSHOE_TEST_LDAP_URL", "scripts/services/ldap.sh");
    private static string BindDn => TestServers.Require("GUMSHOE_TEST_LDAP_BIND_DN", "scripts/services/ldap.sh");
    private static string Password => TestServers.Require("GUMSHOE_TEST_LDAP_PASSWORD", "scripts/services/ldap.sh");
    private static string Base => TestServers.Require("GUMSHOE_TEST_LDAP_BASE", "scripts/services/ldap.sh");

    private static LdapLookupEnricher People(string filter = "(&(objectClass=inetOrgPerson)(uid={user.name}))", string? password = null, string? url = null, LookupOptions? options = null) =>
        new("people", new Uri(url ?? Url), BindDn, password ?? Password, "ou=people," + Base, filter,
            new Dictionary<string, LdapAttributeMapping>
            {
                ["departmentNumber"] = new("user.department"),
                ["manager"] = new("user.manager", Rdn: true),
                ["memberOf"] = new("user.groups", Rdn: true, List: true),
                ["cn"] = new("user.full_name"),
            }, options: options);

    private static Event Named(string name)
    {
        var e = new Event();
        e.Set("user.name", name);
        return e;
    }

    [Fact]
    public void A_users_department_manager_and_groups_come_from_the_directory()
    {
        using var lookup = People();
        var e = Named("alice");
        lookup.Enrich(e);
        Assert.Equal("100", e.GetString("user.department"));
        Assert.Equal("carol", e.GetString("user.manager"));
        Assert.Equal(["admins", "devs"], e.Get("user.groups").AsArray().Select(v => v.AsString()).Order());
        Assert.Equal("Alice Archer", e.GetString("user.full_name"));
        var bob = Named("bob");
        lookup.Enrich(bob);
        Assert.Equal(["devs"], bob.Get("user.groups").AsArray().Select(v => v.AsString()));   // a list even with one group
        var nobody = Named("zed");
        lookup.Enrich(nobody);
        Assert.Equal(1, nobody.FieldCount);
    }

    [Fact]
    public void An_address_or_mac_finds_its_registered_owner()
    {
        using var devices = new LdapLookupEnricher("devices", new Uri(Url), BindDn, Password, "ou=devices," + Base,
            "(&(objectClass=ieee802Device)(|(ipHostNumber={source.ip})(macAddress={source.mac})))",
            new Dictionary<string, LdapAttributeMapping> { ["owner"] = new("user.name", Rdn: true), ["cn"] = new("host.name") });
        var e = new Event();
        e.Set("source.ip", "10.20.0.16");
        e.Set("source.mac", "00:16:3e:0b:0b:00");
        devices.Enrich(e);
        Assert.Equal("bob", e.GetString("user.name"));
        Assert.Equal("bob-desktop", e.GetString("host.name"));
    }

    [Fact]
    public void Filter_syntax_in_an_event_value_is_escaped_and_matches_only_literally()
    {
        using var lookup = People();
        var wildcard = Named("*");
        lookup.Enrich(wildcard);
        Assert.False(wildcard.TryGet("user.department", out _));
        var injection = Named("alice)(uid=*");
        lookup.Enrich(injection);
        Assert.False(injection.TryGet("user.department", out _));
        var literalStar = Named("star*user");
        lookup.Enrich(literalStar);
        Assert.Equal("900", literalStar.GetString("user.department"));
        Assert.Equal("Star (Test) User", literalStar.GetString("user.full_name"));
    }

    [Fact]
    public void A_filter_matching_several_entries_enriches_nothing_and_says_ambiguous()
    {
        using var lookup = People("(&(objectClass=inetOrgPerson)(departmentNumber={user.name}))");
        var metrics = new MetricsRegistry();
        lookup.Attach(metrics, NullLogger.Instance);
        var e = Named("200");   // bob and carol
        lookup.Enrich(e);
        Assert.False(e.TryGet("user.full_name", out _));
        Assert.Equal(1, metrics.Counter("gumshoe_enrich_outcomes_total", "enricher", "ldap_lookup.people", "outcome", "ambiguous").Value);
    }

    [Fact]
    public void A_server_that_is_down_and_a_wrong_password_are_counted_and_events_pass_through()
    {
        using var down = People(url: $"ldap://127.0.0.1:{TestServers.ClosedPort()}", options: new LookupOptions { Timeout = TimeSpan.FromSeconds(2) });
        var metrics = new MetricsRegistry();
        down.Attach(metrics, NullLogger.Instance);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 3; i++) down.Enrich(Named("alice"));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        Assert.Equal(1, metrics.Counter("gumshoe_enrich_errors_total", "enricher", "ldap_lookup.people", "reason", "server_down").Value);
        Assert.Equal(2, metrics.Counter("gumshoe_enrich_outcomes_total", "enricher", "ldap_lookup.people", "outcome", "skipped_server_down").Value);

        using var wrong = People(password: "not-the-password");
        wrong.Attach(metrics, NullLogger.Instance);
        var e = Named("alice");
        wrong.Enrich(e);
        Assert.Equal(1, e.FieldCount);
        Assert.Equal(1, metrics.Counter("gumshoe_enrich_errors_total", "enricher", "ldap_lookup.people", "reason", "bind_failed").Value);
    }

    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("a*b", @"a\2ab")]
    [InlineData("(x)", @"\28x\29")]
    [InlineData(@"back\slash", @"back\5cslash")]
    [InlineData("nul\0", @"nul\00")]
    [InlineData("José", "José")]
    public void Values_are_escaped_as_rfc_4515_requires(string value, string escaped)
    {
        Assert.Equal(escaped, LdapFilterTemplate.Escape(value));
        Assert.Equal($"(uid={escaped})", LdapFilterTemplate.Parse("(uid={user.name})").Render([value]));
    }

    [Theory]
    [InlineData("(uid=alice)", "no {field} placeholder")]
    [InlineData("(uid={user.name}", "parentheses")]
    [InlineData("(uid={user.name)", "unclosed")]
    [InlineData("uid={user.name}", "parentheses")]
    public void A_malformed_filter_template_is_refused(string template, string message)
    {
        var ex = Assert.Throws<FormatException>(() => LdapFilterTemplate.Parse(template));
        Assert.Contains(message, ex.Message);
    }

    [Theory]
    [InlineData("uid=carol,ou=people,dc=example,dc=org", "carol")]
    [InlineData(@"cn=Doe\, John,ou=people", "Doe, John")]
    [InlineData(@"cn=a\2bb+uid=x,dc=y", "a+b")]
    public void The_first_rdn_value_of_a_dn_is_unescaped(string dn, string value) =>
        Assert.Equal(value, LdapLookupEnricher.FirstRdnValue(dn));
}
