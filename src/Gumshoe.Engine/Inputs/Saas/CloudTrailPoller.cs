using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>
/// AWS CloudTrail <c>LookupEvents</c> for one event name (<c>ConsoleLogin</c> by default), signed with SigV4:
/// <c>StartTime</c>/<c>EndTime</c> in epoch seconds, following <c>NextToken</c>. Console sign-ins through the global
/// endpoint are logged in us-east-1. Throttling (400 <c>ThrottlingException</c>) is backed off like a 429.
/// </summary>
public sealed class CloudTrailPoller(string name, IParser parser, PollerOptions options, string endpoint, AwsSigV4Signer signer, string eventName)
    : SaasPoller(name, parser, options, ["lookup_events"])
{
    private const string Target = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents";

    protected override IRequestAuthenticator Authenticator => signer;

    protected override string AccessHint => "the access key needs the IAM permission cloudtrail:LookupEvents in this region";

    public static IInput Create(ConfigNode node, ComponentContext context)
    {
        var (name, parser, options) = Common(node, context, "aws_cloudtrail", new PollerOptions { PageSize = 50 });
        var region = Required(node, "region", "the AWS region, us-east-1 for global console sign-ins");
        if (!region.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')) throw node.Get("region")!.Error($"'{region}' is not an AWS region name");
        var keyId = Required(node, "access_key_id", "an access key with cloudtrail:LookupEvents");
        var secret = Required(node, "secret_access_key", "the access key's secret");
        var session = node.String("session_token");
        var endpoint = BaseUrl(node, "endpoint", $"https://cloudtrail.{region}.amazonaws.com");
        var eventName = node.String("event_name") ?? "ConsoleLogin";
        return new CloudTrailPoller(name, parser, options, endpoint, new AwsSigV4Signer(keyId, secret, region, "cloudtrail", string.IsNullOrEmpty(session) ? null : session), eventName);
    }

    protected override async IAsyncEnumerable<IReadOnlyList<PolledItem>> ReadAsync(WindowRead read, [EnumeratorCancellation] CancellationToken ct)
    {
        string? nextToken = null;
        var url = new Uri(endpoint + "/");
        while (true)
        {
            var body = new JsonObject
            {
                ["LookupAttributes"] = new JsonArray(new JsonObject { ["AttributeKey"] = "EventName", ["AttributeValue"] = eventName }),
                ["StartTime"] = read.Window.Start.ToUnixTimeSeconds(),
                ["EndTime"] = (long)Math.Ceiling(read.Window.End.ToUnixTimeMilliseconds() / 1000.0),
                ["MaxResults"] = Math.Min(read.Options.PageSize, 50),
            };
            if (nextToken is not null) body["NextToken"] = nextToken;
            var json = body.ToJsonString();
            using var response = await read.Api.SendAsync(() =>
            {
                var r = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8) };
                r.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-amz-json-1.1");
                r.Headers.TryAddWithoutValidation("X-Amz-Target", Target);
                return r;
            }, ct, IsThrottled);
            var items = new List<PolledItem>();
            if (response.Root.ValueKind == JsonValueKind.Object && response.Root.TryGetProperty("Events", out var events) && events.ValueKind == JsonValueKind.Array)
            {
                var n = 0;
                foreach (var ev in events.EnumerateArray())
                {
                    n++;
                    var id = JsonTime.Str(ev, "EventId");
                    if (id is null || !ev.TryGetProperty("EventTime", out var et) || !JsonTime.TryEpochSeconds(et, out var t))
                    {
                        read.BadItem("item_without_id", $"{ApiClient.Redact(url)} event {n}");
                        continue;
                    }
                    items.Add(new PolledItem(id, t, ev.GetRawText()));
                }
            }
            yield return items;
            var next = JsonTime.Str(response.Root, "NextToken");
            if (string.IsNullOrEmpty(next) || !read.FirstVisit(next)) yield break;
            nextToken = next;
        }
    }

    private static bool IsThrottled(HttpStatusCode status, string body) =>
        status == HttpStatusCode.BadRequest && (body.Contains("ThrottlingException", StringComparison.Ordinal) || body.Contains("RequestLimitExceeded", StringComparison.Ordinal));
}
