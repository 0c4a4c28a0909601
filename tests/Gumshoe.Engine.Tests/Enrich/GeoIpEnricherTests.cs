using System.Net;
using System.Text.Json;
using Gumshoe.Engine.Enrich;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Tests.Parsers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gumshoe.Engine.Tests.Enrich;

public sealed class GeoIpEnricherTests : IDisposable
{
    private static readonly string LiteCity = SharedData.File("geoip/GeoLite2-City-Test.mmdb");
    private static readonly string Geoip2City = SharedData.File("geoip/GeoIP2-City-Test.mmdb");
    private static readonly string Asn = SharedData.File("geoip/GeoLite2-ASN-Test.mmdb");
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-geoip-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static GeoIpEnricher Create(string? city = null, string? asn = null, params (string, string)[] fields) =>
        new(city ?? LiteCity, asn ?? Asn, fields.Length > 0 ? fields : [("source.ip", "source")]);

    private static Event WithIp(string ip, bool typed = false)
    {
        var e = new Event();
        e.Set("source.ip", typed ? FieldValue.Ip(IPAddress.Parse(ip)) : FieldValue.String(ip));
        return e;
    }

    public static TheoryData<string, string> Databases => new() { { "GeoLite2-City-Test", "geoip/GeoLite2-City-Test.mmdb" }, { "GeoIP2-City-Test", "geoip/GeoIP2-City-Test.mmdb" } };

