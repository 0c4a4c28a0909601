using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using YamlDotNet.RepresentationModel;

namespace Gumshoe.Engine.Actions.Notifiers;

/// <summary>
/// Posts a JSON body to a chat webhook (<c>- teams: {url: …}</c>): Microsoft Teams (Workflows or connector
/// webhooks), Mattermost, Google Chat, Discord … The <c>body</c> is a YAML mapping or a JSON text whose string
/// values are templates (<c>{user.email}</c>, <c>{rule}</c>, <c>{who}</c>, <c>{what}</c>, <c>{where}</c>, <c>{link}</c>);
/// values are filled in as JSON strings, so event data cannot break the document. Without a body an Adaptive Card
/// is sent. 429/5xx are retried (after <c>Retry-After</c>); what finally fails is dead-lettered.
/// </summary>
public sealed class TeamsNotifier : IAction, IDisposable
{
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly Uri _url;
    private readonly JsonNode _body;
    private readonly string? _webUrl;
    private readonly NotificationDelivery _delivery;

    public TeamsNotifier(Uri url, JsonNode? body, string? webUrl, DeliveryOptions delivery)
    {
        _url = url;
        _body = body ?? DefaultCard();
        _webUrl = webUrl;
        _delivery = new NotificationDelivery("teams", delivery);
    }

    public string Type => "teams";

    public NotificationDelivery Delivery => _delivery;

    public static IAction Create(ConfigNode node, ComponentContext context)
    {
        var url = SlackNotifier.HttpUrl(node, "url", node.Required("url").AsString());
        JsonNode? body = null;
        if (node.Get("body") is { IsNull: false } b)
        {
            if (b.IsScalar)
            {
                try { body = JsonNode.Parse(b.AsString()); }
                catch (JsonException ex) { throw b.Error($"'body' is not JSON: {ex.Message}"); }
            }
            else body = FromYaml(b.Node);
        }
        return new TeamsNotifier(url, body, node.String("web_url"), DeliveryOptions.Read(node));
    }

    /// <summary>The body for a request: every string value rendered as a template.</summary>
    public JsonNode Body(ActionRequest request)
    {
        var c = NotificationContent.From(request, _webUrl);
        var values = new Dictionary<string, string>(request.Values, StringComparer.Ordinal)
        {
            ["title"] = c.Title, ["who"] = c.Who, ["what"] = c.What, ["where"] = c.Where, ["when"] = c.When,
            ["link"] = c.UserLink ?? c.IpLink ?? "", ["user_link"] = c.UserLink ?? "", ["ip_link"] = c.IpLink ?? "", ["summary"] = c.Summary,
        };
        values.TryAdd("rule", request.Rule);
        return Render(_body, request, values);
    }

    public Task ExecuteAsync(ActionRequest request, CancellationToken cancellationToken)
    {
        var json = Body(request).ToJsonString();
        return _delivery.SendAsync(request, $"webhook {_url.Host}", async ct =>
        {
            using var content = new StringContent(json, Encoding.UTF8, "application/json");
            HttpResponseMessage response;
            try { response = await _http.PostAsync(_url, content, ct); }
            catch (HttpRequestException ex) { throw new ActionFailedException($"cannot reach {_url.Host}: {ex.Message}", retryable: true, inner: ex); }
            using (response)
            {
                if (response.IsSuccessStatusCode) return;
                var retryable = response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500;
                throw new ActionFailedException($"{_url.Host} answered {(int)response.StatusCode}", retryable, response.Headers.RetryAfter?.Delta);
            }
        }, cancellationToken);
    }

    private static JsonNode Render(JsonNode node, ActionRequest request, IReadOnlyDictionary<string, string> values) => node switch
    {
        JsonObject o => new JsonObject(o.Select(kv => KeyValuePair.Create(kv.Key, kv.Value is null ? null : Render(kv.Value, request, values)))),
        JsonArray a => new JsonArray(a.Select(x => x is null ? null : Render(x, request, values)).ToArray()),
        JsonValue v when v.TryGetValue<string>(out var s) => JsonValue.Create(new Template(s).Render(request.Event, values)),
        _ => node.DeepClone(),
    };

    private static JsonNode? FromYaml(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", FromYaml(kv.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(FromYaml).ToArray()),
        YamlScalarNode sc => JsonValue.Create(sc.Value ?? ""),
        _ => null,
    };

    // an Adaptive Card, which Teams Workflows webhooks accept
    private static JsonNode DefaultCard() => JsonNode.Parse("""
        {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": {
          "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
          "body": [
            {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "text": "{title}", "wrap": true},
            {"type": "FactSet", "facts": [
              {"title": "Who", "value": "{who}"}, {"title": "What happened", "value": "{what}"},
              {"title": "From where", "value": "{where}"}, {"title": "When", "value": "{when}"}]}],
          "actions": [{"type": "Action.OpenUrl", "title": "Open in Gumshoe", "url": "{link}"}]}}]}
        """)!;

    public void Dispose() => _http.Dispose();
}
