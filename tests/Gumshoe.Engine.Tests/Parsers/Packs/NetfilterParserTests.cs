using System.Net;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Parsers.Packs;
using static Gumshoe.Engine.Tests.Parsers.ParserTestKit;

namespace Gumshoe.Engine.Tests.Parsers.Packs;

public class NetfilterParserTests
{
    private static Event Parse(string line)
    {
        var (outcome, e) = Run(new NetfilterParser(), line);
        Assert.Equal(ParseStatus.Matched, outcome.Status);
        return e;
    }

    [Fact]
    public void AUfwBlockLineIsMapped()
    {
        var e = Parse("Mar  4 10:00:00 fw1 kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=203.0.113.7 DST=192.0.2.20 LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=54321 DF PROTO=TCP SPT=44321 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0");
        Assert.Equal(IPAddress.Parse("203.0.113.7"), e.Get("source.ip").AsIp());
        Assert.Equal(IPAddress.Parse("192.0.2.20"), e.Get("destination.ip").AsIp());
        Assert.Equal(44321, e.Get("source.port").AsLong());
        Assert.Equal(22, e.Get("destination.port").AsLong());
        Assert.Equal("tcp", e.GetString("network.transport"));
        Assert.Equal("eth0", e.GetString("observer.ingress.interface.name"));
        Assert.Null(e.GetString("observer.egress.interface.name"));
        Assert.Equal("ufw_block", e.GetString("event.action"));
        Assert.Equal("[UFW BLOCK]", e.GetString("netfilter.prefix"));
        Assert.Equal("denied", e.GetString("event.type"));
        Assert.Equal(60, e.Get("network.bytes").AsLong());
        Assert.Equal(51, e.Get("netfilter.ttl").AsLong());
        Assert.Equal(["DF", "SYN"], e.Get("netfilter.flags").AsArray().Select(f => f.AsString()));
        Assert.Equal("fw1", e.GetString("host.name"));
    }

    [Fact]
    public void AnIptablesPrefixWithoutUptimeBecomesTheAction()
    {
        var e = Parse("2024-03-04T10:00:00+00:00 fw1 kernel: IPTABLES-DROP: IN=ens3 OUT= SRC=2001:db8::9 DST=2001:db8::1 LEN=80 TC=0 HOPLIMIT=57 FLOWLBL=0 PROTO=UDP SPT=5353 DPT=53 LEN=40");
        Assert.Equal("iptables_drop", e.GetString("event.action"));
        Assert.Equal(IPAddress.Parse("2001:db8::9"), e.Get("source.ip").AsIp());
        Assert.Equal("udp", e.GetString("network.transport"));
        Assert.Equal(80, e.Get("network.bytes").AsLong());
        Assert.Equal(40, e.Get("netfilter.udp_len").AsLong());
    }

    [Fact]
    public void ABareDmesgLineWithoutPrefixParses()
    {
        var e = Parse("[ 5.123456] IN=lo OUT=eth1 SRC=10.0.0.1 DST=10.0.0.2 LEN=84 PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1");
        Assert.Equal("netfilter_log", e.GetString("event.action"));
        Assert.Equal("icmp", e.GetString("network.transport"));
        Assert.Equal("eth1", e.GetString("observer.egress.interface.name"));
        Assert.Equal(8, e.Get("netfilter.type").AsLong());
        Assert.Null(e.GetString("netfilter.prefix"));
    }

    [Fact]
    public void AcceptPrefixesAreAllowed()
    {
        Assert.Equal("allowed", Parse("Mar  4 10:00:00 fw1 kernel: [1.0] nft accept ssh: IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 PROTO=TCP SPT=1 DPT=22").GetString("event.type"));
    }

    [Theory]
    [InlineData("Mar  4 10:00:00 fw1 sshd[1]: IN=eth0 SRC=1.2.3.4")]
    [InlineData("Mar  4 10:00:00 fw1 kernel: [1.0] usb 1-1: new high-speed USB device")]
    [InlineData("Jun 14 15:16:01 combo kernel: Linux version 2.6.5-1.358 (bhcompile@bugs.build.redhat.com)")]
    public void OtherLinesAreUnmatched(string line) => Assert.Equal(ParseStatus.Unmatched, Run(new NetfilterParser(), line).Outcome.Status);

    [Fact]
    public void TheSampleKernelLinesAreNotTakenForFirewallLogs()
    {
        foreach (var line in File.ReadLines(SharedData.File("logs/Linux_2k.log")).Where(l => l.Contains(" kernel: ", StringComparison.Ordinal)))
            Assert.Equal(ParseStatus.Unmatched, Run(new NetfilterParser(), line).Outcome.Status);
    }
}
