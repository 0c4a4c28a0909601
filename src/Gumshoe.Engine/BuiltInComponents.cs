using Gumshoe.Engine.Decisions;
using Gumshoe.Engine.Enrich;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Parsers.Packs;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Storage;

namespace Gumshoe.Engine;

/// <summary>The one place built-in inputs, parsers and packs are registered: one line each, each its own statement.</summary>
public static class BuiltInComponents
{
    public static ComponentRegistry Create()
    {
        var r = new ComponentRegistry();
        // parser packs, usable by name
        r.AddPack("syslog", () => new SyslogLineParser());
        r.AddPack("sshd", () => new SshdParser());
        r.AddPack("sudo", () => new SudoParser());
        r.AddPack("web_access", () => new WebAccessParser());
        r.AddPack("suricata", () => new SuricataEveParser());
        r.AddPack("netfilter", () => new NetfilterParser());
        r.AddPack("json", () => new JsonLineParser());
        r.AddPack("kv", () => new KeyValueParser());
        // configurable parser types
        r.AddParser("regex", RegexParser.Create);
        r.AddParser("grok", GrokParser.Create);
        r.AddParser("json", JsonLineParser.Create);
        r.AddParser("kv", KeyValueParser.Create);
        r.AddParser("chain", ParserChain.Create);
        // inputs
        r.AddInput("file", FileTailInput.Create);
        r.AddInput("stdin", StdinInput.Create);
        r.AddInput("syslog", SyslogInput.Create);
        r.AddInput("tcp_jsonlines", JsonLinesTcpInput.Create);
        r.AddInput("http_jsonlines", HttpJsonLinesInput.Create);
        // sections
        r.AddSection("storage", StorageOptions.ReadSection);
        // actions
        r.AddAction("decision", DecisionAction.Create);
        // enrichers, configured under enrich: and run in the order written there
        r.AddEnricher("geoip", GeoIpEnricher.Create);
        r.AddEnricher("user_agent", UserAgentEnricher.Create);
        r.AddEnricher("identity", IdentityEnricher.Create);
        r.AddEnricher("sql_lookup", SqlLookupEnricher.Create);
        r.AddEnricher("ldap_lookup", LdapLookupEnricher.Create);
        return r;
    }
}
