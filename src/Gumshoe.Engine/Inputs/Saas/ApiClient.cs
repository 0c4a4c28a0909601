using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gumshoe.Engine.Metrics;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Inputs.Saas;

/// <summary>A successful API answer: its headers and its parsed JSON body (disposed with the answer).</summary>
public sealed class ApiResponse(HttpStatusCode status, HttpResponseHeaders headers, JsonDocument json, Uri url) : IDisposable
{
    public HttpStatusCode Status { get; } = status;
    public HttpResponseHeaders Headers { get; } = headers;
    public JsonDocument Json { get; } = json;
    public Uri Url { get; } = url;
    public JsonElement Root => Json.RootElement;
    public void Dispose() => Json.Dispose();
}

/// <summary>The API refused the credentials (401/403): waiting does not help; the message names the scope or role missing.</summary>
public sealed class ApiAccessDeniedException(string message) : Exception(message);

/// <summary>A request failed for good (retries used up, or a client error that retrying cannot fix).</summary>
public sealed class ApiRequestException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Supplies the <c>Authorization</c> header of a request; a token source refreshes on expiry or after a 401.</summary>
public interface IRequestAuthenticator
{
    /// <summary>Adds credentials to the request (a bearer token, a signature …).</summary>
    Task AuthenticateAsync(HttpRequestMessage request, CancellationToken cancellationToken);

    /// <summary>Forgets a cached token after the API refused it.</summary>
    void Invalidate();
}

