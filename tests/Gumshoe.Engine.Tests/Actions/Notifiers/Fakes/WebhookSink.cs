using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Gumshoe.Engine.Tests.Inputs;

namespace Gumshoe.Engine.Tests.Actions.Notifiers.Fakes;

/// <summary>One request a chat API received.</summary>
internal sealed record PostedRequest(string Path, string? Authorization, string ContentType, string Body);

/// <summary>
/// Slack's and Teams' side of a notification on 127.0.0.1: records every POST and answers from a queue of
/// (status, Retry-After, body); once the queue is empty it answers 200 with <see cref="DefaultBody"/>.
/// </summary>
internal sealed class WebhookSink : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<(int Status, int? RetryAfter, string Body)> _answers = new();

    public WebhookSink()
    {
        Url = $"http://127.0.0.1:{Loopback.FreePort()}";
        _listener.Prefixes.Add(Url + "/");
        _listener.Start();
        _ = Task.Run(Loop);
    }

    public string Url { get; }
    public string DefaultBody { get; set; } = "{\"ok\":true,\"channel\":\"C0SEC\",\"ts\":\"1795162860.000100\"}";
    public ConcurrentQueue<PostedRequest> Requests { get; } = new();

    public void Answer(int status, string body = "", int? retryAfter = null) => _answers.Enqueue((status, retryAfter, body));

    private async Task Loop()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            using (var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8))
                Requests.Enqueue(new PostedRequest(ctx.Request.Url!.AbsolutePath, ctx.Request.Headers["Authorization"], ctx.Request.ContentType ?? "", await reader.ReadToEndAsync()));
            var (status, retryAfter, body) = _answers.TryDequeue(out var a) ? a : (200, null, DefaultBody);
            ctx.Response.StatusCode = status;
            if (retryAfter is { } ra) ctx.Response.Headers.Add("Retry-After", ra.ToString(System.Globalization.CultureInfo.InvariantCulture));
            ctx.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(body);
            await ctx.Response.OutputStream.WriteAsync(bytes);
            ctx.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        // the managed listener's Close removes its prefixes again, and looking up their endpoint after Stop binds the
        // port anew: should a parallel test have taken the port meanwhile, that throws — the port is released anyway
        try { _listener.Close(); }
        catch (HttpListenerException) { }
    }
}
