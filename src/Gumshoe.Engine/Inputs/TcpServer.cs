using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Gumshoe.Engine.Inputs;

/// <summary>
/// The accepting side of a TCP input: binds, accepts up to a connection limit (further connections are closed and
/// counted), wraps each in TLS when a certificate is given, and runs a handler per connection. Cancellation closes
/// the listening socket and every connection and waits for their handlers.
/// </summary>
internal sealed class TcpServer(string input, IPEndPoint listen, int maxConnections, X509Certificate2? certificate, InputRun run, InputCounters counters)
{
    /// <summary>How long a client has to finish the TLS handshake.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<Task, byte> _connections = new();
    private Socket? _listener;
    private int _open;

    /// <summary>The bound address (the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndpoint => (IPEndPoint)(_listener?.LocalEndPoint ?? listen);

    /// <summary>Binds and listens; throws <see cref="SocketException"/> when the address is taken.</summary>
    public void Start()
    {
        var socket = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (listen.Address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(listen);
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _listener = socket;
    }

    /// <summary>Accepts until cancelled, then closes everything and returns.</summary>
    public async Task RunAsync(Func<Stream, NetworkSource, CancellationToken, Task> handle, CancellationToken ct)
    {
        var listener = _listener ?? throw new InvalidOperationException("Start was not called");
        try
        {
            while (!ct.IsCancellationRequested)
            {
                Socket client;
                try { client = await listener.AcceptAsync(ct); }
                catch (OperationCanceledException) { break; }
                catch (SocketException ex)
                {
                    // a client that reset before we accepted it; the listener itself is fine
                    counters.Error("accept_failed");
                    run.Logger.LogDebug("input {Input}: accept failed: {Error}", input, ex.Message);
                    continue;
                }
                if (Interlocked.Increment(ref _open) > maxConnections)
                {
                    Interlocked.Decrement(ref _open);
                    counters.Error("too_many_connections");
                    run.Logger.LogWarning("input {Input}: refused a connection from {Peer}: {Max} connections are open", input, client.RemoteEndPoint, maxConnections);
                    client.Dispose();
                    continue;
                }
                counters.Connections.Add();
                counters.OpenConnections.Set(Volatile.Read(ref _open));
                var task = ServeAsync(client, handle, ct);
                _connections[task] = 0;
                _ = task.ContinueWith(t => _connections.TryRemove(t, out _), TaskScheduler.Default);
            }
        }
        finally
        {
            listener.Dispose();
            await Task.WhenAll(_connections.Keys);
        }
    }

    private async Task ServeAsync(Socket client, Func<Stream, NetworkSource, CancellationToken, Task> handle, CancellationToken ct)
    {
        await Task.Yield(); // off the accept loop
        var peer = client.RemoteEndPoint?.ToString() ?? "unknown";
        var source = new NetworkSource(input, peer, certificate is null ? "tcp" : "tls");
        Stream stream = new NetworkStream(client, ownsSocket: true);
        // a handler stuck in a write to a peer that stopped reading is freed by closing the socket
        await using var closeOnCancel = ct.Register(static s => ((Socket)s!).Dispose(), client);
        try
        {
            if (certificate is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(ct);
                handshake.CancelAfter(HandshakeTimeout);
                try
                {
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = certificate,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        ClientCertificateRequired = false,
                    }, handshake.Token);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested && ex is AuthenticationException or IOException or OperationCanceledException or SocketException)
                {
                    counters.Error("tls_handshake_failed");
                    run.Logger.LogWarning("input {Input}: TLS handshake with {Peer} failed: {Error}", input, peer, ex.Message);
                    return;
                }
            }
            await handle(stream, source, ct);
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // shutting down: the connection is closed below
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            // the pipeline stopped taking records; the handler counted what it dropped
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            counters.Error("connection_failed");
            run.Logger.LogDebug("input {Input}: connection from {Peer} failed: {Error}", input, peer, ex.Message);
        }
        catch (Exception ex)
        {
            counters.Error("handler_failed");
            run.Logger.LogError(ex, "input {Input}: connection from {Peer} failed", input, peer);
        }
        finally
        {
            await stream.DisposeAsync();
            counters.OpenConnections.Set(Interlocked.Decrement(ref _open));
        }
    }
}
