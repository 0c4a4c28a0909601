using System.Net;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Parsers.Packs;
using static Gumshoe.Engine.Tests.Parsers.ParserTestKit;

namespace Gumshoe.Engine.Tests.Parsers.Packs;

public class SuricataEveParserTests
{
    private const string Alert = """{"timestamp":"2024-03-04T10:11:12.345678+0100","flow_id":1234567890123456,"in_iface":"eth0","event_type":"alert","src_ip":"203.0.113.9","src_port":51514,"dest_ip":"192.0.2.10","dest_port":22,"proto":"TCP","community_id":"1:abc=","alert":{"action":"allowed","gid":1,"signature_id":2001219,"rev":20,"signature":"ET SCAN Potential SSH Scan","category":"Attempted Information Leak","severity":2},"app_proto":"ssh","flow":{"pkts_toserver":1,"bytes_toserver":74}}""";

    [Fact]
    public void AnAlertIsMappedToEcs()
    {
        var (outcome, e) = Run(new SuricataEveParser(), Alert);
        Assert.Equal(ParseStatus.Matched, outcome.Status);
        Assert.Equal(IPAddress.Parse("203.0.113.9"), e.Get("source.ip").AsIp());
        Assert.Equal(51514, e.Get("source.port").AsLong());
        Assert.Equal(IPAddress.Parse("192.0.2.10"), e.Get("destination.ip").AsIp());
        Assert.Equal(22, e.Get("destination.port").AsLong());
        Assert.Equal("tcp", e.GetString("network.transport"));
        Assert.Equal("ssh", e.GetString("network.protocol"));
        Assert.Equal("2001219", e.GetString("rule.id"));
        Assert.Equal("ET SCAN Potential SSH Scan", e.GetString("rule.name"));
        Assert.Equal("Attempted Information Leak", e.GetString("rule.category"));
        Assert.Equal(2, e.Get("event.severity").AsLong());
        Assert.Equal("alert", e.GetString("event.kind"));
        Assert.Equal("eth0", e.GetString("observer.ingress.interface.name"));
        Assert.Equal(new DateTimeOffset(2024, 3, 4, 9, 11, 12, TimeSpan.Zero).AddTicks(3456780), e.Timestamp);
        // everything is also kept under suricata.eve.*
        Assert.Equal(74, e.Get("suricata.eve.flow.bytes_toserver").AsLong());
        Assert.Equal("ET SCAN Potential SSH Scan", e.GetString("suricata.eve.alert.signature"));
        Assert.Equal(Alert, e.Original);
    }

    [Fact]
    public void OtherEventTypesAreFlattenedUnderSuricataEve()
    {
        var (outcome, e) = Run(new SuricataEveParser(), """{"timestamp":"2024-03-04T10:11:12.000000+0000","event_type":"dns","src_ip":"10.0.0.5","src_port":5353,"dest_ip":"10.0.0.1","dest_port":53,"proto":"UDP","dns":{"type":"query","rrname":"example.org","rrtype":"A"}}""");
        Assert.Equal(ParseStatus.Matched, outcome.Status);
        Assert.Equal("event", e.GetString("event.kind"));
        Assert.Equal("dns", e.GetString("event.action"));
        Assert.Equal("example.org", e.GetString("suricata.eve.dns.rrname"));
        Assert.Equal("udp", e.GetString("network.transport"));
        Assert.Null(e.GetString("rule.id"));
    }

    [Fact]
    public void BrokenOrForeignLinesAreCounted()
    {
        Assert.StartsWith("malformed JSON at byte", Run(new SuricataEveParser(), """{"event_type":"alert",""").Outcome.Reason);
        Assert.Equal(ParseStatus.Unmatched, Run(new SuricataEveParser(), """{"message":"not eve"}""").Outcome.Status);
        Assert.Equal(ParseStatus.Failed, Run(new SuricataEveParser(), """{"event_type":"alert","timestamp":"soon"}""").Outcome.Status);
    }
}
