using System.Diagnostics;
using System.Net.Http;
using Gumshoe.Engine.Tests.Inputs;

namespace Gumshoe.Engine.Tests.Cluster;

/// <summary>
/// A three-node NATS JetStream cluster on free 127.0.0.1 ports, started from the nats-server that
/// scripts/services/nats.sh installs (GUMSHOE_TEST_NATS_SERVER); nodes can be killed to test failover.
/// </summary>
public sealed class NatsTestCluster : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-nats-").FullName;
    private readonly Process?[] _nodes = new Process?[3];
    private readonly int[] _client = new int[3], _monitor = new int[3];

    /// <summary>The client URLs, comma-separated (what <c>GUMSHOE_NATS_URL</c> takes).</summary>
    public string Urls => string.Join(",", _client.Select(p => $"nats://127.0.0.1:{p}"));

    public static async Task<NatsTestCluster> StartAsync()
    {
        var server = Environment.GetEnvironmentVariable("GUMSHOE_TEST_NATS_SERVER");
        if (string.IsNullOrEmpty(server) || !File.Exists(server))
            throw new InvalidOperationException("GUMSHOE_TEST_NATS_SERVER is not set: run the tests through scripts/test.sh, which installs nats-server");
        var c = new NatsTestCluster();
        var routes = new int[3];
        for (var i = 0; i < 3; i++) { c._client[i] = Loopback.FreePort(); c._monitor[i] = Loopback.FreePort(); routes[i] = Loopback.FreePort(); }
        for (var i = 0; i < 3; i++)
        {
            Directory.CreateDirectory(Path.Combine(c._dir, $"n{i}"));
            var conf = Path.Combine(c._dir, $"n{i}.conf");
            File.WriteAllText(conf, $$"""
                server_name: n{{i}}
                listen: 127.0.0.1:{{c._client[i]}}
                http: 127.0.0.1:{{c._monitor[i]}}
                jetstream { store_dir: "{{Path.Combine(c._dir, $"n{i}")}}", max_memory_store: 256MB, max_file_store: 2GB }
                cluster { name: test, listen: 127.0.0.1:{{routes[i]}}, routes: [{{string.Join(", ", routes.Select(r => $"nats-route://127.0.0.1:{r}"))}}] }
                """);
            var psi = new ProcessStartInfo(server) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-c", conf, "-l", Path.Combine(c._dir, $"n{i}.log") }) psi.ArgumentList.Add(a);
            c._nodes[i] = Process.Start(psi);
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 3; i++)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try { if ((await http.GetAsync($"http://127.0.0.1:{c._monitor[i]}/healthz")).IsSuccessStatusCode) break; }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException) { }
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"nats node n{i} not healthy: {File.ReadAllText(Path.Combine(c._dir, $"n{i}.log"))}");
                await Task.Delay(100);
            }
        }
        return c;
    }

    /// <summary>Kills node <paramref name="index"/> (SIGKILL).</summary>
    public void Kill(int index)
    {
        _nodes[index]?.Kill();
        _nodes[index]?.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        foreach (var n in _nodes)
        {
            try { if (n is { HasExited: false }) { n.Kill(); n.WaitForExit(5000); } } catch (InvalidOperationException) { }
            n?.Dispose();
        }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
