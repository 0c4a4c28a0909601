using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Parsers.Packs;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine;

/// <summary>The one place built-in inputs, parsers and packs are registered: one line each.</summary>
public static class BuiltInComponents
{
    public static ComponentRegistry Create() => new ComponentRegistry()
        // parser packs, usable by name
        .AddPack("syslog", () => new SyslogLineParser())
        .AddPack("sshd", () => new SshdParser())
        .AddPack("sudo", () => new SudoParser())
        .AddPack("web_access", () => new WebAccessParser())
        .AddPack("suricata", () => new SuricataEveParser())
        .AddPack("netfilter", () => new NetfilterParser())
        .AddPack("json", () => new JsonLineParser())
        .AddPack("kv", () => new KeyValueParser())
        // configurable parser types
        .AddParser("regex", RegexParser.Create)
        .AddParser("grok", GrokParser.Create)
        .AddParser("json", JsonLineParser.Create)
        .AddParser("kv", KeyValueParser.Create)
        .AddParser("chain", ParserChain.Create)
        // inputs
        .AddInput("file", FileTailInput.Create)
        .AddInput("stdin", StdinInput.Create)
        .AddInput("syslog", SyslogInput.Create)
        .AddInput("tcp_jsonlines", JsonLinesTcpInput.Create)
        .AddInput("http_jsonlines", HttpJsonLinesInput.Create)
        // actions (alert, emit and call are part of the rules themselves)
        .AddAction("exec", ExecAction.Create)
        .AddAction("webhook", WebhookAction.Create)
        .AddAction("log", LogAction.Create)
        .AddSection("actions", ActionJournalOptions.Read);
}
