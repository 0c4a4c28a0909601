using Gumshoe.Engine.Actions.Notifiers;
using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Analytics.Logins;
using Gumshoe.Engine.Cluster;
using Gumshoe.Engine.Decisions;
using Gumshoe.Engine.Enrich;
using Gumshoe.Engine.Inputs.Saas;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers.Packs.Saas;
using Gumshoe.Engine.Parsers.Packs;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Storage;

namespace Gumshoe.Engine;

/// <summary>The one place built-in components are registered: one line each, each its own statement.</summary>
public static class BuiltInComponents
{
    public static ComponentRegistry Create()
    {
        var r = new ComponentRegistry();
        r.AddPack("syslog", () => new SyslogLineParser());
        r.AddPack("sshd", () => new SshdParser());
        r.AddPack("sudo", () => new SudoParser());
        r.AddPack("web_access", () => new WebAccessParser());
        r.AddPack("suricata", () => new SuricataEveParser());
        r.AddPack("netfilter", () => new NetfilterParser());
        r.AddPack("json", () => new JsonLineParser());
        r.AddPack("kv", () => new KeyValueParser());
        r.AddPack("google_workspace", () => new GoogleWorkspaceParser());
        r.AddPack("slack_audit", () => new SlackAuditParser());
        r.AddPack("slack_access", () => new SlackAccessLogParser());
        r.AddPack("okta", () => new OktaSystemLogParser());
        r.AddPack("azure_ad", () => new EntraSignInParser());
        r.AddPack("github_audit", () => new GitHubAuditParser());
        r.AddPack("aws_cloudtrail", () => new CloudTrailParser());
        r.AddParser("regex", RegexParser.Create);
        r.AddParser("grok", GrokParser.Create);
        r.AddParser("json", JsonLineParser.Create);
        r.AddParser("kv", KeyValueParser.Create);
        r.AddParser("chain", ParserChain.Create);
        r.AddInput("file", FileTailInput.Create);
        r.AddInput("stdin", StdinInput.Create);
        r.AddInput("syslog", SyslogInput.Create);
        r.AddInput("tcp_jsonlines", JsonLinesTcpInput.Create);
        r.AddInput("http_jsonlines", HttpJsonLinesInput.Create);
        r.AddInput("google_workspace", GoogleWorkspacePoller.Create);
        r.AddInput("slack_audit", SlackAuditPoller.Create);
        r.AddInput("slack_access_logs", SlackAccessLogsPoller.Create);
        r.AddInput("okta", OktaSystemLogPoller.Create);
        r.AddInput("entra_signins", EntraSignInPoller.Create);
        r.AddInput("github_audit", GitHubAuditPoller.Create);
        r.AddInput("aws_cloudtrail", CloudTrailPoller.Create);
        r.AddEnricher("geoip", GeoIpEnricher.Create);
        r.AddEnricher("user_agent", UserAgentEnricher.Create);
        r.AddEnricher("identity", IdentityEnricher.Create);
        r.AddEnricher("sql_lookup", SqlLookupEnricher.Create);
        r.AddEnricher("ldap_lookup", LdapLookupEnricher.Create);
        r.AddSection("storage", StorageOptions.ReadSection);
        r.AddSection("analytics", AnalyticsSection.Read);
        r.AddSection("actions", ActionJournalOptions.Read);
        r.AddSection("cluster", ClusterOptions.Read);
        r.AddAction("decision", DecisionAction.Create);
        r.AddAction("slack", SlackNotifier.Create);
        r.AddAction("teams", TeamsNotifier.Create);
        r.AddAction("email", EmailNotifier.Create);
        r.AddAction("exec", ExecAction.Create);
        r.AddAction("webhook", WebhookAction.Create);
        r.AddAction("log", LogAction.Create);
        return r;
    }
}
