namespace Gumshoe.Engine.Tests.Parsers;

public class ParserRegistrationTests
{
    [Fact]
    public void EveryParserTypeAndPackIsRegistered()
    {
        var registry = BuiltInComponents.Create();
        Assert.Superset(new HashSet<string> { "regex", "grok", "json", "kv", "chain" }, registry.ParserTypes.ToHashSet());
        Assert.Superset(new HashSet<string> { "sshd", "syslog", "sudo", "web_access", "suricata", "netfilter", "json", "kv" }, registry.PackNames.ToHashSet());
        foreach (var name in registry.PackNames)
        {
            Assert.True(registry.TryCreatePack(name, out var parser));
            Assert.Equal(name, parser.Name);
        }
    }
}
