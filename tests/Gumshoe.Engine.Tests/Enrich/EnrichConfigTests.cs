using Gumshoe.Engine.Config;
using Gumshoe.Engine.Enrich;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Tests.Parsers;

namespace Gumshoe.Engine.Tests.Enrich;

public sealed class EnrichConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-enrich-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private GumshoeConfig Load(string yaml, Dictionary<string, string>? env = null)
    {
        var path = Path.Combine(_dir, "gumshoe.yml");
        File.WriteAllText(path, yaml);
        return GumshoeConfig.Load(path, BuiltInComponents.Create(), name => env?.GetValueOrDefault(name));
    }

    [Fact]
    public void The_enrich_section_builds_its_enrichers_in_the_order_written_with_a_list_of_lookups()
    {
        var config = Load($"""
            enrich:
              identity: {"{"}user_domain: example.com, identities_file: {SharedData.File("saas/identities.json")}{"}"}
              geoip:
                city_db: ${"{"}GEOIP_CITY_DB{"}"}
                asn_db: ${"{"}GEOIP_ASN_DB{"}"}
                field: [source.ip, {"{"}field: client_addr, target: client{"}"}]
              user_agent: {"{"}{"}"}
              sql_lookup:
                - name: assets
                  driver: sqlite
                  connection: Data Source={_dir}/a.db
                  query: SELECT owner FROM assets WHERE ip = @ip
                  params: {"{"}ip: source.ip{"}"}
                - name: people
                  driver: sqlite
                  connection: Data Source={_dir}/p.db
                  query: SELECT dept FROM people WHERE name = @name
                  params: {"{"}name: user.name{"}"}
                  cache_ttl: 10m
                  timeout: 500ms
            """, new() { ["GEOIP_CITY_DB"] = SharedData.File("geoip/GeoLite2-City-Test.mmdb"), ["GEOIP_ASN_DB"] = SharedData.File("geoip/GeoLite2-ASN-Test.mmdb") });
        Assert.Equal(["identity", "geoip", "user_agent", "sql_lookup"], config.Enrichers.Select(e => e.Name));
        var lookups = Assert.IsType<EnricherSequence>(config.Enrichers[3]);
        Assert.Equal(["assets", "people"], lookups.Enrichers.Cast<LookupEnricher>().Select(l => l.LookupName));

        var e = new Event();
        e.Set("user.name", "alice-nguyen");
        e.Set("event.provider", "github");
        e.Set("source.ip", "81.2.69.160");
        e.Set("client_addr", "89.160.20.120");
        e.Set("user_agent.original", "curl/8.5.0");
        foreach (var enricher in config.Enrichers.Take(3)) enricher.Enrich(e);
        Assert.Equal("alice.nguyen@example.com", e.GetString("gumshoe.user"));
        Assert.Equal("London", e.GetString("source.geo.city_name"));
        Assert.Equal("Bredband2 AB", e.GetString("client.as.organization.name"));
        Assert.Equal("curl", e.GetString("user_agent.name"));
    }

    [Theory]
    [InlineData("geoip: {city_db: missing.mmdb}", "does not exist", 2)]
    [InlineData("geoip: {city_db: GEO, colour: red}", "unknown key 'colour'", 2)]
    [InlineData("geoip: {city_db: GEO, field: client_addr}", "does not end in .ip", 2)]
    [InlineData("sql_lookup: {driver: oracle, connection: x, query: 'SELECT 1 WHERE a = @a', params: {a: source.ip}}", "expected one of", 2)]
    [InlineData("sql_lookup:\n    driver: sqlite\n    connection: Data Source=x.db\n    query: SELECT owner FROM t WHERE ip = @addr\n    params: {ip: source.ip}", "does not use @ip", 5)]
    [InlineData("sql_lookup:\n    - driver: sqlite\n      connection: Data Source=x.db\n      query: SELECT 1 WHERE 1 = @a\n      params: {a: x}", "needs a name", 3)]
    [InlineData("ldap_lookup: {url: http://x, base: dc=x, filter: '(uid={user.name})', attributes: {cn: user.full_name}}", "ldap://", 2)]
    [InlineData("ldap_lookup: {url: ldap://x, base: dc=x, filter: '(uid=alice)', attributes: {cn: user.full_name}}", "placeholder", 2)]
    [InlineData("ldap_lookup: {url: ldap://x, bind_dn: cn=x, base: dc=x, filter: '(uid={user.name})', attributes: {cn: u}}", "needs a password", 2)]
    [InlineData("identity: {user_domain: 'a b'}", "should be a domain", 2)]
    [InlineData("whois: {}", "unknown enricher 'whois'", 2)]
    public void A_mistake_in_an_enricher_is_reported_with_its_line(string enricher, string message, int line)
    {
        var yaml = "enrich:\n  " + enricher.Replace("GEO", SharedData.File("geoip/GeoLite2-City-Test.mmdb")) + "\n";
        var ex = Assert.Throws<ConfigException>(() => Load(yaml));
        Assert.Contains(message, ex.Message);
        Assert.Contains($":{line}:", ex.Message);
    }
}