/// <summary>
/// Sends API requests with the polling rules every provider needs: a time limit per request, exponential back-off
/// with jitter on 5xx, timeouts, network errors and malformed JSON, <c>Retry-After</c> and rate-limit reset headers
/// honoured on 429 (and on a 403 or 400 that says it is a rate limit), one token refresh after a 401, and a clear
/// <see cref="ApiAccessDeniedException"/> on 401/403 naming what is missing. Every wait is cancellable.
/// </summary>
public sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly PollerOptions _options;
    private readonly IRequestAuthenticator? _auth;
    private readonly string _accessHint;
    private readonly MetricsRegistry _metrics;
    private readonly string _input;
    private readonly ILogger _logger;
    private DateTimeOffset _notBefore;

    /// <summary>Waits are taken through this (tests replace it to observe them).</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = Task.Delay;

    public ApiClient(string input, PollerOptions options, IRequestAuthenticator? auth, string accessHint, MetricsRegistry metrics, ILogger logger, HttpMessageHandler? handler = null)
    {
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AutomaticDecompression = DecompressionMethods.All })
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("gumshoe/1.0");
        _options = options;
        _auth = auth;
        _accessHint = accessHint;
        _metrics = metrics;
        _input = input;
        _logger = logger;
    }

    /// <summary>The underlying client, for token requests that need no retry policy of their own.</summary>
    public HttpClient Http => _http;

    /// <summary>
    /// Sends the request built by <paramref name="build"/> (called again for each try) and parses the JSON body.
    /// <paramref name="isThrottled"/> lets a provider recognise its own throttling replies (AWS answers 400).
    /// </summary>
    public async Task<ApiResponse> SendAsync(Func<HttpRequestMessage> build, CancellationToken ct, Func<HttpStatusCode, string, bool>? isThrottled = null)
    {
        var refreshed = false;
        Exception? last = null;
        for (var attempt = 1; ; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            // the last answer said the quota is used up: wait for its reset instead of earning a 429
            if (_notBefore - DateTimeOffset.UtcNow is var hold && hold > TimeSpan.Zero)
                await Delay(hold < _options.MaxWait ? hold : _options.MaxWait, ct);
            using var request = build();
            var url = request.RequestUri!;
            TimeSpan? wait = null;
            string reason;
            _metrics.Counter("gumshoe_poller_requests_total", "input", _input).Add();
            try
            {
                if (_auth is not null) await _auth.AuthenticateAsync(request, ct);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(_options.Timeout);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                var body = await response.Content.ReadAsStringAsync(timeout.Token);
                var status = response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    if ((Header(response.Headers, "X-Rate-Limit-Remaining") ?? Header(response.Headers, "x-ratelimit-remaining")) == "0"
                        && RateLimitWait(response.Headers, null) is { } untilReset)
                        _notBefore = DateTimeOffset.UtcNow + untilReset;
                    try
                    {
                        return new ApiResponse(status, response.Headers, JsonDocument.Parse(body), url);
                    }
                    catch (JsonException ex)
                    {
                        reason = "malformed_json";
                        last = new ApiRequestException($"{Redact(url)}: malformed JSON in the answer ({ex.Message})", ex);
                    }
                }
                else if (status == HttpStatusCode.Unauthorized && !refreshed && _auth is not null)
                {
                    // a token can expire or be revoked between two requests: fetch a new one once
                    refreshed = true;
                    _auth.Invalidate();
                    attempt--;
                    continue;
                }
                else if (status == HttpStatusCode.TooManyRequests || IsRateLimit(status, response.Headers, body) || isThrottled?.Invoke(status, body) == true)
                {
                    reason = "rate_limited";
                    wait = RateLimitWait(response.Headers, response.Content.Headers);
                    last = new ApiRequestException($"{Redact(url)}: rate limited ({(int)status})");
                }
                else if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    Count("gumshoe_poller_errors_total", "access_denied");
                    throw new ApiAccessDeniedException($"{Redact(url)} answered {(int)status} {status}: {_accessHint}{Snippet(body)}");
                }
                else if ((int)status >= 500 || status == HttpStatusCode.RequestTimeout)
                {
                    reason = "server_error";
                    wait = RetryAfter(response.Headers);
                    last = new ApiRequestException($"{Redact(url)} answered {(int)status} {status}{Snippet(body)}");
                }
                else
                {
                    Count("gumshoe_poller_errors_total", "client_error");
                    throw new ApiRequestException($"{Redact(url)} answered {(int)status} {status}{Snippet(body)}");
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                reason = "timeout";
                last = new ApiRequestException($"{Redact(url)}: no answer within {_options.Timeout.TotalSeconds:0.#} s");
            }
            catch (HttpRequestException ex)
            {
                reason = "network";
                last = new ApiRequestException($"{Redact(url)}: {ex.Message}", ex);
            }
            catch (IOException ex)
            {
                reason = "network";
                last = new ApiRequestException($"{Redact(url)}: {ex.Message}", ex);
            }

            Count("gumshoe_poller_retries_total", reason);
            if (attempt >= _options.MaxAttempts)
            {
                Count("gumshoe_poller_errors_total", "retries_exhausted");
                throw new ApiRequestException($"{last!.Message} (gave up after {attempt} tries)", last);
            }
            var delay = wait ?? Backoff(attempt);
            if (delay > _options.MaxWait) delay = _options.MaxWait;
            _logger.LogWarning("input {Input}: {Problem}; retrying in {Delay:0.###} s (try {Attempt} of {Max})", _input, last!.Message, delay.TotalSeconds, attempt + 1, _options.MaxAttempts);
            await Delay(delay, ct);
        }
    }

    /// <summary>Exponential back-off with full jitter: a random wait in [base·2ⁿ⁻¹/2, base·2ⁿ⁻¹].</summary>
    public TimeSpan Backoff(int attempt)
    {
        var ceiling = _options.RetryBase.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 20));
        ceiling = Math.Min(ceiling, _options.MaxWait.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private static bool IsRateLimit(HttpStatusCode status, HttpResponseHeaders headers, string body)
    {
        if (status != HttpStatusCode.Forbidden) return false;
        // GitHub: 403 with retry-after or an exhausted quota; Google: 403 with a rate-limit reason
        if (headers.RetryAfter is not null) return true;
        if (Header(headers, "x-ratelimit-remaining") == "0") return true;
        return body.Contains("rateLimitExceeded", StringComparison.Ordinal) || body.Contains("userRateLimitExceeded", StringComparison.Ordinal)
            || body.Contains("quotaExceeded", StringComparison.Ordinal) || body.Contains("secondary rate limit", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary><c>Retry-After</c> (seconds or a date), else a reset header in epoch seconds (Okta, GitHub), plus a little jitter.</summary>
    internal static TimeSpan? RateLimitWait(HttpResponseHeaders headers, HttpContentHeaders? content)
    {
        if (RetryAfter(headers) is { } ra) return ra;
        var reset = Header(headers, "X-Rate-Limit-Reset") ?? Header(headers, "x-ratelimit-reset");
        if (reset is not null && long.TryParse(reset, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch))
        {
            var until = DateTimeOffset.FromUnixTimeSeconds(epoch) - DateTimeOffset.UtcNow;
            // a reset in the past (clock skew, stale header) falls back to back-off
            if (until > TimeSpan.Zero) return until + TimeSpan.FromMilliseconds(Random.Shared.Next(100, 1000));
        }
        return null;
    }

    private static TimeSpan? RetryAfter(HttpResponseHeaders headers)
    {
        var ra = headers.RetryAfter;
        if (ra?.Delta is { } d) return d;
        if (ra?.Date is { } date) return date - DateTimeOffset.UtcNow is var w && w > TimeSpan.Zero ? w : TimeSpan.Zero;
        return null;
    }

    /// <summary>The first value of a header, or null.</summary>
    public static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private void Count(string metric, string reason) => _metrics.Counter(metric, "input", _input, "reason", reason).Add();

    private static string Snippet(string body)
    {
        body = body.Trim();
        if (body.Length == 0) return "";
        return " — " + (body.Length > 300 ? body[..300] + "…" : body);
    }

    /// <summary>The URL without its query (cursors and filters are noise in a log line; tokens never go in URLs).</summary>
    public static string Redact(Uri url) => url.GetLeftPart(UriPartial.Path);

    public void Dispose() => _http.Dispose();
}
