using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gumshoe.LogGen;

namespace Gumshoe.Soak;

/// <summary>
/// Line-to-alert and line-to-action latency: appends generated sshd lines at a steady rate and, a few times a second,
/// a burst of five failed passwords from a fresh address. The time from writing a burst's fifth line (flushed to the
/// file) to its alert appearing in the alerts file is one alert sample (the file is polled every 0.5 ms by this
/// process); the time to the rule's webhook action reaching this process's HTTP listener is one action sample.
/// </summary>
public static class LatencyProbe
{
    public static int Run(SoakOptions o)
    {
        var dir = Path.Combine(o.Work, $"latency-{o.Rate}");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        var log = Path.Combine(dir, "auth.log");
        var alerts = Path.Combine(dir, "alerts.jsonl");
        File.WriteAllText(log, "");
        using var hooks = new HookReceiver();
        var config = Path.Combine(dir, "latency.yml");
        // the example's rule with a webhook action to this process: "action started" is when its POST arrives
        var example = File.ReadAllText(o.Config);
        File.WriteAllText(config, example.TrimEnd() + $$"""

                  - webhook:
                      url: "http://127.0.0.1:{{hooks.Port}}/hook"
                      body: {ip: "{source.ip}"}
            """);
        var engine = new Engine(o with { Config = config }, log, alerts, Path.Combine(dir, "data"));
        engine.Start();
        Thread.Sleep(1500); // start-up is not latency
        var gen = new SshdLogGenerator((ulong)o.Seed, DateTime.UtcNow.AddMinutes(-5)) { SecondsPerLine = 0.0001 };
        var pending = new Dictionary<string, long>(); // ip → write timestamp (Stopwatch ticks)
        var writtenAt = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var samples = new List<double>();
        using var w = new FileStream(log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        using var reader = new FileStream(alerts, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
        var clock = Stopwatch.StartNew();
        var written = 0L;
        var bursts = 0;
        var tail = new StringBuilder();
        var buf = new byte[1 << 16];
        while (clock.Elapsed.TotalSeconds < o.LatencySeconds)
        {
            // lines due by now at the configured rate
            var due = (long)(clock.Elapsed.TotalSeconds * o.Rate) - written;
            if (due > 0)
            {
                var sb = new StringBuilder();
                for (var i = 0; i < due; i++) sb.Append(gen.NextLine()).Append('\n');
                string? ip = null;
                if (clock.Elapsed.TotalSeconds * 5 > bursts) // five bursts a second
                {
                    ip = $"203.0.{bursts / 250 % 250}.{bursts % 250 + 1}";
                    var now = DateTime.UtcNow;
                    for (var k = 0; k < 5; k++)
                        sb.Append(now.ToString("MMM", CultureInfo.InvariantCulture)).Append(' ').Append(now.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2))
                          .Append(' ').Append(now.ToString("HH:mm:ss", CultureInfo.InvariantCulture))
                          .Append($" probe sshd[999]: Failed password for root from {ip} port {40000 + k} ssh2\n");
                    bursts++;
                }
                w.Write(Encoding.UTF8.GetBytes(sb.ToString()));
                w.Flush();
                if (ip is not null)
                {
                    var t = Stopwatch.GetTimestamp();
                    pending[ip] = t;
                    writtenAt[ip] = t;
                }
                written += due;
            }
            // new alert lines
            int n;
            while ((n = reader.Read(buf, 0, buf.Length)) > 0)
            {
                tail.Append(Encoding.UTF8.GetString(buf, 0, n));
                var text = tail.ToString();
                var last = text.LastIndexOf('\n');
                if (last < 0) continue;
                foreach (var line in text[..last].Split('\n'))
                {
                    var at = line.IndexOf("\"source.ip\":\"", StringComparison.Ordinal);
                    if (at < 0) continue;
                    var ipEnd = line.IndexOf('"', at + 13);
                    var ip = line[(at + 13)..ipEnd];
                    if (pending.Remove(ip, out var t0)) samples.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
                tail.Clear().Append(text[(last + 1)..]);
            }
            Thread.Sleep(TimeSpan.FromMilliseconds(0.5));
        }
        Thread.Sleep(2000);
        engine.Stop();
        var actions = hooks.Arrivals.Where(a => writtenAt.ContainsKey(a.Ip)).Select(a => Stopwatch.GetElapsedTime(writtenAt[a.Ip], a.At).TotalMilliseconds).Order().ToList();
        var actionMissing = writtenAt.Keys.Except(hooks.Arrivals.Select(a => a.Ip)).Count();
        samples.Sort();
        static double P(List<double> xs, double p) => xs.Count == 0 ? double.NaN : xs[(int)Math.Min(xs.Count - 1, Math.Floor(p * xs.Count))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"latency: rate={o.Rate} lines/s, {written} lines, {bursts} bursts, {samples.Count} alerts seen, missing={pending.Count}; line→alert p50={P(samples, 0.5):F1} ms p99={P(samples, 0.99):F1} ms max={(samples.Count > 0 ? samples[^1] : double.NaN):F1} ms; "
            + $"line→action started {actions.Count} seen, missing={actionMissing}, p50={P(actions, 0.5):F1} ms p99={P(actions, 0.99):F1} ms max={(actions.Count > 0 ? actions[^1] : double.NaN):F1} ms"));
        return pending.Count == 0 && actionMissing == 0 ? 0 : 1;
    }
}

/// <summary>A webhook receiver on 127.0.0.1: notes when each POST arrives and the address in its body.</summary>
internal sealed class HookReceiver : IDisposable
{
    private readonly System.Net.HttpListener _listener = new();
    private readonly Thread _thread;

    public HookReceiver()
    {
        for (var attempt = 0; ; attempt++)
        {
            var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            l.Start();
            Port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try { _listener.Start(); break; }
            catch (System.Net.HttpListenerException) when (attempt < 5) { }
        }
        _thread = new Thread(Serve) { IsBackground = true };
        _thread.Start();
    }

    public int Port { get; }
    public System.Collections.Concurrent.ConcurrentBag<(string Ip, long At)> Arrivals { get; } = [];

    private void Serve()
    {
        while (_listener.IsListening)
        {
            System.Net.HttpListenerContext ctx;
            try { ctx = _listener.GetContext(); }
            catch (Exception ex) when (ex is System.Net.HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            var at = Stopwatch.GetTimestamp();
            using (var r = new StreamReader(ctx.Request.InputStream))
            {
                try
                {
                    using var doc = System.Text.Json.JsonDocument.Parse(r.ReadToEnd());
                    if (doc.RootElement.TryGetProperty("ip", out var ip) && ip.GetString() is { } s) Arrivals.Add((s, at));
                }
                catch (System.Text.Json.JsonException) { }
            }
            ctx.Response.StatusCode = 200;
            ctx.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}