    [Theory]
    [MemberData(nameof(Databases))]
    public void Every_address_of_the_saas_samples_gets_the_geo_and_asn_fields_the_reference_lists(string db, string path)
    {
        using var geo = Create(SharedData.File(path));
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.File("saas/expected/ip_enrichment.json")));
        var checkedFields = 0;
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            foreach (var typed in new[] { false, true })
            {
                var e = WithIp(entry.Name, typed);
                geo.Enrich(e);
                var city = entry.Value.GetProperty(db);
                if (city.ValueKind == JsonValueKind.Null)
                {
                    Assert.False(e.TryGet("source.geo.country_iso_code", out _), entry.Name);
                    Assert.False(e.TryGet("source.geo.location", out _), entry.Name);
                }
                else
                {
                    foreach (var p in city.EnumerateObject())
                    {
                        checkedFields++;
                        switch (p.Name)
                        {
                            case "location":
                                var loc = e.Get("source.geo.location").AsObject()!;
                                Assert.Equal(p.Value.GetProperty("lat").GetDouble(), loc["lat"].AsDouble(), 6);
                                Assert.Equal(p.Value.GetProperty("lon").GetDouble(), loc["lon"].AsDouble(), 6);
                                break;
                            case "accuracy_radius_km":
                                Assert.Equal(p.Value.GetInt64(), e.Get("source.geo.accuracy_radius").AsLong());
                                break;
                            default:
                                Assert.Equal(p.Value.GetString(), e.GetString("source.geo." + p.Name));
                                break;
                        }
                    }
                    foreach (var absent in new[] { "city_name", "region_name", "region_iso_code" })
                        if (!city.TryGetProperty(absent, out _)) Assert.Null(e.GetString("source.geo." + absent));
                }
                var asn = entry.Value.GetProperty("GeoLite2-ASN-Test");
                if (asn.ValueKind == JsonValueKind.Null) Assert.False(e.TryGet("source.as.number", out _), entry.Name);
                else
                {
                    Assert.Equal(asn.GetProperty("number").GetInt64(), e.Get("source.as.number").AsLong());
                    Assert.Equal(asn.GetProperty("organization").GetString(), e.GetString("source.as.organization.name"));
                }
            }
        }
        Assert.True(checkedFields > 200);
    }

    [Fact]
    public void An_ipv6_address_resolves_and_an_ipv4_mapped_ipv6_address_resolves_as_its_ipv4_address()
    {
        using var geo = Create();
        var v6 = WithIp("2001:218::2a");
        geo.Enrich(v6);
        Assert.Equal("JP", v6.GetString("source.geo.country_iso_code"));
        var mapped = WithIp("::ffff:89.160.20.120", typed: true);
        geo.Enrich(mapped);
        Assert.Equal("Linköping", mapped.GetString("source.geo.city_name"));
        Assert.Equal(29518, mapped.Get("source.as.number").AsLong());
    }

    [Theory]
    [InlineData("10.1.2.3", "private")]
    [InlineData("192.168.0.1", "private")]
    [InlineData("172.31.255.1", "private")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("169.254.10.1", "link_local")]
    [InlineData("fe80::1", "link_local")]
    [InlineData("fd00::5", "private")]
    [InlineData("100.64.1.1", "shared")]
    [InlineData("203.0.113.50", "documentation")]
    [InlineData("2001:db8::1", "documentation")]
    [InlineData("224.0.0.251", "multicast")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("255.255.255.255", "reserved")]
    [InlineData("::ffff:10.0.0.1", "private")]
    public void A_non_public_address_gets_its_address_class_and_no_location_without_an_error(string ip, string cls)
    {
        using var geo = Create();
        var metrics = new MetricsRegistry();
        geo.Attach(metrics, NullLogger.Instance);
        var e = WithIp(ip);
        geo.Enrich(e);
        Assert.Equal(cls, e.GetString("source.address_class"));
        Assert.Null(e.GetString("source.geo.country_iso_code"));
        Assert.Equal(1, metrics.Counter("gumshoe_enrich_outcomes_total", "enricher", "geoip", "outcome", "non_public_address").Value);
        Assert.DoesNotContain(metrics.Snapshot(), m => m.Name == "gumshoe_enrich_errors_total" && m.Value > 0);
    }

    [Fact]
    public void A_public_address_missing_from_the_databases_and_a_malformed_one_are_counted_and_leave_the_event_alone()
    {
        using var geo = Create();
        var metrics = new MetricsRegistry();
        geo.Attach(metrics, NullLogger.Instance);
        var unknown = WithIp("8.8.4.4");
        var garbage = WithIp("not-an-ip");
        var none = new Event();
        geo.Enrich(unknown);
        geo.Enrich(garbage);
        geo.Enrich(none);
        Assert.Null(unknown.GetString("source.geo.country_iso_code"));
        Assert.Null(unknown.GetString("source.address_class"));
        Assert.Equal(1, garbage.FieldCount);   // only source.ip
        long Count(string outcome) => metrics.Counter("gumshoe_enrich_outcomes_total", "enricher", "geoip", "outcome", outcome).Value;
        Assert.Equal(1, Count("not_found"));
        Assert.Equal(1, Count("invalid_address"));
        Assert.Equal(1, Count("no_address"));
    }

    [Fact]
    public void Several_ip_fields_each_get_their_results_under_their_own_prefix()
    {
        using var geo = Create(null, null, ("source.ip", "source"), ("client_addr", "client"));
        var e = WithIp("81.2.69.160");
        e.Set("client_addr", "175.16.199.24");
        geo.Enrich(e);
        Assert.Equal("London", e.GetString("source.geo.city_name"));
        Assert.Equal("Changchun", e.GetString("client.geo.city_name"));
        Assert.Equal("GB-ENG", e.GetString("source.geo.region_iso_code"));
    }

    [Fact]
    public void A_changed_database_file_is_loaded_at_the_next_check_and_a_broken_one_keeps_the_old_answers()
    {
        var path = Path.Combine(_dir, "city.mmdb");
        File.Copy(LiteCity, path);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-10));
        long now = 0;
        using var geo = new GeoIpEnricher(path, null, [("source.ip", "source")], reloadCheck: TimeSpan.FromSeconds(5), clock: () => now);
        var metrics = new MetricsRegistry();
        geo.Attach(metrics, NullLogger.Instance);

        var before = WithIp("214.0.0.10");   // Singapore only in GeoIP2-City-Test
        geo.Enrich(before);
        Assert.Null(before.GetString("source.geo.city_name"));

        File.Copy(Geoip2City, path + ".new");
        File.SetLastWriteTimeUtc(path + ".new", DateTime.UtcNow.AddMinutes(-5));
        File.Move(path + ".new", path, overwrite: true);   // how updaters replace it: atomically
        var notYet = WithIp("214.0.0.10");
        now = 4_000;                                         // before the next check: the cached answer stands
        geo.Enrich(notYet);
        Assert.Null(notYet.GetString("source.geo.city_name"));
        now = 5_000;
        var after = WithIp("214.0.0.10");
        geo.Enrich(after);
        Assert.Equal("Singapore", after.GetString("source.geo.city_name"));
        Assert.Equal(1, metrics.Counter("gumshoe_enrich_outcomes_total", "enricher", "geoip", "outcome", "database_reloaded").Value);

        File.WriteAllText(path, "this is not a MaxMind database");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
        now = 10_000;
        var broken = WithIp("214.0.1.10");
        geo.Enrich(broken);
        Assert.Equal("Melbourne", broken.GetString("source.geo.city_name"));
        Assert.Equal(1, metrics.Counter("gumshoe_enrich_errors_total", "enricher", "geoip", "reason", "reload_failed").Value);
    }

    [Fact]
    public void A_database_of_the_wrong_kind_is_refused_when_the_enricher_is_built()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new GeoIpEnricher(Asn, null, [("source.ip", "source")]));
        Assert.Contains("city_db needs a City or Country database", ex.Message);
        Assert.Throws<FileNotFoundException>(() => new GeoIpEnricher(Path.Combine(_dir, "missing.mmdb"), null, [("source.ip", "source")]));
    }

    [Fact]
    public void A_country_database_gives_the_country_fields()
    {
        using var geo = new GeoIpEnricher(SharedData.File("geoip/GeoLite2-Country-Test.mmdb"), null, [("source.ip", "source")]);
        var e = WithIp("81.2.69.160");
        geo.Enrich(e);
        Assert.Equal("GB", e.GetString("source.geo.country_iso_code"));
        Assert.Null(e.GetString("source.geo.city_name"));
    }
}
