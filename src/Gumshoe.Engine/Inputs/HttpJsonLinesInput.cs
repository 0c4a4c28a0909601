using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Parsers;
using Gumshoe.Engine.Pipeline;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Inputs;

/// <summary>Options of the <c>http_jsonlines</c> input.</summary>
public sealed record HttpJsonLinesOptions
{
    /// <summary>Address and port (a real port: HTTP cannot pick a free one).</summary>
    public required IPEndPoint Listen { get; init; }
    /// <summary>The path records are posted to.</summary>
    public string Path { get; init; } = "/";
    /// <summary>Largest body taken; larger ones get 413.</summary>
    public long MaxBodyBytes { get; init; } = 10 << 20;
    /// <summary>When set, requests must carry <c>Authorization: Bearer</c> with it, or get 401.</summary>
    public string? Token { get; init; }
    /// <summary>Requests handled at once; more wait to be accepted.</summary>
    public int MaxConcurrentRequests { get; init; } = 64;
}

/// <summary>
/// Takes JSON records over HTTP: <c>POST</c> to the path with newline-delimited JSON, a JSON array of objects or a
/// single object. The answer is 202 once every record is queued (a full channel holds the answer back, which
/// slows the client), 400 naming the line of a body that is not JSON (nothing of it is queued), 401 without the
/// token, 413 over the size limit; while the input stops, 503 for records it could not queue (counted as dropped), to
/// requests in flight and to those that come before they are answered. Uses <see cref="HttpListener"/>, so the engine
/// needs no web framework.
/// </summary>
public sealed class HttpJsonLinesInput(string name, IParser parser, ParseContext context, HttpJsonLinesOptions options) : IInput
{
    private static readonly string[] AcceptedMediaTypes =
        ["application/x-ndjson", "application/json", "application/jsonl", "application/jsonlines", "application/x-jsonlines", "text/plain"];

    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _path = NormalisePath(options.Path);
    private readonly byte[]? _token = options.Token is null ? null : Encoding.UTF8.GetBytes(options.Token);

    public string Name { get; } = name;
    public IParser Parser { get; } = parser;
    public ParseContext ParseContext { get; } = context;
    public HttpJsonLinesOptions Options { get; } = options;

    /// <summary>Completes with the URL to post to once the listener runs; faults when it cannot start.</summary>
    public Task<Uri> Listening => _listening.Task;

    /// <summary>Builds the input from its configuration node.</summary>
    public static IInput Create(ConfigNode node, ComponentContext context)
    {
        var name = node.Required("name").AsString();
        var pathNode = node.Get("path");
        var path = pathNode?.AsString() ?? "/";
        if (!path.StartsWith('/') || path.Contains('?') || path.Contains('#')) throw (pathNode ?? node).Error($"'path' must be a URL path starting with '/', got '{path}'");
        var tokenNode = node.Get("token");
        var token = tokenNode is { IsNull: false } ? tokenNode.AsString() : null;
        if (token is { Length: 0 }) throw tokenNode!.Error("'token' is empty");
        var options = new HttpJsonLinesOptions
        {
            Listen = ListenAddress.Parse(node.Required("listen"), allowAnyPort: false),
            Path = path,
            MaxBodyBytes = node.Int("max_body_bytes", 1024, int.MaxValue) ?? 10 << 20,
            Token = token,
            MaxConcurrentRequests = node.Int("max_connections", 1, 10_000) ?? 64,
        };
        var parserNode = node.Get("parser");
        var parser = context.ResolveParser(parserNode?.AsString() ?? "json", parserNode ?? node);
        return new HttpJsonLinesInput(name, parser, InputConfig.ParseContextOf(node), options);
    }

    public void Restore(JsonNode? state) { }

    /// <summary>Null: a network input has nothing to resume from.</summary>
    public JsonNode? Checkpoint() => null;

