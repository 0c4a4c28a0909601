using System.Net;
using Gumshoe.Engine.Tests.Inputs;

namespace Gumshoe.Engine.Tests.Actions;

/// <summary>A webhook receiver on 127.0.0.1 answering with scripted statuses and recording what it got.</summary>
internal sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Queue<(int Status, string? RetryAfter)> _script;
    private readonly Task _loop;

    public WebhookReceiver(params (int Status, string? RetryAfter)[] script)
    {
        _script = new Queue<(int, string?)>(script);
        var port = Loopback.FreePort();
        Url = $"http://127.0.0.1:{port}/hook/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }
    public List<(DateTime At, string Body, string? Key, string? ContentType)> Received { get; } = [];

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            using var reader = new StreamReader(ctx.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            lock (Received) Received.Add((DateTime.UtcNow, body, ctx.Request.Headers["Idempotency-Key"], ctx.Request.ContentType));
            var (status, retryAfter) = _script.Count > 0 ? _script.Dequeue() : (200, null);
            ctx.Response.StatusCode = status;
            if (retryAfter is not null) ctx.Response.Headers["Retry-After"] = retryAfter;
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
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
    }
}
