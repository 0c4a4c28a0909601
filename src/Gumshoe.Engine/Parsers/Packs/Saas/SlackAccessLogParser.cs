using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers.Packs.Saas;

/// <summary>
/// One Slack <c>team.accessLogs</c> row (<c>slack_access</c> pack): an aggregate per (user, IP, user agent) read as a
/// successful access at <c>date_last</c>, dataset <c>slack.access_logs</c>, id <c>user_id|ip|user_agent|date_last</c>.
/// </summary>
public sealed class SlackAccessLogParser(string name = "slack_access") : IParser
{
    public string Name { get; } = name;

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        if (!SaasEventFields.TryOpen(line, e, out var doc, out var failure)) return failure;
        using (doc)
        {
            var root = doc.RootElement;
            var user = SaasEventFields.Str(root, "user_id");
            var last = SaasEventFields.At(root, "date_last");
            if (user is null || !SaasEventFields.TryEpochSeconds(last, out var ts)) return ParseOutcome.Unmatched("not a Slack access-log row (no user_id/date_last)");
            e.Timestamp = ts;
            var ip = SaasEventFields.Str(root, "ip");
            var ua = SaasEventFields.Str(root, "user_agent");
            SaasEventFields.Classify(e, "slack", "slack.access_logs", $"{user}|{ip}|{ua}|{last}", "access", "success");
            SaasEventFields.Set(e, "user.id", user);
            SaasEventFields.Set(e, Ecs.UserName, SaasEventFields.Str(root, "username"));
            SaasEventFields.Source(e, ip);
            SaasEventFields.Set(e, "user_agent.original", ua);
            if (SaasEventFields.Str(root, "count") is { } count && long.TryParse(count, out var n)) e.Set("slack.access.count", n);
            if (SaasEventFields.TryEpochSeconds(SaasEventFields.At(root, "date_first"), out var first)) e.Set("slack.access.date_first", FieldValue.Timestamp(first));
            SaasEventFields.Set(e, "saas.vendor_geo.country_iso_code", SaasEventFields.Str(root, "country"));
            SaasEventFields.Set(e, "saas.vendor_geo.region", SaasEventFields.Str(root, "region"));
            SaasEventFields.Set(e, "saas.vendor_isp", SaasEventFields.Str(root, "isp"));
            SaasEventFields.Related(e);
        }
        return ParseOutcome.Matched;
    }
}
