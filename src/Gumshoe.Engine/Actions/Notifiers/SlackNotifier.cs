using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;

namespace Gumshoe.Engine.Actions.Notifiers;

/// <summary>
/// Posts to Slack (<c>- slack: {…}</c> under a rule's <c>then:</c>): with a bot token through
/// <c>chat.postMessage</c>, or to an incoming-webhook URL. The message is Block Kit: a header with the alert, then
/// who, what happened, from where and when, and buttons linking to the user's and the address's entity pages in
/// the web UI. 429 answers are retried after their <c>Retry-After</c>; what finally fails is dead-lettered.
/// </summary>
public sealed class SlackNotifier : IAction, IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri? _webhook;
    private readonly Uri _api;
    private readonly string? _token;
    private readonly string? _channel;
    private readonly string? _webUrl;
    private readonly Template? _text;
    private readonly NotificationDelivery _delivery;

    public SlackNotifier(Uri? webhook, Uri api, string? token, string? channel, string? webUrl, Template? text, DeliveryOptions delivery, HttpMessageHandler? handler = null)
    {
        _webhook = webhook;
        _api = api;
        _token = token;
        _channel = channel;
        _webUrl = webUrl;
        _text = text;
        _delivery = new NotificationDelivery("slack", delivery);
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.Timeout = Timeout.InfiniteTimeSpan;
    }

    public string Type => "slack";

    public NotificationDelivery Delivery => _delivery;

    public static IAction Create(ConfigNode node, ComponentContext context)
    {
        var webhook = node.String("webhook_url");
        var token = node.String("token");
        var channel = node.String("channel");
        if (string.IsNullOrEmpty(webhook) == string.IsNullOrEmpty(token))
            throw node.Error("slack needs either 'webhook_url' (an incoming webhook) or 'token' (a bot token with chat:write) and 'channel'");
        if (!string.IsNullOrEmpty(token) && string.IsNullOrEmpty(channel)) throw node.Error("slack with a 'token' needs a 'channel' (#security or a channel id)");
        var text = node.String("text");
        return new SlackNotifier(
            string.IsNullOrEmpty(webhook) ? null : HttpUrl(node, "webhook_url", webhook),
            HttpUrl(node, "api_url", node.String("api_url") ?? "https://slack.com/api"),
            string.IsNullOrEmpty(token) ? null : token, channel, node.String("web_url"),
            text is null ? null : new Template(text), DeliveryOptions.Read(node));
    }

    internal static Uri HttpUrl(ConfigNode node, string key, string text) =>
        Uri.TryCreate(text.TrimEnd('/'), UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? u : throw node.Get(key)!.Error($"'{key}' must be an http(s) URL");

    /// <summary>The Block Kit message for a request (without the channel).</summary>
    public JsonObject Message(ActionRequest request)
    {
        var c = NotificationContent.From(request, _webUrl);
        var text = _text?.Render(request.Event, request.Values) ?? c.Summary;
        var blocks = new JsonArray
        {
            (JsonNode)new JsonObject { ["type"] = "header", ["text"] = PlainText(Cut(c.Title, 150)) },
            (JsonNode)new JsonObject
            {
                ["type"] = "section",
                ["fields"] = new JsonArray(Field("Who", c.Who), Field("What happened", c.What), Field("From where", c.Where), Field("When", c.When)),
            },
        };
        if (_text is not null) blocks.Add((JsonNode)new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = Escape(Cut(text, 3000)) } });
        var buttons = new JsonArray();
        if (c.UserLink is not null) buttons.Add((JsonNode)Button("Open user", c.UserLink));
        if (c.IpLink is not null) buttons.Add((JsonNode)Button("Open address", c.IpLink));
        if (buttons.Count > 0) blocks.Add((JsonNode)new JsonObject { ["type"] = "actions", ["elements"] = buttons });
        return new JsonObject { ["text"] = text, ["blocks"] = blocks };
    }

    public Task ExecuteAsync(ActionRequest request, CancellationToken cancellationToken)
    {
        var message = Message(request);
        var destination = _webhook is not null ? $"webhook {_webhook.Host}" : $"{_channel} via {_api.Host}";
        return _delivery.SendAsync(request, destination, ct => PostAsync(message, ct), cancellationToken);
    }

    private async Task PostAsync(JsonObject message, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, _webhook ?? new Uri(_api.AbsoluteUri.TrimEnd('/') + "/chat.postMessage"));
        if (_webhook is null)
        {
            message = (JsonObject)message.DeepClone();
            message["channel"] = _channel;
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }
        req.Content = new StringContent(message.ToJsonString(), Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try { response = await _http.SendAsync(req, ct); }
        catch (HttpRequestException ex) { throw new ActionFailedException($"cannot reach Slack: {ex.Message}", retryable: true, inner: ex); }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                throw new ActionFailedException("Slack rate limit (429)", retryable: true, response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
            if ((int)response.StatusCode >= 500) throw new ActionFailedException($"Slack answered {(int)response.StatusCode}", retryable: true);
            if (!response.IsSuccessStatusCode) throw new ActionFailedException($"Slack answered {(int)response.StatusCode}: {Cut(body, 200)}", retryable: false);
            if (_webhook is not null) return;   // an incoming webhook answers 200 "ok"
            try
            {
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True) return;
                var error = doc.RootElement.TryGetProperty("error", out var e) ? e.GetString() : "unknown_error";
                // ratelimited and internal errors pass; a bad channel or token does not get better by retrying
                throw new ActionFailedException($"chat.postMessage: {error}", retryable: error is "ratelimited" or "internal_error" or "service_unavailable" or "fatal_error");
            }
            catch (JsonException) { throw new ActionFailedException("chat.postMessage answered without JSON", retryable: true); }
        }
    }

    private static JsonObject PlainText(string text) => new() { ["type"] = "plain_text", ["text"] = text };
    private static JsonObject Field(string label, string value) => new() { ["type"] = "mrkdwn", ["text"] = $"*{label}*\n{Escape(Cut(value, 1900))}" };
    private static JsonObject Button(string label, string url) => new() { ["type"] = "button", ["text"] = PlainText(label), ["url"] = url };

    // event data must not become Slack markup (mentions, links): &, < and > are escaped as Slack documents
    private static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
    private static string Cut(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    public void Dispose() => _http.Dispose();
}
