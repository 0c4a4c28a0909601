using Gumshoe.Engine.Actions.Notifiers;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Inputs.Saas;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Parsers.Packs;
using Gumshoe.Engine.Parsers.Packs.Saas;
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
        .AddPack("google_workspace", () => new GoogleWorkspaceParser())
        .AddPack("slack_audit", () => new SlackAuditParser())
        .AddPack("slack_access", () => new SlackAccessLogParser())
        .AddPack("okta", () => new OktaSystemLogParser())
        .AddPack("azure_ad", () => new EntraSignInParser())
        .AddPack("github_audit", () => new GitHubAuditParser())
        .AddPack("aws_cloudtrail", () => new CloudTrailParser())
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
        .AddInput("google_workspace", GoogleWorkspacePoller.Create)
        .AddInput("slack_audit", SlackAuditPoller.Create)
        .AddInput("slack_access_logs", SlackAccessLogsPoller.Create)
        .AddInput("okta", OktaSystemLogPoller.Create)
        .AddInput("entra_signins", EntraSignInPoller.Create)
        .AddInput("github_audit", GitHubAuditPoller.Create)
        .AddInput("aws_cloudtrail", CloudTrailPoller.Create)
        // actions
        .AddAction("slack", SlackNotifier.Create)
        .AddAction("teams", TeamsNotifier.Create)
        .AddAction("email", EmailNotifier.Create);
}
