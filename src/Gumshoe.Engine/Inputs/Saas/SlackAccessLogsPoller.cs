using System.Runtime.CompilerServices;
using System.Text.Json;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>
/// Slack <c>team.accessLogs</c> (paid plans without the Audit Logs API). Each row aggregates one
/// (user, IP, user agent); a row whose <c>date_last</c> falls in the window is one login observation, with the id
/// <c>user_id|ip|user_agent|date_last</c>. Rows come newest <c>date_last</c> first, so paging stops at the first
/// row older than the window.
/// </summary>
public sealed class SlackAccessLogsPoller(string name, IParser parser, PollerOptions options, string baseUrl, string token, string? teamId)
    : SaasPoller(name, parser, options, ["access_logs"])
{
    private readonly StaticTokenAuthenticator _auth = new("Bearer", token);

    protected override IRequestAuthenticator Authenticator => _auth;

    protected override string AccessHint => "team.accessLogs needs a user token with the admin scope on a paid Slack plan";

    public static IInput Create(ConfigNode node, ComponentContext context)
    {
        var (name, parser, options) = Common(node, context, "slack_access", new PollerOptions { PageSize = 1000 });
        var token = Required(node, "token", "a user token with the admin scope");
        return new SlackAccessLogsPoller(name, parser, options, BaseUrl(node, "base_url", "https://slack.com/api"), token, node.String("team_id"));
    }

    /// <summary>The observation id of an access-log row.</summary>
    public static string RowId(JsonElement row) =>
        $"{JsonTime.Str(row, "user_id")}|{JsonTime.Str(row, "ip")}|{JsonTime.Str(row, "user_agent")}|{JsonTime.At(row, "date_last")}";

    protected override async IAsyncEnumerable<IReadOnlyList<PolledItem>> ReadAsync(WindowRead read, [EnumeratorCancellation] CancellationToken ct)
    {
        string? cursor = null;
        var before = (long)Math.Ceiling(read.Window.End.ToUnixTimeMilliseconds() / 1000.0);
        while (true)
        {
            var query = $"before={before}&limit={Math.Min(read.Options.PageSize, 1000)}";
            if (teamId is not null) query += "&team_id=" + Uri.EscapeDataString(teamId);
            if (cursor is not null) query += "&cursor=" + Uri.EscapeDataString(cursor);
            var url = new Uri($"{baseUrl}/team.accessLogs?{query}");
            using var response = await read.Api.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), ct);
            if (response.Root.ValueKind != JsonValueKind.Object || !response.Root.TryGetProperty("ok", out var ok) || ok.ValueKind != JsonValueKind.True)
                throw SlackError.From(response.Root, url, AccessHint);
            var items = new List<PolledItem>();
            var older = false;
            if (response.Root.TryGetProperty("logins", out var logins) && logins.ValueKind == JsonValueKind.Array)
            {
                var n = 0;
                foreach (var row in logins.EnumerateArray())
                {
                    n++;
                    if (JsonTime.Str(row, "user_id") is null || !row.TryGetProperty("date_last", out var dl) || !JsonTime.TryEpochSeconds(dl, out var t))
                    {
                        read.BadItem("item_without_id", $"{ApiClient.Redact(url)} row {n}");
                        continue;
                    }
                    if (t < read.Window.Start) older = true;
                    items.Add(new PolledItem(RowId(row), t, row.GetRawText()));
                }
            }
            yield return items;
            if (older) yield break;
            var next = JsonTime.Str(JsonTime.At(response.Root, "response_metadata"), "next_cursor");
            if (string.IsNullOrEmpty(next) || !read.FirstVisit(next)) yield break;
            cursor = next;
        }
    }
}
