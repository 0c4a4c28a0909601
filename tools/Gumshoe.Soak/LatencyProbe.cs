using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gumshoe.LogGen;

namespace Gumshoe.Soak;

/// <summary>
/// Line-to-alert latency: appends generated sshd lines at a steady rate and, a few times a second, a burst of five
/// failed passwords from a fresh address. The time from writing a burst's fifth line (flushed to the file) to its
/// alert appearing in the alerts file is one sample. The alerts file is polled every 0.5 ms by this process.
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
        var engine = new Engine(o, log, alerts, Path.Combine(dir, "data"));
        engine.Start();
        Thread.Sleep(1500); // start-up is not latency
        var gen = new SshdLogGenerator((ulong)o.Seed, DateTime.UtcNow.AddMinutes(-5)) { SecondsPerLine = 0.0001 };
        var pending = new Dictionary<string, long>(); // ip → write timestamp (Stopwatch ticks)
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
                if (ip is not null) pending[ip] = Stopwatch.GetTimestamp();
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
        samples.Sort();
        double P(double p) => samples.Count == 0 ? double.NaN : samples[(int)Math.Min(samples.Count - 1, Math.Floor(p * samples.Count))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"latency: rate={o.Rate} lines/s, {written} lines, {bursts} bursts, {samples.Count} alerts seen, missing={pending.Count}; line→alert p50={P(0.5):F1} ms p99={P(0.99):F1} ms max={(samples.Count > 0 ? samples[^1] : double.NaN):F1} ms"));
        return pending.Count == 0 ? 0 : 1;
    }
}
