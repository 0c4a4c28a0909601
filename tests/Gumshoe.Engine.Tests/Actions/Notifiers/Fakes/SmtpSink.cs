using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Gumshoe.Engine.Tests.Actions.Notifiers.Fakes;

/// <summary>
/// An SMTP server on 127.0.0.1 started by the test: speaks ESMTP with STARTTLS (a throwaway certificate) and
/// AUTH PLAIN, keeps each accepted message's envelope and data, and can refuse the next DATA commands with a
/// given reply (451 temporary, 550 final).
/// </summary>
internal sealed class SmtpSink : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _dataReplies = new();

    public SmtpSink(X509Certificate2 certificate)
    {
        _certificate = certificate;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(AcceptLoop);
    }

    public int Port { get; }
    public ConcurrentQueue<(string From, List<string> To, string Data, bool Tls, string? Auth)> Messages { get; } = new();
    public int DataCommands;

    /// <summary>The reply to the next DATA command instead of 354 (e.g. <c>451 4.3.0 try again later</c>).</summary>
    public void RefuseNextData(string reply) => _dataReplies.Enqueue(reply);

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Session(client));
        }
    }

    private async Task Session(TcpClient client)
    {
        using (client)
        {
            Stream stream = client.GetStream();
            var tls = false;
            string? from = null, auth = null;
            var to = new List<string>();
            var reader = new StreamReader(stream, Encoding.ASCII, false, 1, leaveOpen: true);
            async Task Say(string line) { var b = Encoding.ASCII.GetBytes(line + "\r\n"); await stream.WriteAsync(b); await stream.FlushAsync(); }
            try
            {
                await Say("220 sink.test ESMTP ready");
                while (await reader.ReadLineAsync() is { } line)
                {
                    var verb = line.Split(' ')[0].ToUpperInvariant();
                    switch (verb)
                    {
                        case "EHLO":
                            await Say("250-sink.test");
                            if (!tls) await Say("250-STARTTLS");
                            else await Say("250-AUTH PLAIN");
                            await Say("250 8BITMIME");
                            break;
                        case "HELO": await Say("250 sink.test"); break;
                        case "STARTTLS":
                            await Say("220 2.0.0 ready to start TLS");
                            var ssl = new SslStream(stream, false);
                            await ssl.AuthenticateAsServerAsync(_certificate);
                            stream = ssl;
                            reader = new StreamReader(stream, Encoding.ASCII, false, 1, leaveOpen: true);
                            tls = true;
                            break;
                        case "AUTH":
                            auth = Encoding.UTF8.GetString(Convert.FromBase64String(line.Split(' ')[2]));
                            await Say("235 2.7.0 authenticated");
                            break;
                        case "MAIL": from = line[(line.IndexOf(':') + 1)..].Trim(); to.Clear(); await Say("250 2.1.0 ok"); break;
                        case "RCPT": to.Add(line[(line.IndexOf(':') + 1)..].Trim()); await Say("250 2.1.5 ok"); break;
                        case "DATA":
                            Interlocked.Increment(ref DataCommands);
                            if (_dataReplies.TryDequeue(out var refusal)) { await Say(refusal); break; }
                            await Say("354 end with <CRLF>.<CRLF>");
                            var data = new StringBuilder();
                            while (await reader.ReadLineAsync() is { } d && d != ".") data.Append(d.StartsWith("..", StringComparison.Ordinal) ? d[1..] : d).Append('\n');
                            Messages.Enqueue((from ?? "", [.. to], data.ToString(), tls, auth));
                            await Say("250 2.0.0 queued");
                            break;
                        case "RSET": to.Clear(); from = null; await Say("250 2.0.0 ok"); break;
                        case "NOOP": await Say("250 2.0.0 ok"); break;
                        case "QUIT": await Say("221 2.0.0 bye"); return;
                        default: await Say("502 5.5.2 command not recognised"); break;
                    }
                }
            }
            catch (Exception) { }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
