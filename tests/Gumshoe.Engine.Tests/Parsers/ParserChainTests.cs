using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Parsers;
using static Gumshoe.Engine.Tests.Parsers.ParserTestKit;

namespace Gumshoe.Engine.Tests.Parsers;

public class ParserChainTests
{
    // A stand-in for the rule condition compiler: "{field: value}" means equality.
    private static Func<Event, bool> Equality(ConfigNode node)
    {
        var (field, value) = node.Entries.Single();
        var expected = value.AsString();
        return e => e.GetString(field) == expected;
    }

    private const string SyslogThenRegex = """
        name: app
        type: chain
        steps:
          - parser: syslog
          - parser:
              type: regex
              pattern: '^user=(?<user.name>\w+) from (?<source.ip>\S+)$'
        """;

    [Fact]
    public void ALaterStepReadsTheMessageTheFirstStepSet()
    {
        var (outcome, e) = Run(Build(SyslogThenRegex), "Mar  4 10:00:00 web1 app[7]: user=zoe from 10.2.3.4");
        Assert.Equal(ParseStatus.Matched, outcome.Status);
        Assert.Equal("web1", e.GetString("host.name"));
        Assert.Equal("zoe", e.GetString("user.name"));
        Assert.Equal(FieldKind.Ip, e.Get("source.ip").Kind);
        Assert.Equal(new DateTimeOffset(2024, 3, 4, 10, 0, 0, TimeSpan.Zero), e.Timestamp);
    }

    [Fact]
    public void TheChainFailsWhenARequiredStepDoesNotMatch()
    {
        Assert.Equal(ParseStatus.Unmatched, Run(Build(SyslogThenRegex), "Mar  4 10:00:00 web1 app[7]: something else").Outcome.Status);
        Assert.Equal(ParseOutcome.Unmatched("not a syslog line"), Run(Build(SyslogThenRegex), "no header").Outcome);
    }

    [Fact]
    public void AnOptionalStepMayMissAndAFieldCanBeChosen()
    {
        var parser = Build("""
            name: app
            type: chain
            steps:
              - parser: syslog
              - parser: {type: regex, pattern: 'id=(?<event.id>\d+)'}
                optional: true
              - parser: {type: regex, pattern: '^(?<host.short>[a-z]+)'}
                field: host.name
            """);
        var (outcome, e) = Run(parser, "Mar  4 10:00:00 web1 app: no id here");
        Assert.Equal(ParseStatus.Matched, outcome.Status);
        Assert.Equal("web", e.GetString("host.short"));
        Assert.Null(e.GetString("event.id"));
    }

    [Fact]
    public void AWhenConditionSkipsAStep()
    {
        var parser = Build("""
            name: app
            type: chain
            steps:
              - parser: syslog
              - parser: {type: kv}
                when: {process.name: fw}
              - parser: {type: regex, pattern: '^(?<event.action>\w+)'}
                when: {process.name: app}
            """, Components(Equality));
        var (_, fw) = Run(parser, "Mar  4 10:00:00 h fw: act=drop");
        Assert.Equal("drop", fw.GetString("act"));
        Assert.Null(fw.GetString("event.action"));
        var (_, app) = Run(parser, "Mar  4 10:00:00 h app: started act=x");
        Assert.Equal("started", app.GetString("event.action"));
        Assert.Null(app.GetString("act"));
    }

    [Fact]
    public void AWhenConditionWithoutACompilerIsAConfigError()
    {
        var ex = Assert.Throws<ConfigException>(() => Build("""
            name: app
            type: chain
            steps:
              - parser: syslog
              - parser: kv
                when: {process.name: fw}
            """));
        Assert.Contains("conditions are unavailable", ex.Problem);
        Assert.Equal(6, ex.Line);
    }

    [Theory]
    [InlineData("# a comment")]
    [InlineData("   #indented comment")]
    public void CommentLinesAreDroppedBeforeAnyParserRuns(string line)
    {
        Assert.Equal(ParseOutcome.Dropped("comment"), Run(Build(SyslogThenRegex), line).Outcome);
    }

    [Fact]
    public void CommentDroppingCanBeTurnedOff()
    {
        var parser = Build("""
            name: app
            type: chain
            drop_comments: false
            steps:
              - parser: {type: regex, pattern: '^# (?<message>.*)'}
            """);
        Assert.Equal("note", Run(parser, "# note").Event.GetString("message"));
    }

    [Fact]
    public void StepsMayNameConfiguredParsersAndUnknownNamesAreConfigErrors()
    {
        var config = LoadConfig("""
            parsers:
              - name: user_regex
                type: regex
                pattern: 'user=(?<user.name>\w+)'
              - name: app
                type: chain
                steps:
                  - parser: syslog
                  - parser: user_regex
            """);
        var (_, e) = Run(config.Parsers["app"], "Mar  4 10:00:00 h app: user=kim");
        Assert.Equal("kim", e.GetString("user.name"));

        var ex = Assert.Throws<ConfigException>(() => LoadConfig("""
            parsers:
              - name: app
                type: chain
                steps:
                  - parser: nosuch
            """));
        Assert.Contains("unknown parser 'nosuch'", ex.Problem);
    }

    [Fact]
    public void UnknownKeysOfStepsAndInlineParsersAreRejected()
    {
        var step = Assert.Throws<ConfigException>(() => Build("""
            name: app
            type: chain
            steps:
              - parser: syslog
                optinal: true
            """));
        Assert.Contains("unknown key 'optinal'", step.Problem);
        var inline = Assert.Throws<ConfigException>(() => Build("""
            name: app
            type: chain
            steps:
              - parser: {type: kv, sep: ','}
            """));
        Assert.Contains("unknown key 'sep'", inline.Problem);
    }

    [Fact]
    public void ADropFromALaterStepDropsTheLine()
    {
        var chain = new ParserChain("c", [new ChainStep(new SyslogLineParser()), new ChainStep(new DroppingParser(), Optional: true)]);
        Assert.Equal(ParseOutcome.Dropped("noise"), Run(chain, "Mar  4 10:00:00 h app: x").Outcome);
    }

    private sealed class DroppingParser : IParser
    {
        public string Name => "drop";
        public ParseOutcome Parse(string line, Event e, ParseContext context) => ParseOutcome.Dropped("noise");
    }
}
