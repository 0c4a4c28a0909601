using System.Net;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;
using static Gumshoe.Engine.Tests.Parsers.ParserTestKit;

namespace Gumshoe.Engine.Tests.Parsers;

public class KeyValueParserTests
{
    [Fact]
    public void PairsWithQuotedValuesAreRead()
    {
        var (outcome, e) = Run(new KeyValueParser(), """user=alice msg="login failed: bad \"pw\"" code=401   empty= flag src='10.0.0.1'""");
        Assert.Equal(ParseStatus.Matched, outcome.Status);
        Assert.Equal("alice", e.GetString("user"));
        Assert.Equal("login failed: bad \"pw\"", e.GetString("msg"));
        Assert.Equal("401", e.GetString("code"));
        Assert.Equal("10.0.0.1", e.GetString("src"));
        Assert.False(e.TryGet("empty", out _));
        Assert.False(e.TryGet("flag", out _));
    }

    [Fact]
    public void SeparatorAssignPrefixAndTypesAreConfigurable()
    {
        var parser = Build("""
            name: fw
            type: kv
            separator: ';'
            assign: ':'
            prefix: 'fw.'
            types: {fw.port: int}
            """);
        var (outcome, e) = Run(parser, "action:drop; port:22;reason: too many ; note:\"a;b\"");
        Assert.Equal(ParseStatus.Matched, outcome.Status);
        Assert.Equal("drop", e.GetString("fw.action"));
        Assert.Equal(22, e.Get("fw.port").AsLong());
        Assert.Equal(FieldKind.Long, e.Get("fw.port").Kind);
        Assert.Equal("too many", e.GetString("fw.reason"));
        Assert.Equal("a;b", e.GetString("fw.note"));
    }

    [Fact]
    public void EcsIpFieldsBecomeAddresses()
    {
        var parser = Build("""
            name: kv
            type: kv
            """);
        var (_, e) = Run(parser, "source.ip=2001:db8::7 destination.ip=10.1.1.1 user.name=x");
        Assert.Equal(IPAddress.Parse("2001:db8::7"), e.Get("source.ip").AsIp());
        Assert.Equal(FieldKind.Ip, e.Get("destination.ip").Kind);
    }

    [Fact]
    public void ALineWithoutPairsIsUnmatched()
    {
        Assert.Equal(ParseOutcome.Unmatched("no key=value pairs"), Run(new KeyValueParser(), "just some words").Outcome);
    }

    [Fact]
    public void TheFieldOptionReadsTheMessage()
    {
        var parser = Build("""
            name: kv
            type: kv
            field: message
            """);
        var e = new Event();
        e.Set("message", "a=1 b=2");
        Assert.Equal(ParseStatus.Matched, parser.Parse("header a=9", e, Context()).Status);
        Assert.Equal("1", e.GetString("a"));
    }

    [Fact]
    public void AnUnclosedQuoteTakesTheRestOfTheLine()
    {
        var (_, e) = Run(new KeyValueParser(), "a=\"open ended b=2");
        Assert.Equal("open ended b=2", e.GetString("a"));
    }

    [Fact]
    public void KvIsAlsoAPack()
    {
        Assert.True(BuiltInComponents.Create().TryCreatePack("kv", out var p));
        Assert.IsType<KeyValueParser>(p);
    }
}
