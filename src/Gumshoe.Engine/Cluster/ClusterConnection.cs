using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace Gumshoe.Engine.Cluster;

/// <summary>
/// A role's connection to NATS JetStream: creates the event and alert streams it needs (there is no separate init
/// step), and publishes with a message id, retrying through a broker failover so the server's duplicate window
/// turns a retried or re-read publish into a no-op.
/// </summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly ILogger _logger;

    private ClusterConnection(ClusterOptions options, NatsConnection connection, ILogger logger)
    {
        Options = options;
        Connection = connection;
        JetStream = connection.CreateJetStreamContext();
        _logger = logger;
    }

    public ClusterOptions Options { get; }
    public NatsConnection Connection { get; }
    public INatsJSContext JetStream { get; }

    /// <summary>Connects (retrying until a server answers or <paramref name="ct"/> ends) and makes sure both streams exist.</summary>
    public static async Task<ClusterConnection> OpenAsync(ClusterOptions options, string clientName, ILogger logger, CancellationToken ct)
    {
        var nc = new NatsConnection(new NatsOpts
        {
            Url = string.Join(",", options.Servers),
            Name = clientName,
            MaxReconnectRetry = -1,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            RetryOnInitialConnect = true,
        });
        var c = new ClusterConnection(options, nc, logger);
        try
        {
            await nc.ConnectAsync();
            await c.RetryAsync("create streams", async () =>
            {
                foreach (var (stream, subject) in new[] { (options.EventStream, options.Name + ".events.*"), (options.AlertStream, options.AlertSubject) })
                    await c.JetStream.CreateOrUpdateStreamAsync(new StreamConfig(stream, [subject])
                    {
                        NumReplicas = options.Replicas,
                        Storage = StreamConfigStorage.File,
                        Retention = StreamConfigRetention.Limits,
                        MaxAge = options.Retention,
                        DuplicateWindow = options.DuplicateWindow,
                    }, ct);
                return true;
            }, ct);
        }
        catch
        {
            await nc.DisposeAsync();
            throw;
        }
        return c;
    }

    /// <summary>Publishes and waits for the stream's acknowledgement, retrying (same message id) while the cluster elects a leader.</summary>
    public Task PublishAsync(string subject, ReadOnlyMemory<byte> data, string? messageId, NatsHeaders? headers, CancellationToken ct) =>
        RetryAsync("publish", async () =>
        {
            var ack = await JetStream.PublishAsync(subject, data, opts: new NatsJSPubOpts { MsgId = messageId }, headers: headers, cancellationToken: ct);
            // "duplicate": the stream already holds this id (a retry whose first acknowledgement was lost in a
            // failover, or lines read again after a restart) — the outcome the id is for. EnsureSuccess throws for
            // it, and retrying that can only get the same answer: a collector stuck for ever.
            if (ack.Duplicate) return true;
            ack.EnsureSuccess();
            return true;
        }, ct);

    /// <summary>Runs a JetStream call until it succeeds: broker failovers and leader elections take seconds, not forever.</summary>
    public async Task<T> RetryAsync<T>(string what, Func<Task<T>> call, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try { return await call(); }
            catch (Exception ex) when (!ct.IsCancellationRequested && Transient(ex))
            {
                if (attempt == 3 || attempt % 20 == 0) _logger.LogWarning("nats: {What} failed ({Error}); retrying", what, ex.Message);
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
            }
        }
    }

    private static bool Transient(Exception ex) => ex switch
    {
        NatsJSApiException api => api.Error.Code is 503 or 500 or 408 || api.Error.ErrCode is 10008 or 10077,
        NatsJSException or NatsException or TimeoutException or OperationCanceledException => true,
        _ => false,
    };

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}
