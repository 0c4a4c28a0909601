using System.Net;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Rules;
using static Gumshoe.Engine.Tests.Rules.RuleKit;

namespace Gumshoe.Engine.Tests.Rules;

public sealed class GroupKeyValueTests
{
    private static GroupKey Key(string spec)
    {
        var yaml = new YamlDotNet.RepresentationModel.YamlStream();
        yaml.Load(new StringReader(spec));
        return GroupKey.Parse(new Gumshoe.Engine.Config.ConfigNode(yaml.Documents[0].RootNode, "t.yml", "/", _ => null));
    }

    private static GroupKeyValue ValueOf(GroupKey key, FieldValue ip)
    {
        var e = Ev(0);
        e.Set("source.ip", ip);
        e.Set("user.name", "alice");
        Assert.True(key.TryGetValue(e, out var v));
        return v;
    }

    [Fact]
    public void AnIpv4AddressIsANumberWithTheSameTextAsBefore()
    {
        var key = Key("[source.ip]");
        var typed = ValueOf(key, FieldValue.Ip(IPAddress.Parse("10.1.2.3")));
        Assert.False(typed.IsText);
        Assert.Equal("10.1.2.3", typed.ToString());
        // the same address as a string field is the same group, as it was when keys were strings
        Assert.Equal(typed, ValueOf(key, FieldValue.String("10.1.2.3")));
        Assert.Equal(typed.GetHashCode(), ValueOf(key, FieldValue.String("10.1.2.3")).GetHashCode());
        // text that is not the address's own form stays text, and a different group
        var padded = ValueOf(key, FieldValue.String("010.1.2.3"));
        Assert.True(padded.IsText);
        Assert.NotEqual(typed, padded);
    }

    [Fact]
    public void IpV6AndOtherValuesKeepTheirText()
    {
        var key = Key("[source.ip]");
        var v6 = ValueOf(key, FieldValue.Ip(IPAddress.Parse("2001:db8::1")));
        Assert.Equal("2001:db8::1", v6.ToString());
        Assert.Equal(v6, ValueOf(key, FieldValue.String("2001:db8::1")));
        Assert.Equal("host-1", ValueOf(key, FieldValue.String("host-1")).ToString());
    }

    [Theory]
    [InlineData("[source.ip/24]", "10.1.2.3", "10.1.2.0/24")]
    [InlineData("[source.ip/16]", "10.1.2.3", "10.1.0.0/16")]
    [InlineData("[source.ip/24]", "2001:db8:1:2:3::9", "2001:db8:1:2::/64")]
    [InlineData("[source.ip/48]", "2001:db8:1:2:3::9", "2001:db8:1::/48")]
    [InlineData("[source.ip/32]", "10.1.2.3", "10.1.2.3/32")]
    public void ANetworkKeyIsANumberWithTheNetworkAsText(string spec, string ip, string text)
    {
        var key = Key(spec);
        var v = ValueOf(key, FieldValue.Ip(IPAddress.Parse(ip)));
        Assert.False(v.IsText);
        Assert.Equal(text, v.ToString());
        Assert.Equal(v, ValueOf(key, FieldValue.String(ip)));
        Assert.Equal(v, key.ValueOf(text)); // a snapshot's key text reads back to the same value
    }

    [Fact]
    public void TextReadsBackToTheValueAnEventGives()
    {
        var plain = Key("[source.ip]");
        Assert.Equal(ValueOf(plain, FieldValue.Ip(IPAddress.Parse("10.1.2.3"))), plain.ValueOf("10.1.2.3"));
        Assert.Equal(ValueOf(plain, FieldValue.String("010.1.2.3")), plain.ValueOf("010.1.2.3"));
        var both = Key("[source.ip, user.name]");
        var v = ValueOf(both, FieldValue.Ip(IPAddress.Parse("10.1.2.3")));
        Assert.Equal("10.1.2.3\u001falice", v.ToString());
        Assert.Equal(v, both.ValueOf(v.ToString()));
        Assert.Equal([new("source.ip", "10.1.2.3"), new KeyValuePair<string, string>("user.name", "alice")], both.ValuesOf(v));
        // a string that looks like a network but is not written as one stays text on both sides
        var net = Key("[source.ip/24]");
        Assert.Equal(ValueOf(net, FieldValue.String("1.2.3.4/24")), net.ValueOf("1.2.3.4/24"));
        Assert.True(net.ValueOf("1.2.3.4/24").IsText);
    }

    [Fact]
    public void AnOldSnapshotWithTextKeysRestoresIntoTypedKeys()
    {
        const string yaml = """
            rules:
              - {name: t, type: threshold, when: 'event.outcome == "failure"', group_by: [source.ip/24], count: 3, within: 60s}
            """;
        // the snapshot format is unchanged: keys are their text
        var snapshot = """
            {"version":2,"clock":0,"inputs":{},"rules":{"t":{"type":"threshold","newest":0,"clock":0,"keys":[
              {"k":"10.0.1.0/24","t":0,"v":{"w":[[TICKS,null,1],[TICKS,null,2]],"q":false,"l":0,"r":0}}]}}}
            """.Replace("TICKS", T0.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var rules = Compile(yaml);
        rules.Restore(System.Text.Json.Nodes.JsonNode.Parse(snapshot));
        var alerts = Feed(rules, [Ev(5, "event.outcome=failure", "source.ip=10.0.1.77")]);
        Assert.Equal(["t source.ip/24=10.0.1.0/24 n=3 0..5"], alerts.Select(Line));
        Assert.Equal("10.0.1.0/24", (string)rules.Snapshot()["rules"]!["t"]!["keys"]![0]!["k"]!);
    }
}
