using System.Text.Json;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Parsers.Packs.Saas;

/// <summary>
/// One CloudTrail <c>LookupEvents</c> item (<c>aws_cloudtrail</c> pack), whose <c>CloudTrailEvent</c> is the full record
/// as a JSON string: <c>ConsoleLogin</c> outcome from <c>responseElements.ConsoleLogin</c> (else from
/// <c>errorCode</c>), user name (<c>root</c> for the root user), ARN as <c>user.id</c>, MFA use in <c>labels.mfa_used</c>.
/// A bare CloudTrail record (from an S3 trail) is read the same way.
/// </summary>
public sealed class CloudTrailParser(string name = "aws_cloudtrail") : IParser
{
    public string Name { get; } = name;

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        if (!SaasEventFields.TryOpen(line, e, out var outer, out var failure)) return failure;
        using (outer)
        {
            var item = outer.RootElement;
            JsonDocument? inner = null;
            try
            {
                JsonElement record;
                if (SaasEventFields.At(item, "CloudTrailEvent") is { ValueKind: JsonValueKind.String } text)
                {
                    try { inner = JsonDocument.Parse(text.GetString()!); }
                    catch (JsonException ex) { return ParseOutcome.Failed($"CloudTrailEvent is not JSON: {ex.Message}"); }
                    record = inner.RootElement;
                }
                else record = item;
                var id = SaasEventFields.Str(item, "EventId") ?? SaasEventFields.Str(record, "eventID");
                if (id is null) return ParseOutcome.Unmatched("not a CloudTrail event (no EventId/eventID)");
                if (SaasEventFields.TryTime(SaasEventFields.At(record, "eventTime"), out var ts) || SaasEventFields.TryEpochSeconds(SaasEventFields.At(item, "EventTime"), out ts))
                    e.Timestamp = ts;
                else return ParseOutcome.Failed("CloudTrail event without eventTime");
                var action = SaasEventFields.Str(record, "eventName") ?? SaasEventFields.Str(item, "EventName") ?? "unknown";
                var login = SaasEventFields.Str(record, "responseElements", "ConsoleLogin");
                var outcome = login is not null
                    ? (login.Equals("Success", StringComparison.OrdinalIgnoreCase) ? "success" : "failure")
                    : SaasEventFields.Str(record, "errorCode") is not null ? "failure" : "success";
                var signIn = SaasEventFields.Str(record, "eventSource") == "signin.amazonaws.com";
                SaasEventFields.Classify(e, "aws", "aws.cloudtrail", id, action, outcome, "event", signIn ? "start" : "info", signIn ? "authentication" : null);
                var identityType = SaasEventFields.Str(record, "userIdentity", "type");
                var user = SaasEventFields.Str(record, "userIdentity", "userName") ?? (identityType == "Root" ? "root" : SaasEventFields.Str(item, "Username"));
                SaasEventFields.Set(e, Ecs.UserName, user);
                SaasEventFields.Set(e, "user.id", SaasEventFields.Str(record, "userIdentity", "arn"));
                SaasEventFields.Set(e, "aws.cloudtrail.user_identity.type", identityType);
                SaasEventFields.Source(e, SaasEventFields.Str(record, "sourceIPAddress"));
                SaasEventFields.Set(e, "user_agent.original", SaasEventFields.Str(record, "userAgent"));
                SaasEventFields.Set(e, Ecs.EventReason, SaasEventFields.Str(record, "errorMessage"));
                if (SaasEventFields.Str(record, "additionalEventData", "MFAUsed") is { } mfa)
                {
                    e.Set("labels.mfa_used", mfa);
                    e.Set("saas.mfa_used", mfa);
                }
                SaasEventFields.Set(e, "organization.id", SaasEventFields.Str(record, "recipientAccountId"));
                SaasEventFields.Set(e, "cloud.region", SaasEventFields.Str(record, "awsRegion"));
                SaasEventFields.Related(e);
            }
            finally { inner?.Dispose(); }
        }
        return ParseOutcome.Matched;
    }
}
