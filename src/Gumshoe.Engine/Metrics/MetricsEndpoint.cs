using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Metrics;

/// <summary>Serves <c>/metrics</c> in the Prometheus text format on a local address.</summary>
public sealed class MetricsEndpoint(MetricsRegistry metrics, string listen, ILogger logger) : IAsyncDisposable
{
    private HttpListener? _listener;
    private Task? _loop;

    /// <summary>Starts listening; a busy port is logged, not fatal.</summary>
    public void Start(CancellationToken stop)
    {
        var prefix = $"http://{listen}/";
        try
        {
            _listener = new HttpListener();
            _listener.Prefixes.Add(prefix);
            _listener.Start();
        }
        catch (Exception ex) when (ex is HttpListenerException or SocketExceptionLike or InvalidOperationException or ArgumentException)
        {
            logger.LogWarning("metrics: cannot listen on {Prefix}: {Error}", prefix, ex.Message);
            _listener = null;
            return;
        }
        logger.LogInformation("metrics on {Prefix}metrics", prefix);
        _loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && _listener.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync().WaitAsync(stop); }
                catch (Exception) { break; }
                try
                {
                    if (ctx.Request.Url?.AbsolutePath == "/metrics")
                    {
                        var body = Encoding.UTF8.GetBytes(metrics.ToPrometheus());
                        ctx.Response.ContentType = "text/plain; version=0.0.4";
                        await ctx.Response.OutputStream.WriteAsync(body, stop);
                    }
                    else ctx.Response.StatusCode = 404;
                    ctx.Response.Close();
                }
                catch (Exception ex) when (ex is HttpListenerException or IOException or OperationCanceledException) { }
            }
        }, stop);
    }

    public async ValueTask DisposeAsync()
    {
        try { _listener?.Stop(); } catch (ObjectDisposedException) { }
        if (_loop is not null) try { await _loop.WaitAsync(TimeSpan.FromSeconds(1)); } catch (Exception) { }
        _listener?.Close();
    }

    private sealed class SocketExceptionLike : Exception;
}
