using System.Net;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;
using static Gumshoe.Engine.Tests.Parsers.ParserTestKit;

namespace Gumshoe.Engine.Tests.Parsers;

public class RegexParserTests
{
    [Fact]
    public void DottedGroupNamesBecomeEcsFieldsAndIpFieldsBecomeAddresses()
    {
        var parser = Build("""
            name: app
            type: regex
            pattern: 'login failed for (?<user.name>\S+) from (?<source.ip>\S+) port (?<source.port>\d+)'
            types: {source.port: int}
            """);
        var (outcome, e) = Run(parser, "app: login failed for bob from 10.0.0.7 port 2222");
        Assert.Equal(ParseStatus.Matched, outcome.Status);
        Assert.Equal("bob", e.GetString("user.name"));
        Assert.Equal(FieldKind.Ip, e.Get("source.ip").Kind);
        Assert.Equal(IPAddress.Parse("10.0.0.7"), e.Get("source.ip").AsIp());
        Assert.Equal(FieldKind.Long, e.Get("source.port").Kind);
        Assert.Equal(2222, e.Get("source.port").AsLong());
        Assert.Equal("app", parser.Name);
    }

    [Fact]
    public void AnIpFieldThatIsNotAnAddressStaysText()
    {
        var parser = Build("""
            name: app
            type: regex
            pattern: 'from (?<source.ip>\S+)'
            """);
        var (_, e) = Run(parser, "from example.org");
        Assert.Equal(FieldKind.String, e.Get("source.ip").Kind);
    }

    [Fact]
    public void ThePatternsAreTriedInOrderAndTheFirstMatchWins()
    {
        var parser = Build("""
            name: app
            type: regex
            patterns:
              - 'denied (?<user.name>\w+)'
              - '(?<event.action>\w+) (?<user.name>\w+)'
            """);
        var (_, e) = Run(parser, "denied alice");
        Assert.Equal("alice", e.GetString("user.name"));
        Assert.Null(e.GetString("event.action"));
        var (_, e2) = Run(parser, "granted carol");
        Assert.Equal("granted", e2.GetString("event.action"));
        var (none, _) = Run(parser, "???");
        Assert.Equal(ParseStatus.Unmatched, none.Status);
    }

    [Fact]
    public void TheFieldOptionMatchesAnotherField()
    {
        var parser = Build("""
            name: app
            type: regex
            field: message
            pattern: '^user=(?<user.name>\w+)$'
            """);
        var e = new Event { Original = "whole line" };
        e.Set("message", "user=dave");
        Assert.Equal(ParseStatus.Matched, parser.Parse("whole line", e, Context()).Status);
        Assert.Equal("dave", e.GetString("user.name"));
        Assert.Equal(ParseOutcome.Unmatched("no field message"), parser.Parse("x", new Event(), Context()));
    }

    [Fact]
    public void PatternsWithoutBacktrackingConstructsRunOnTheLinearEngine()
    {
        var linear = (RegexParser)Build("""
            name: a
            type: regex
            pattern: '(?<x>a+)b'
            """);
        Assert.True(linear.Patterns[0].IsNonBacktracking);
        var backtracking = (RegexParser)Build("""
            name: b
            type: regex
            pattern: '(?<x>a+)\k<x>(?=b)'
            """);
        Assert.False(backtracking.Patterns[0].IsNonBacktracking);
        var (outcome, e) = Run(backtracking, "aaaab");
        Assert.Equal(ParseStatus.Matched, outcome.Status);
        Assert.Equal("aa", e.GetString("x"));
    }

    [Fact]
    public void BackreferencesToDottedGroupNamesWork()
    {
        var parser = Build("""
            name: a
            type: regex
            pattern: '(?<user.name>\w+)=\k<user.name>'
            """);
        Assert.Equal(ParseStatus.Matched, Run(parser, "bob=bob").Outcome.Status);
        Assert.Equal(ParseStatus.Unmatched, Run(parser, "bob=eve").Outcome.Status);
    }

    [Fact]
    public void ACatastrophicBacktrackingMatchFailsAsARegexTimeout()
    {
        var parser = Build("""
            name: slow
            type: regex
            pattern: '^(?<x>(a|aa)+)(?!a)c$'
            """);
        var (outcome, _) = Run(parser, new string('a', 64) + "b");
        Assert.Equal(ParseOutcome.Failed("regex timeout"), outcome);
    }

    [Fact]
    public void APrefilterSkipsLinesWithoutAnyOfItsLiterals()
    {
        var parser = Build("""
            name: app
            type: regex
            prefilter: [Failed, Invalid]
            pattern: '(?<word>\w+) (?<rest>.*)'
            """);
        Assert.Equal(ParseOutcome.Unmatched("prefilter"), Run(parser, "Accepted publickey").Outcome);
        Assert.Equal(ParseStatus.Matched, Run(parser, "Invalid user x").Outcome.Status);
    }

