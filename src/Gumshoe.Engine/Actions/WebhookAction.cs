using System.Net;
using System.Text;
using System.Text.Json;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;

namespace Gumshoe.Engine.Actions;

/// <summary>
/// <c>webhook</c>: an HTTP POST of a JSON body built from a template (a YAML mapping whose text leaves are
/// templates, so field values are JSON-escaped, never spliced into JSON text). 2xx succeeds; 408, 429, 5xx and
/// network errors or timeouts are retried (honouring <c>Retry-After</c>); other statuses fail for good. Sends the
/// request's idempotency key as <c>Idempotency-Key</c> so a receiver can drop the rare repeat after a crash.
/// </summary>
public sealed class WebhookAction : IAction, IActionLimits
{
    private static readonly HttpClient Shared = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private readonly Uri _url;
    private readonly (string Name, Template Value)[] _headers;
    private readonly BodyTemplate? _body;
    private readonly TimeSpan _timeout;

    private abstract record BodyTemplate;
    private sealed record TextBody(Template Text) : BodyTemplate;
    private sealed record ObjectBody((string Key, BodyTemplate Value)[] Members) : BodyTemplate;
    private sealed record ArrayBody(BodyTemplate[] Items) : BodyTemplate;

    private WebhookAction(Uri url, (string, Template)[] headers, BodyTemplate? body, TimeSpan timeout, int maxConcurrency, int? attempts)
    {
        _url = url;
        _headers = headers;
        _body = body;
        _timeout = timeout;
        MaxConcurrency = maxConcurrency;
        Attempts = attempts;
    }

    public string Type => "webhook";
    public int MaxConcurrency { get; }
    public int? Attempts { get; }

    /// <summary>Reads <c>webhook: {url, headers, body, timeout, max_concurrency, attempts}</c>.</summary>
    public static IAction Create(ConfigNode node, ComponentContext context)
    {
        var urlNode = node.Required("url");
        if (!Uri.TryCreate(urlNode.AsString(), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw urlNode.Error("url must be an absolute http:// or https:// address");
        var headers = node.Get("headers") is { IsNull: false } h
            ? h.Entries.Select(kv => (kv.Key, new Template(kv.Value.AsString()))).ToArray()
            : [];
        var body = node.Get("body") is { IsNull: false } b ? ReadBody(b) : null;
        return new WebhookAction(url, headers, body, node.DurationAt("timeout") ?? TimeSpan.FromSeconds(10),
            node.Int("max_concurrency", 1, 256) ?? 4, node.Int("attempts", 1, 1000));
    }

    private static BodyTemplate ReadBody(ConfigNode n) =>
        n.IsMapping ? new ObjectBody(n.Entries.Select(kv => (kv.Key, ReadBody(kv.Value))).ToArray())
        : n.IsSequence ? new ArrayBody(n.Items.Select(ReadBody).ToArray())
        : new TextBody(new Template(n.AsString()));

    /// <summary>The JSON body for a request.</summary>
    public byte[] RenderBody(ActionRequest request)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            if (_body is null)
            {
                w.WriteStartObject();
                foreach (var k in new[] { "id", "rule", "title", "description", "count", "first_seen", "last_seen", "suppressed" })
                    if (request.Values.TryGetValue(k, out var v)) w.WriteString(k, v);
                if (request.Alert is { } a)
                {
                    w.WriteStartObject("group");
                    foreach (var (k, v) in a.Group) w.WriteString(k, v);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            else Write(w, _body, request);
        }
        return buffer.ToArray();
    }

    private static void Write(Utf8JsonWriter w, BodyTemplate t, ActionRequest request)
    {
        switch (t)
        {
            case TextBody text: w.WriteStringValue(text.Text.Render(request.Event, request.Values)); break;
            case ArrayBody arr:
                w.WriteStartArray();
                foreach (var i in arr.Items) Write(w, i, request);
                w.WriteEndArray();
                break;
            case ObjectBody obj:
                w.WriteStartObject();
                foreach (var (k, v) in obj.Members) { w.WritePropertyName(k); Write(w, v, request); }
                w.WriteEndObject();
                break;
        }
    }

    public async Task ExecuteAsync(ActionRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(RenderBody(request)) };
        message.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        message.Headers.TryAddWithoutValidation("Idempotency-Key", request.Key);
        foreach (var (name, value) in _headers)
        {
            var v = value.Render(request.Event, request.Values);
            if (v.Contains('\r') || v.Contains('\n')) throw new ActionFailedException($"header {name} would contain a line break", retryable: false);
            if (!message.Headers.TryAddWithoutValidation(name, v)) message.Content.Headers.TryAddWithoutValidation(name, v);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        HttpResponseMessage response;
        try { response = await Shared.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token); }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ActionFailedException($"POST {_url.GetLeftPart(UriPartial.Path)} timed out after {_timeout.TotalSeconds:0.###}s", retryable: true);
        }
        catch (HttpRequestException ex)
        {
            throw new ActionFailedException($"POST {_url.GetLeftPart(UriPartial.Path)}: {ex.Message}", retryable: true, inner: ex);
        }
        using (response)
        {
            if (response.IsSuccessStatusCode) return;
            var status = (int)response.StatusCode;
            var body = await ReadStartAsync(response, cancellationToken);
            var retryable = status is 408 or 429 or >= 500;
            throw new ActionFailedException($"POST {_url.GetLeftPart(UriPartial.Path)}: HTTP {status} {body}", retryable, RetryAfter(response));
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var ra = response.Headers.RetryAfter;
        if (ra?.Delta is { } d) return d;
        if (ra?.Date is { } date) return date - DateTimeOffset.UtcNow;
        return null;
    }

    private static async Task<string> ReadStartAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            return text.Length > 300 ? text[..300] + "…" : text;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException) { return ""; }
    }
}