    /// <summary>The listener prefix: <c>http://127.0.0.1:8080/ingest/</c>.</summary>
    public string Prefix
    {
        get
        {
            var a = Options.Listen.Address;
            var host = a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any) ? "+"
                : a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{a}]" : a.ToString();
            return $"http://{host}:{Options.Listen.Port}{_path}";
        }
    }

    public async Task RunAsync(ChannelWriter<RawRecord> output, InputRun run, CancellationToken cancellationToken)
    {
        var counters = new InputCounters(Name, run.Metrics);
        using var listener = new HttpListener { IgnoreWriteExceptions = true };
        listener.Prefixes.Add(Prefix);
        try { listener.Start(); }
        catch (Exception ex) when (ex is HttpListenerException or System.Net.Sockets.SocketException)
        {
            counters.Error("bind_failed");
            run.Logger.LogError("input {Input}: cannot listen on {Prefix}: {Error}", Name, Prefix, ex.Message);
            _listening.TrySetException(ex);
            throw;
        }
        var url = new Uri(Prefix.Replace("://+", "://localhost", StringComparison.Ordinal));
        run.Logger.LogInformation("input {Input}: accepting JSON at {Prefix}", Name, Prefix);
        _listening.TrySetResult(url);

        using var slots = new SemaphoreSlim(Options.MaxConcurrentRequests);
        var inFlight = new HashSet<Task>();
        var stopped = Task.Delay(Timeout.Infinite, cancellationToken);
        Task? grace = null;
        Task<HttpListenerContext>? accept = null;
        try
        {
            // On stop the listener keeps accepting until the requests in flight are answered (or the grace is over):
            // a request the listener took in meanwhile is answered 503 by its handler. Stopping the listener first
            // would close such requests with the default status, 200, which a client could take for success.
            while (true)
            {
                Task wake;
                if (!cancellationToken.IsCancellationRequested) wake = stopped;
                else
                {
                    grace ??= Task.Delay(ShutdownGrace, CancellationToken.None);
                    Task[] pending;
                    lock (inFlight) pending = [.. inFlight];
                    if (pending.Length == 0 || grace.IsCompleted) break;
                    wake = Task.WhenAny(Task.WhenAll(pending), grace);
                }
                if (accept is null)
                {
                    var slot = slots.WaitAsync(CancellationToken.None);
                    if (!slot.IsCompleted && await Task.WhenAny(slot, wake) != slot)
                    {
                        _ = slot.ContinueWith(_ =>
                        {
                            try { slots.Release(); }
                            catch (ObjectDisposedException) { } // the input has stopped meanwhile
                        }, TaskScheduler.Default);
                        continue;
                    }
                    accept = listener.GetContextAsync();
                }
                if (await Task.WhenAny(accept, wake) != accept) continue;
                HttpListenerContext request;
                try { request = await accept; }
                catch (HttpListenerException ex)
                {
                    slots.Release();
                    counters.Error("accept_failed");
                    run.Logger.LogDebug("input {Input}: accepting a request failed: {Error}", Name, ex.Message);
                    continue;
                }
                finally { accept = null; }
                var task = HandleAsync(request, output, run, counters, cancellationToken);
                lock (inFlight) inFlight.Add(task);
                _ = task.ContinueWith(t =>
                {
                    slots.Release();
                    lock (inFlight) inFlight.Remove(t);
                }, TaskScheduler.Default);
            }
        }
        finally
        {
            // A request that reached the last accept is cut off rather than closed by Stop with a default 200. One that
            // arrives between this and Stop cannot be: HttpListener gives no way to stop taking connections first.
            if (accept is { IsCompletedSuccessfully: true }) accept.Result.Response.Abort();
            else _ = accept?.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            Task[] pending;
            lock (inFlight) pending = [.. inFlight];
            // a handler stuck reading a slow client's body is cut off when the listener stops
            listener.Stop();
            await Task.WhenAll(pending);
        }
    }

    /// <summary>How long requests in flight get to be answered when the input stops.</summary>
    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(2);

    private async Task HandleAsync(HttpListenerContext http, ChannelWriter<RawRecord> output, InputRun run, InputCounters counters, CancellationToken ct)
    {
        await Task.Yield(); // off the accept loop
        var request = http.Request;
        var response = http.Response;
        response.StatusCode = (int)HttpStatusCode.ServiceUnavailable; // what a response closed before its answer says
        counters.Requests.Add();
        try
        {
            if (!PathMatches(request.Url?.AbsolutePath))
            {
                await RespondAsync(response, HttpStatusCode.NotFound, "no such path", counters, "not_found");
                return;
            }
            if (request.HttpMethod != "POST")
            {
                response.AddHeader("Allow", "POST");
                await RespondAsync(response, HttpStatusCode.MethodNotAllowed, "use POST", counters, "method_not_allowed");
                return;
            }
            if (_token is not null && !Authorised(request.Headers["Authorization"]))
            {
                response.AddHeader("WWW-Authenticate", "Bearer");
                await RespondAsync(response, HttpStatusCode.Unauthorized, "a bearer token is required", counters, "unauthorized");
                return;
            }
            if (request.ContentType is { } ct0 && !AcceptedMediaTypes.Contains(MediaType(ct0), StringComparer.OrdinalIgnoreCase))
            {
                await RespondAsync(response, HttpStatusCode.UnsupportedMediaType, "send application/x-ndjson or application/json", counters, "unsupported_media_type");
                return;
            }
            if (request.ContentLength64 > Options.MaxBodyBytes)
            {
                await RespondAsync(response, HttpStatusCode.RequestEntityTooLarge, $"the body is over {Options.MaxBodyBytes} bytes", counters, "body_too_large");
                return;
            }
            var body = await ReadBodyAsync(request); // not cancelled: a stopping input still answers what it read
            if (body is null)
            {
                await RespondAsync(response, HttpStatusCode.RequestEntityTooLarge, $"the body is over {Options.MaxBodyBytes} bytes", counters, "body_too_large");
                return;
            }
            counters.Bytes.Add(body.Length);
            var texts = new List<string>();
            if (!JsonLinesBody.TrySplit(body, texts, out var error))
            {
                await RespondAsync(response, HttpStatusCode.BadRequest, error ?? "not JSON", counters, "invalid_json");
                return;
            }
            var source = new NetworkSource(Name, request.RemoteEndPoint?.ToString() ?? "unknown", "http");
            var batch = new List<RawRecord>(texts.Count);
            foreach (var text in texts)
            {
                var offset = source.Received;
                source.Received += Encoding.UTF8.GetByteCount(text) + 1;
                batch.Add(new RawRecord(text, source, offset, source.Received, DateTimeOffset.UtcNow) { Context = ParseContext });
            }
            counters.Lines.Add(batch.Count);
            try { await RecordWriter.WriteAllAsync(batch, output, counters, ct); }
            catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
            {
                await RespondAsync(response, HttpStatusCode.ServiceUnavailable, "shutting down; not every record was taken", counters, "shutdown");
                return;
            }
            await RespondAsync(response, HttpStatusCode.Accepted, null, counters, null, new JsonObject { ["accepted"] = texts.Count });
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // the client went away or the listener stopped; nothing more can be said to it
            counters.Error("connection_failed");
            run.Logger.LogDebug("input {Input}: request from {Peer} failed: {Error}", Name, request.RemoteEndPoint, ex.Message);
            try { response.Abort(); } catch (ObjectDisposedException) { }
        }
    }

    // The body, or null when it is over the limit (a chunked body has no length up front).
    private async Task<byte[]?> ReadBodyAsync(HttpListenerRequest request)
    {
        var stream = request.InputStream;
        var buffer = new byte[Math.Min(request.ContentLength64 > 0 ? request.ContentLength64 : 16 * 1024, Options.MaxBodyBytes)];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length >= Options.MaxBodyBytes)
                {
                    // one more byte tells a body of exactly the limit from a longer one
                    var probe = new byte[1];
                    return await stream.ReadAsync(probe) == 0 ? buffer : null;
                }
                Array.Resize(ref buffer, (int)Math.Min(Options.MaxBodyBytes, (long)buffer.Length * 2));
            }
            var n = await stream.ReadAsync(buffer.AsMemory(length));
            if (n == 0) break;
            length += n;
        }
        return length == buffer.Length ? buffer : buffer[..length];
    }

    private bool Authorised(string? header)
    {
        const string scheme = "Bearer ";
        if (header is null || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var given = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, _token);
    }

    private bool PathMatches(string? path) =>
        path is not null && string.Equals(NormalisePath(path), _path, StringComparison.Ordinal);

    private static string NormalisePath(string path) => path.EndsWith('/') ? path : path + "/";

    private static string MediaType(string contentType)
    {
        var semi = contentType.IndexOf(';');
        return (semi >= 0 ? contentType[..semi] : contentType).Trim();
    }

    private static async Task RespondAsync(HttpListenerResponse response, HttpStatusCode status, string? error, InputCounters counters, string? reason, JsonObject? body = null)
    {
        if (reason is not null) counters.Error(reason);
        response.StatusCode = (int)status;
        response.ContentType = "application/json";
        // an error may leave a body unread: close the connection rather than read the rest of it
        if (status != HttpStatusCode.Accepted) response.KeepAlive = false;
        var bytes = Encoding.UTF8.GetBytes((body ?? new JsonObject { ["error"] = error }).ToJsonString());
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }
}