    [Theory]
    [InlineData(@"sshd\[\d+\]: Failed password for (?<user>\S+)", "]: Failed password for ")]
    [InlineData(@"^abc(?<x>\d+)defgh", "defgh")]
    [InlineData(@"abcdx?", "abcd")]
    [InlineData(@"abcdx*yz", "abcd")]
    [InlineData(@"abcdx{0,3}", "abcd")]
    [InlineData(@"xyzab+c", "xyzab")]
    [InlineData(@"a\.b\.c", "a.b.c")]
    [InlineData(@"\x41BCD\u0041xy", "BCD")]
    [InlineData(@"(?<a>.)(?<b>.)", null)]
    [InlineData(@"Failed|Invalid", null)]
    [InlineData(@"(?i)Failed password", null)]
    [InlineData(@"ab", null)]
    [InlineData(@"[Failed]+ password", " password")]
    public void ARequiredLiteralIsDerivedOnlyWhenEveryMatchContainsIt(string pattern, string? literal)
    {
        var derived = FieldRegex.LongestRequiredLiteral(pattern);
        if (literal is null) Assert.True(derived is null || derived.Length < 3, derived);
        else Assert.Equal(literal, derived);
    }

    [Fact]
    public void TheDerivedLiteralNeverRejectsAMatchingLine()
    {
        var parser = Build("""
            name: app
            type: regex
            pattern: 'port (?<p>\d+) ssh2?$'
            """);
        Assert.Equal(ParseStatus.Matched, Run(parser, "from 1.2.3.4 port 22 ssh").Outcome.Status);
        Assert.Equal(ParseStatus.Matched, Run(parser, "from 1.2.3.4 port 22 ssh2").Outcome.Status);
    }

    [Fact]
    public void ATypedFieldThatDoesNotConvertFailsTheLine()
    {
        var parser = Build("""
            name: app
            type: regex
            pattern: 'n=(?<count>\S+) ok=(?<ok>\S+) ratio=(?<ratio>\S+) peer=(?<peer>\S+)'
            types: {count: long, ok: bool, ratio: double, peer: ip}
            """);
        var (good, e) = Run(parser, "n=12 ok=true ratio=0.5 peer=::1");
        Assert.Equal(ParseStatus.Matched, good.Status);
        Assert.Equal(12, e.Get("count").AsLong());
        Assert.True(e.Get("ok").AsBool());
        Assert.Equal(0.5, e.Get("ratio").AsDouble());
        Assert.Equal(FieldKind.Ip, e.Get("peer").Kind);
        Assert.Equal(ParseOutcome.Failed("bad int in count: twelve"), Run(parser, "n=twelve ok=true ratio=0.5 peer=::1").Outcome);
        Assert.Equal(ParseOutcome.Failed("bad ip in peer: nowhere"), Run(parser, "n=1 ok=true ratio=0.5 peer=nowhere").Outcome);
    }

    [Fact]
    public void GroupsThatDidNotTakePartAreNotSet()
    {
        var parser = Build("""
            name: app
            type: regex
            pattern: 'a(?<x>x)?(?<y>y*)b'
            """);
        var (_, e) = Run(parser, "ab");
        Assert.Equal(0, e.FieldCount);
    }

    [Fact]
    public void ABadRegexIsAConfigErrorAtThePattern()
    {
        var ex = Assert.Throws<ConfigException>(() => Build("""
            name: app
            type: regex
            pattern: 'broken (?<x>['
            """));
        Assert.Equal(3, ex.Line);
        Assert.Equal(10, ex.Column);
        Assert.Contains("bad regex", ex.Problem);
    }

    [Fact]
    public void ABadRegexInAConfigFileFailsLoadingWithItsLineAndColumn()
    {
        var ex = Assert.Throws<ConfigException>(() => LoadConfig("""
            parsers:
              - name: app
                type: regex
                patterns:
                  - 'fine (?<a>\w+)'
                  - "unbalanced (?<b>\\w+"
            """));
        Assert.Equal(6, ex.Line);
        Assert.Equal(9, ex.Column);
        Assert.EndsWith("gumshoe.yml", ex.File);
    }

    [Fact]
    public void UnknownOptionsAreRejectedByTheLoader()
    {
        var ex = Assert.Throws<ConfigException>(() => LoadConfig("""
            parsers:
              - name: app
                type: regex
                pattern: 'x'
                patern: 'y'
            """));
        Assert.Contains("unknown key 'patern'", ex.Problem);
    }

    [Fact]
    public void AMissingPatternIsAConfigError()
    {
        var ex = Assert.Throws<ConfigException>(() => Build("""
            name: app
            type: regex
            """));
        Assert.Contains("pattern", ex.Problem);
    }
}
